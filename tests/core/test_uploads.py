"""Uploads are judged by their content, not their name."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.core.uploads import check_upload

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def test_a_pdf_is_accepted() -> None:
    checked = check_upload(SimpleUploadedFile("plan.pdf", PDF))
    assert checked.content_type == "application/pdf"


def test_an_exe_renamed_pdf_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("plan.pdf", EXE, content_type="application/pdf"))
    assert caught.value.code == "file_type"
    assert "PDF, JPEG" in caught.value.messages[0]


def test_a_png_named_pdf_is_refused_for_the_mismatch() -> None:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("plan.pdf", PNG))
    assert caught.value.code == "file_extension"


def test_an_oversized_file_is_refused(settings) -> None:
    settings.BIZPORTAL_UPLOAD_MAX_BYTES = 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024)))
    assert caught.value.code == "file_too_large"


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("empty.pdf", b""))
    assert caught.value.code == "empty_file"
