"""Checking uploaded files before anything is stored.

The type is sniffed from the content (puremagic), never taken from the file name or
the browser's ``Content-Type``: a ``.exe`` renamed ``.pdf`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
SNIFF_BYTES = 2048


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int


def sniff_content_type(head: bytes) -> str | None:
    """The allowed MIME type whose signature the bytes carry, or None."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    for match in matches:
        if match.mime_type in ALLOWED_TYPES:
            return str(match.mime_type)
    return None


def check_upload(upload: UploadedFile, *, max_bytes: int | None = None) -> CheckedUpload:
    """Validate size and sniffed type; raise a (translated) ValidationError otherwise."""
    limit = max_bytes or settings.BIZPORTAL_UPLOAD_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty"), code="empty_file")
    if size > limit:
        raise ValidationError(
            _("The file is larger than %(megabytes)s MB") % {"megabytes": limit // 2**20},
            code="file_too_large",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted (checked from the file content)"),
            code="file_type",
        )
    name = (upload.name or "").lower()
    if not name.endswith(ALLOWED_TYPES[content_type]):
        raise ValidationError(
            _("The file name extension does not match its content"),
            code="file_extension",
        )
    return CheckedUpload(content_type=content_type, size=size)
