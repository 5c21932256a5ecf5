"""Accepting a licence PDF for verification, from the page or the API.

The core upload check sniffs the content; here only PDF passes, and a wrong type
(an ``.exe`` renamed ``.pdf``, a photo of the licence) gets one message that says
what *is* accepted, rather than the generic "PDF, JPEG or PNG".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from bizportal.core.uploads import check_upload

ONLY_PDF = _("Only the licence PDF file is accepted (checked from the file content)")
NO_FILE = _("Please choose the licence PDF file")


def read_licence_upload(upload: UploadedFile | None) -> bytes:
    """The uploaded licence's bytes, or a bilingual ValidationError (nothing is stored)."""
    return read_pdf_upload(upload, only_pdf=ONLY_PDF, no_file=NO_FILE)


def read_pdf_upload(upload: UploadedFile | None, *, only_pdf: Any, no_file: Any) -> bytes:
    """The uploaded bytes of a signed PDF to verify, or a ValidationError that names the
    document asked for (``only_pdf``, ``no_file``); nothing is stored."""
    if upload is None:
        raise ValidationError(no_file, code="required")
    try:
        checked = check_upload(upload)
    except ValidationError as error:
        if error.code in {"file_type", "file_extension"}:
            raise ValidationError(only_pdf, code="file_type") from None
        raise
    if checked.content_type != "application/pdf":
        raise ValidationError(only_pdf, code="file_type")
    upload.seek(0)
    return upload.read()
