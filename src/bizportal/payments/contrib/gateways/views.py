"""The hosted pages of the sandbox card gateway and CGD e-Payment, and the card
gateway's refund API. No sign-in: they stand for the gateways' own pages, reached by
the merchant's signed link (refused if altered or stale)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bizportal.core import safejson
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.providers import SignatureError

from . import services
from .models import GatewayCharge
from .protocol import CARD, GATEWAYS, LINK_FIELDS, Gateway, check_link


def _merchant_callback(gateway: Gateway) -> str:
    """The webhook address the merchant registered with the gateway."""
    return settings.BASE_URL + reverse("payments:callback", args=[gateway.callback_channel])


def _after(charge: GatewayCharge) -> HttpResponse:
    if charge.state == GatewayCharge.State.CHALLENGE:
        return redirect(f"sandbox_{charge.gateway}:challenge", charge_id=charge.charge_id)
    if charge.return_url:
        return redirect(charge.return_url)
    return redirect(f"sandbox_{charge.gateway}:charge", charge_id=charge.charge_id)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, gateway: str) -> HttpResponse:
    """The hosted payment page: card form (card) or debit confirmation (CGD)."""
    which = GATEWAYS[gateway]
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "")[:500] for name in (*LINK_FIELDS, "sig")}
    context: dict[str, Any] = {"gateway": which.name, "params": params, "error": ""}
    try:
        check_link(which, params)
        context["amount"] = services.order_amount(params)
    except (SignatureError, services.CheckoutError) as error:
        context["error"] = str(error)
        return render(request, "sandbox_gateways/checkout.html", context, status=403)
    if request.method == "POST":
        try:
            charge = services.start_charge(
                which,
                params,
                callback_url=_merchant_callback(which),
                card=request.POST.get("card_number", ""),
                cancel=request.POST.get("action") == "cancel",
            )
        except services.CheckoutError as error:
            context["error"] = str(error)
            return render(request, "sandbox_gateways/checkout.html", context, status=400)
        return _after(charge)
    return render(request, "sandbox_gateways/checkout.html", context)


@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, gateway: str, charge_id: str) -> HttpResponse:
    """The issuer's 3-D Secure-style page: the OTP sent to the cardholder's phone."""
    charge = get_object_or_404(GatewayCharge, charge_id=charge_id, gateway=gateway)
    if request.method == "POST":
        charge = services.answer_challenge(charge, request.POST.get("otp", ""))
        return _after(charge)
    if charge.state != GatewayCharge.State.CHALLENGE:
        return _after(charge)
    return render(request, "sandbox_gateways/challenge.html", {"charge": charge})


def charge_detail(request: HttpRequest, gateway: str, charge_id: str) -> HttpResponse:
    charge = get_object_or_404(GatewayCharge, charge_id=charge_id, gateway=gateway)
    return render(request, "sandbox_gateways/charge.html", {"charge": charge})


@csrf_exempt
@require_POST
def refund(request: HttpRequest) -> HttpResponse:
    """The card gateway's refund API: a signed order in, a signed JSON answer out."""
    raw = request.body
    try:
        signing.verify(request.headers.get(CARD.header, ""), raw, CARD.secret, name=CARD.header)
        order = safejson.loads(raw, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
        if not isinstance(order, dict):
            raise services.RefundRefused("the body must be a JSON object", 400)
        made = services.refund(order)
    except SignatureError as error:
        return _signed({"status": "rejected", "detail": str(error)}, 403)
    except safejson.JsonRefused as error:
        return _signed({"status": "rejected", "detail": f"unacceptable JSON: {error}"}, 400)
    except services.RefundRefused as error:
        return _signed({"status": "rejected", "detail": str(error)}, error.status)
    return _signed(
        {
            "status": "completed",
            "refund_id": made.refund_id,
            "reference": made.reference,
            "charge_id": made.charge.charge_id,
            "amount": f"{made.amount:.2f}",
            "refunded_at": made.refunded_at.isoformat(),
        },
        200,
    )


def _signed(answer: dict[str, Any], status: int) -> HttpResponse:
    body = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json")
    response[CARD.header] = signing.sign(body, CARD.secret)
    return response
