"""Serving a private supporting document to someone already allowed to see it."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest

from bizportal.core import audit

from .models import Attachment


def serve_attachment(
    request: HttpRequest, attachment: Attachment, *, actor_label: str = ""
) -> FileResponse:
    """Stream the file and log the access: documents are personal data (PDPA).

    ``actor_label`` names a reader who is not a signed-in user (an agency's system)."""
    audit.record(
        "application.document_viewed",
        attachment.application,
        actor=None if actor_label else request.user,
        actor_label=actor_label,
        document=attachment.document_code,
    )
    try:
        handle: Any = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(
        handle, content_type=attachment.content_type, filename=attachment.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
