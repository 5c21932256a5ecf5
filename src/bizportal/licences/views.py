"""Pages: check a licence by number or by uploading its PDF; the holder's download.

Verification is public on purpose: anyone a licence is shown to (a customer, an
inspector, a bank) must be able to check it without an account. The pages show only
what the licence itself states publicly; the citizen ID is masked (PDPA).
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from bizportal.core import audit, authz, ratelimits

from . import check_codes, credentials
from .models import Licence, LicenceVersion
from .services import PdfVerification, masked_holder_id, verdict, verify_pdf
from .uploads import read_licence_upload

NUMBER_MAX_LENGTH = 40
# Licence numbers are PREFIX-YEAR-SEQUENCE in Latin capitals, digits and hyphens.
NUMBER_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
BAD_NUMBER = _(
    "A licence number has only Latin letters, digits and hyphens (-), up to 40 characters"
)
NO_NUMBER = _("Please enter the licence number")


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The verification start page: a number lookup (GET) and a PDF upload (POST)."""
    context: dict[str, object] = {
        "number": "",
        "code": "",
        "number_error": "",
        "upload_error": "",
        "result": None,
    }
    if request.method == "GET" and "number" in request.GET:
        number = request.GET["number"].strip().upper()
        code = request.GET.get("code", "").strip()[:20]
        if not number:
            context["number_error"] = NO_NUMBER
        elif not NUMBER_PATTERN.fullmatch(number):
            context["number_error"] = BAD_NUMBER
            context["number"] = number[:NUMBER_MAX_LENGTH]
        else:
            target = reverse("licences:verify-number", args=[number])
            return redirect(f"{target}?{urlencode({'code': code})}" if code else target)
        context["code"] = code
    status = 400 if context["number_error"] else 200
    if request.method == "POST":
        # Validating a signature costs CPU: its own, tighter limit per address.
        ratelimits.limit(request, "verify-upload", key="ip")
        try:
            data = read_licence_upload(request.FILES.get("file"))
        except ValidationError as error:
            context["upload_error"] = " ".join(error.messages)
        else:
            result: PdfVerification = verify_pdf(data)
            context["result"] = result
            if result.licence is not None:
                context["masked_id"] = masked_holder_id(result.licence)
        if context["upload_error"]:
            status = 400
    return render(request, "licences/verify.html", context, status=status)


@require_GET
def verify_number(request: HttpRequest, number: str, version: int | None = None) -> HttpResponse:
    """What the QR code on a licence opens: is this licence (this version of it) valid today?

    Anyone sees the verdict, the licence type, the agency and the dates; the holder's
    name, ID and business only with the licence's check code (``?code=``, in the QR
    link), since the sequential numbers alone would let anyone list every holder."""
    ratelimits.limit(request, "verify", key="ip")
    licence = Licence.objects.select_related("agency").filter(number=number.strip().upper()).first()
    shown = None
    if licence is not None and version is not None:
        shown = licence.versions.filter(number=version).first()
        if shown is None:
            licence = None
    if licence is None:
        return render(
            request, "licences/not_found.html", {"number": number[:NUMBER_MAX_LENGTH]}, status=404
        )
    code_check = check_codes.check(licence, request.GET.get("code"))
    details = code_check == check_codes.CodeCheck.MATCHED
    context = {
        "licence": licence,
        "version": shown,
        "status": verdict(licence, version=version),
        "details": details,
        "code_check": code_check.value,
        "masked_id": masked_holder_id(licence) if details else "",
        # With the code matched, the link to the current version keeps showing details.
        "current_url": reverse("licences:verify-number", args=[licence.number])
        + (f"?{urlencode({'code': licence.check_code})}" if details else ""),
        "verify_url": request.build_absolute_uri(
            reverse("licences:verify-number", args=[licence.number])
        ),
    }
    return render(
        request,
        "licences/verify_number.html",
        context,
        status=400 if code_check == "mismatched" else 200,
    )


@require_GET
@login_required
def download_pdf(
    request: HttpRequest, public_id: uuid.UUID, version: int | None = None
) -> HttpResponse | FileResponse:
    """A signed version (the current one by default), for the people who may receive
    licences for the holder (``licences.download``); anyone else gets the same 404 as a
    wrong id."""
    licence = Licence.objects.filter(public_id=public_id).first()
    if licence is not None and not authz.allowed(request.user, "licences.download", licence):
        licence = None
    document: LicenceVersion | None = None
    if licence is not None:
        document = licence.versions.filter(number=version or licence.version).first()
    if licence is None or document is None:
        raise Http404("no such licence")
    if document.being_issued:
        return _being_issued(request, licence, document)
    with transaction.atomic():
        audit.record(
            "licence.downloaded",
            licence,
            actor=request.user,
            number=licence.number,
            version=document.number,
        )
    response = FileResponse(
        document.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{licence.number}-v{document.number}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


#: Seconds a browser waits before asking again for a document being signed.
BEING_ISSUED_RETRY_SECONDS = 3


def _being_issued(request: HttpRequest, licence: Licence, document: LicenceVersion) -> HttpResponse:
    """The register has the licence; its signed PDF follows in a moment. 202 Accepted
    with Retry-After (the page refreshes itself), never an empty or unsigned file."""
    response = render(
        request,
        "licences/being_issued.html",
        {"licence": licence, "version": document, "retry": BEING_ISSUED_RETRY_SECONDS},
        status=202,
    )
    response["Retry-After"] = str(BEING_ISSUED_RETRY_SECONDS)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def download_credential(
    request: HttpRequest, public_id: uuid.UUID, version: int | None = None
) -> HttpResponse:
    """The version's Verifiable Credential (``.vc.jwt``) for the holder's wallet, on the
    same terms as the PDF: ``licences.download``, else the 404 of a wrong id; audited."""
    licence = Licence.objects.filter(public_id=public_id).first()
    if licence is not None and not authz.allowed(request.user, "licences.download", licence):
        licence = None
    document: LicenceVersion | None = None
    if licence is not None:
        document = (
            licence.versions.filter(number=version or licence.version)
            .exclude(credential="")
            .first()
        )
    if licence is None or document is None:
        raise Http404("no such licence credential")
    with transaction.atomic():
        audit.record(
            "licence.credential_downloaded",
            licence,
            actor=request.user,
            number=licence.number,
            version=document.number,
        )
    response = HttpResponse(document.credential, content_type=credentials.MEDIA_TYPE)
    filename = f"{licence.number}-v{document.number}.vc.jwt"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _published(document: dict[str, object], content_type: str) -> HttpResponse:
    """A public, long-cacheable JSON document that JSON-LD processors and validators in
    a browser may fetch from any origin (CORS)."""
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type=content_type
    )
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def credential_context(request: HttpRequest) -> HttpResponse:
    """The JSON-LD context every licence credential names (its second ``@context``)."""
    return _published(credentials.context_document(), credentials.LD_MEDIA_TYPE)


@require_GET
def payload_schema(request: HttpRequest) -> HttpResponse:
    """The JSON Schema that ``licence.json`` in each PDF names in its ``schema`` field."""
    return _published(credentials.payload_schema(), credentials.SCHEMA_MEDIA_TYPE)
