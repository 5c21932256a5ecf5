"""The sandbox banking app: what a payer sees after scanning a Thai QR code.

No sign-in: it stands for the payer's own bank, which has its own. It shows what it
read from the code (after checking the CRC) and pays only on an explicit POST.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from bizportal.payments import thaiqr

from . import services
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
        error = "กรุณาวางข้อมูล QR / Please paste the QR payload"
    status = 400 if error and request.method == "POST" else 200
    return render(
        request,
        "sandbox_bank/pay.html",
        {
            "payload": payload,
            "bill": bill,
            "error": error,
            "return_url": return_url,
            "biller_is_portal": bill is not None and bill.biller_id == settings.PAYMENT_BILLER_ID,
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
