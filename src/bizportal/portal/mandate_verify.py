"""Public pages: check a written mandate by its reference (the QR code) or its PDF.

Public like licence verification: an agency officer, a bank or a landlord shown a
written mandate must be able to check it without an account. The reference page shows
only the mandate's standing, period, services and actions, never the names or IDs of
grantor and delegate (those are on the paper the checker already holds; the reference
alone, a random UUID, would otherwise reveal them to anyone who saw it once). An
uploaded file is checked with pyHanko against the signer plugin's roots, and every file
check, above all a refused one, is audited.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from bizportal.core import audit, ratelimits
from bizportal.identity.models import Mandate
from bizportal.licences.uploads import read_pdf_upload

from .written_mandates import FileCheck, check_file, status_of

ONLY_PDF = _("Only the written mandate's PDF file is accepted (checked from the file content)")
NO_FILE = _("Please choose the written mandate's PDF file")
BAD_REFERENCE = _(
    "A mandate reference is the 36-character code printed on the written mandate, "
    "e.g. 3f2b6c1e-8d4a-4f7e-9a51-2c0d7e4b9a10"
)

#: Why a file is refused, in both languages (the page shows the reader's first).
REFUSALS = {
    "tampered": _(
        "Refused: this file was changed after it was signed, or its signature is broken. "
        "Do not rely on it; ask the grantor for the original file"
    ),
    "untrusted": _(
        "Refused: the signature is not from an agency the portal trusts. Do not rely on it"
    ),
    "not_signed": _("Refused: this PDF has no electronic signature"),
    "unreadable": _("Refused: this file could not be read as a PDF"),
    "not_a_mandate": _(
        "Refused: the file is signed but is not a written mandate issued by Biz Portal"
    ),
    "not_found": _("Refused: the portal has no mandate with the reference in this file"),
}


def _audit_check(request: HttpRequest, result: FileCheck) -> None:
    """One audit row per file check: verified, or refused with the reason."""
    target: Mandate | tuple[str, str] = (
        result.mandate if result.mandate is not None else ("mandate_document", result.sha256)
    )
    with transaction.atomic():
        audit.record(
            "identity.mandate_document_verified"
            if result.outcome == "valid"
            else "identity.mandate_document_refused",
            target,
            actor=request.user if request.user.is_authenticated else None,
            actor_label="" if request.user.is_authenticated else "public",
            outcome=result.outcome,
            status=result.status or "",
            sha256=result.sha256,
            matches_record=result.matches_record,
        )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The start page: look a reference up (GET ``?reference=``) or upload the PDF (POST)."""
    context: dict[str, object] = {
        "reference": "",
        "reference_error": "",
        "upload_error": "",
        "result": None,
        "refusal": "",
    }
    status = 200
    if request.method == "GET" and "reference" in request.GET:
        raw = request.GET["reference"].strip()
        try:
            reference = uuid.UUID(raw)
        except ValueError:
            context["reference_error"] = BAD_REFERENCE
            context["reference"] = raw[:40]
            status = 400
        else:
            return redirect(reverse("portal:mandate-verify-reference", args=[reference]))
    if request.method == "POST":
        ratelimits.limit(request, "verify-upload", key="ip")
        try:
            data = read_pdf_upload(request.FILES.get("file"), only_pdf=ONLY_PDF, no_file=NO_FILE)
        except ValidationError as error:
            context["upload_error"] = " ".join(error.messages)
            status = 400
        else:
            result = check_file(data)
            _audit_check(request, result)
            context["result"] = result
            # The check itself worked: 200 with the verdict, as for a licence file.
            context["refusal"] = REFUSALS.get(result.outcome, "")
    return render(request, "portal/mandate_verify.html", context, status=status)


@require_GET
def verify_reference(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """What the QR code on a written mandate opens: is this mandate in force today?"""
    ratelimits.limit(request, "verify", key="ip")
    mandate = (
        Mandate.objects.prefetch_related("services")
        .filter(public_id=reference, document_signed_at__isnull=False)
        .first()
    )
    if mandate is None:
        return render(
            request, "portal/mandate_not_found.html", {"reference": str(reference)}, status=404
        )
    return render(
        request,
        "portal/mandate_verify_reference.html",
        {"mandate": mandate, "status": status_of(mandate)},
    )
