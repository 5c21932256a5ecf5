"""The sandbox banking app: what a payer sees after scanning a Thai QR code.

No sign-in: it stands for the payer's own bank, which has its own. It shows what it
read from the code (after checking the CRC) and pays only on an explicit POST.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from bizportal.core import safejson
from bizportal.payments import thaiqr
from bizportal.payments.providers import SignatureError

from . import billpayfile, promptpay, services, signing, statements
from .models import BankTransaction


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    payload = source.get("payload", "").strip()
    return_url = services.safe_return_url(source.get("return", ""))
    bill: thaiqr.BillPayment | None = None
    error = ""
    if payload:
        try:
            if request.method == "POST":
                txn = services.pay(payload, return_url=return_url)
                return redirect("sandbox_bank:transaction", txn_id=txn.txn_id)
            bill = services.read_payable(payload)
        except thaiqr.PayloadError as problem:
            error = str(problem)
    elif request.method == "POST":
        error = _("Please paste the QR payload")
    status = 400 if error and request.method == "POST" else 200
    return render(
        request,
        "sandbox_bank/pay.html",
        {
            "payload": payload,
            "bill": bill,
            "error": error,
            "return_url": return_url,
            "biller_is_portal": bill is not None
            and bill.biller_id in (settings.PAYMENT_BILLER_ID, promptpay.our_proxy()),
        },
        status=status,
    )


def transaction_detail(request: HttpRequest, txn_id: str) -> HttpResponse:
    txn = get_object_or_404(BankTransaction, txn_id=txn_id)
    return render(
        request,
        "sandbox_bank/transaction.html",
        {"txn": txn, "back_url": txn.return_url or settings.BASE_URL + "/"},
    )


@require_POST
def resend(request: HttpRequest, txn_id: str) -> HttpResponse:
    txn = get_object_or_404(BankTransaction, txn_id=txn_id)
    services.request_resend(txn)
    return redirect("sandbox_bank:transaction", txn_id=txn.txn_id)


@csrf_exempt
@require_POST
def refund(request: HttpRequest) -> HttpResponse:
    """The bank's refund API: a biller's signed order in, a signed JSON answer out.

    The signature (same HMAC scheme as the payment webhook, same shared secret) is over
    the raw body both ways, so the biller can trust the answer as much as we trust it.
    """
    raw = request.body
    try:
        signing.verify(
            request.headers.get(signing.HEADER, ""), raw, settings.PAYMENT_WEBHOOK_SECRET
        )
        order = safejson.loads(raw, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
        if not isinstance(order, dict):
            raise services.RefundRefusedByBank("the body must be a JSON object", 400)
        made = services.refund(order)
        return _signed({**made.answer()}, 200)
    except SignatureError as error:
        return _signed({"status": "rejected", "detail": str(error)}, 403)
    except safejson.JsonRefused as error:
        return _signed({"status": "rejected", "detail": f"unacceptable JSON: {error}"}, 400)
    except services.RefundRefusedByBank as error:
        return _signed({"status": "rejected", "detail": str(error)}, error.status)


def _signed(answer: dict[str, Any], status: int) -> HttpResponse:
    body = json.dumps(answer, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json")
    response[signing.HEADER] = signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET)
    return response


def statement(request: HttpRequest, day: str) -> HttpResponse:
    """The biller account's camt.053 statement of one day (YYYY-MM-DD), to download and
    import in the back office (a real bank serves it behind its own sign-in)."""
    try:
        on = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("not a date") from None
    response = HttpResponse(statements.camt053(on), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="camt053-{on:%Y%m%d}.xml"'
    return response


@require_http_methods(["GET", "POST"])
def counter(request: HttpRequest) -> HttpResponse:
    """The bank's counter: the teller scans a pay-in slip's barcode (or types it, one
    field per line) and takes the cash; nothing is sent to the biller now."""
    source = request.POST if request.method == "POST" else request.GET
    barcode = source.get("barcode", "")
    context: dict[str, Any] = {"barcode": barcode, "error": "", "slip": None, "paid": None}
    status = 200
    if barcode.strip():
        try:
            context["slip"] = billpayfile.read_barcode(barcode)
            if request.method == "POST":
                amount = source.get("amount", "").strip()
                context["paid"] = billpayfile.take_cash(
                    barcode,
                    amount=Decimal(amount) if amount else None,
                    customer=source.get("customer", ""),
                )
        except (thaiqr.PayloadError, InvalidOperation) as problem:
            context["error"] = (
                str(problem) if isinstance(problem, thaiqr.PayloadError) else _("Not an amount")
            )
            status = 400 if request.method == "POST" else 200
    elif request.method == "POST":
        context["error"] = _("Please scan the barcode")
        status = 400
    return render(request, "sandbox_bank/counter.html", context, status=status)


def billpay_file(request: HttpRequest, day: str) -> HttpResponse:
    """The biller's bill-payment file of one day (YYYY-MM-DD), signed like the bank's
    webhooks (HMAC over the raw bytes) so it can be fetched unattended."""
    try:
        on = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("not a date") from None
    content = billpayfile.daily_file(on)
    response = HttpResponse(content, content_type="text/plain; charset=tis-620")
    response["Content-Disposition"] = f'attachment; filename="billpay-{on:%Y%m%d}.txt"'
    response[signing.HEADER] = signing.sign(content, settings.PAYMENT_WEBHOOK_SECRET)
    return response
