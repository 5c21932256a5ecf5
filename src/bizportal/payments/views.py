"""Invoice page, receipt download and the provider callback endpoint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bizportal.core import audit, authz, ratelimits
from bizportal.core.problems import problem_response
from bizportal.identity.acting import StepUpRequired

from . import selectors, services


@login_required
@require_GET
@audit.audited_read("invoice.viewed", "payments.invoice")
def invoice(request: HttpRequest, public_id: Any) -> HttpResponse:
    invoice = selectors.invoice_of(request.user, public_id)
    receipt = getattr(invoice, "receipt", None) if invoice.is_paid else None
    how = None
    may_pay = authz.allowed(request.user, "payments.pay", invoice)
    if invoice.status == invoice.Status.PENDING and may_pay:
        try:
            services.check_may_pay(invoice, request.user)
        except StepUpRequired as needed:
            query = urlencode({"aal": str(needed.needed), "next": request.get_full_path()})
            return redirect(f"{reverse('identity:step-up')}?{query}")
        back = settings.BASE_URL + reverse("payments:invoice", args=[invoice.public_id])
        how = services.instruction(invoice, return_url=back)
    return render(
        request,
        "payments/invoice.html",
        {
            "invoice": invoice,
            "application": invoice.application,
            "how": how,
            "receipt": receipt,
            "may_pay": may_pay,
        },
    )


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
        status = "already-processed" if result.outcome == "duplicate" else "paid"
        body: dict[str, Any] = {"status": status}
        if result.invoice is not None:
            body["invoice"] = result.invoice.number
        return JsonResponse(body)
    return problem_response(result.http_status, result.detail, type_=f"payment-{result.outcome}")
