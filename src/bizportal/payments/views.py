"""Invoice page, receipt download and the provider callback endpoint."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.core import audit, authz, ratelimits
from bizportal.core.problems import problem_response
from bizportal.identity.acting import StepUpRequired
from bizportal.licences.uploads import read_licence_upload

from . import billpay, ereceipts, selectors, services
from .models import Receipt


@login_required
@require_GET
@audit.audited_read("invoice.viewed", "payments.invoice")
def invoice(request: HttpRequest, public_id: Any) -> HttpResponse:
    invoice = selectors.invoice_of(request.user, public_id)
    receipt = getattr(invoice, "receipt", None) if invoice.is_paid else None
    how = None
    channels: list[tuple[str, str]] = []
    chosen, channel_error, status = "", "", 200
    may_pay = authz.allowed(request.user, "payments.pay", invoice)
    if invoice.status == invoice.Status.PENDING and may_pay:
        try:
            services.check_may_pay(invoice, request.user)
        except StepUpRequired as needed:
            query = urlencode({"aal": str(needed.needed), "next": request.get_full_path()})
            return redirect(f"{reverse('identity:step-up')}?{query}")
        accepted = services.accepted_channels(invoice.application.service)
        channels = [(name, str(provider.label)) for name, provider in accepted]
        chosen = request.GET.get("channel", "")[:40] or accepted[0][0]
        if chosen not in dict(accepted):
            channel_error = _(
                "This service does not take payments through %(channel)s: choose below"
            ) % {"channel": repr(chosen)}
            chosen, status = accepted[0][0], 400
        back = settings.BASE_URL + reverse("payments:invoice", args=[invoice.public_id])
        back += "?" + urlencode({"channel": chosen, "returned": "1"})
        how = services.instruction(invoice, channel=chosen, return_url=back)
    return render(
        request,
        "payments/invoice.html",
        {
            "invoice": invoice,
            "application": invoice.application,
            "how": how,
            "channels": channels,
            "chosen": chosen,
            "channel_error": channel_error,
            "returned": request.GET.get("returned") == "1",
            "receipt": receipt,
            "may_pay": may_pay,
            "may_reissue": may_pay and services.may_reissue(invoice),
        },
        status=status,
    )


@login_required
@require_POST
def reissue(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant asks for a new invoice in place of an expired or cancelled one."""
    invoice = selectors.invoice_of(request.user, public_id)
    try:
        new = services.reissue_invoice(invoice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("payments:invoice", public_id=invoice.public_id)
    messages.success(
        request,
        _("New invoice %(new)s issued in place of %(old)s")
        % {"new": new.number, "old": invoice.number},
    )
    return redirect("payments:invoice", public_id=new.public_id)


@login_required
@require_GET
@audit.audited_read("invoice.slip_viewed", "payments.invoice")
def invoice_slip(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The counter channel's pay-in slip (PDF) with the bill-payment barcode and QR."""
    invoice = selectors.invoice_of(request.user, public_id)
    response = HttpResponse(billpay.render_slip(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="slip-{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def receipt_pdf(request: HttpRequest, public_id: Any) -> FileResponse:
    receipt = services.open_receipt(
        selectors.receipt_of(request.user, public_id), actor=request.user
    )
    response = FileResponse(
        receipt.pdf.open("rb"), content_type="application/pdf", filename=f"{receipt.number}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


#: What a taken notice is answered (anything else taken means paid). A late payment or
#: a second one is taken, so the provider stops resending it, and flagged for refund.
CALLBACK_ANSWERS = {
    "duplicate": "already-processed",
    "late": "flagged-for-refund",
    "paid_twice": "flagged-for-refund",
    "declined": "noted",
}


@csrf_exempt  # authenticated by the provider's HMAC signature, not a browser session
@never_cache
@require_POST
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        ratelimits.limit(request, "callback", key="ip")
    except ratelimits.RateLimited as error:
        return ratelimits.too_many_response(request, error, machine=True)
    result = services.receive_callback(provider, request)
    if result.ok:
        status = CALLBACK_ANSWERS.get(result.outcome, "paid")
        body: dict[str, Any] = {"status": status}
        if result.invoice is not None:
            body["invoice"] = result.invoice.number
        return JsonResponse(body)
    return problem_response(result.http_status, result.detail, type_=f"payment-{result.outcome}")


# --- verifying e-receipts (public) ------------------------------------------------

RECEIPT_NUMBER = re.compile(r"^[A-Z0-9-]{3,40}$")
BAD_RECEIPT_NUMBER = gettext_lazy("Not a receipt number (letters, digits and hyphens)")
ONLY_RECEIPT_PDF = gettext_lazy(
    "Only the receipt PDF file is accepted (checked from the file content)"
)


@require_http_methods(["GET", "POST"])
def receipt_verify(request: HttpRequest) -> HttpResponse:
    """Check a receipt: by number (GET, redirects to its page) or by uploading the PDF."""
    context: dict[str, Any] = {"number": "", "number_error": "", "upload_error": ""}
    status = 200
    if request.method == "GET" and "number" in request.GET:
        number = request.GET["number"].strip().upper()[:40]
        code = request.GET.get("code", "").strip()[:20]
        if RECEIPT_NUMBER.fullmatch(number):
            target = reverse("payments:receipt-verify-number", args=[number])
            return redirect(f"{target}?{urlencode({'code': code})}" if code else target)
        context.update(number=number, number_error=BAD_RECEIPT_NUMBER)
        status = 400
    if request.method == "POST":
        ratelimits.limit(request, "verify-upload", key="ip")
        try:
            data = read_licence_upload(request.FILES.get("file"))
        except ValidationError as error:
            messages = [
                str(ONLY_RECEIPT_PDF) if e.code == "file_type" else str(e.message)
                for e in error.error_list
            ]
            context["upload_error"] = " ".join(messages)
            status = 400
        else:
            context["result"] = ereceipts.verify_upload(data)
    return render(request, "payments/receipt_verify.html", context, status=status)


@require_GET
def receipt_verify_number(request: HttpRequest, number: str) -> HttpResponse:
    """The public page a receipt's QR opens. Without the printed check code it only says
    whether such a receipt exists; with it, also the amount, date and agency (never the
    payer: receipt numbers are sequential and guessable)."""
    ratelimits.limit(request, "verify", key="ip")
    receipt = (
        Receipt.objects.select_related("invoice__application__agency")
        .filter(number=number[:40])
        .first()
    )
    code = request.GET.get("code", "")[:20]
    context: dict[str, Any] = {"number": number[:40], "receipt": receipt}
    if receipt is not None:
        context["code_given"] = bool(code)
        context["code_ok"] = bool(code) and ereceipts.code_matches(receipt.number, code)
        context["verdict"] = ereceipts.register_verdict(receipt)
    return render(
        request, "payments/receipt_verify_number.html", context, status=200 if receipt else 404
    )
