"""What the sandbox bank does: take a payment, then notify the biller over HTTP.

The bank's ledger entry and its audit record commit together; the webhook is sent
after commit by a background task, never while a database transaction is open (the
portal's callback handler needs to write to the same database in the demo).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from bizportal.core import audit, faults
from bizportal.payments import thaiqr

from . import signing
from .models import BankRefund, BankTransaction

WEBHOOK_TIMEOUT_SECONDS = 15


def new_txn_id() -> str:
    return f"SBX{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}"


def safe_return_url(url: str) -> str:
    """Only links back to the portal itself are kept (no open redirect)."""
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0]
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={host}):
        return url
    return ""


def read_payable(payload: str) -> thaiqr.BillPayment:
    """The bill behind a scanned code, or PayloadError if this bank cannot pay it."""
    bill = thaiqr.read_any(payload)
    if bill.amount is None:
        raise thaiqr.PayloadError(
            _("This QR code carries no amount; the sandbox bank pays one-time (dynamic) codes only")
        )
    if bill.currency != thaiqr.CURRENCY_THB:
        raise thaiqr.PayloadError(_("Only Thai baht (764) is accepted"))
    return bill


@transaction.atomic
def pay(payload: str, *, return_url: str = "") -> BankTransaction:
    """Debit the payer (notionally) and record the transaction; the webhook follows."""
    bill = read_payable(payload)
    assert bill.amount is not None  # read_payable guarantees it
    txn = BankTransaction.objects.create(
        txn_id=new_txn_id(),
        payload=payload.strip(),
        biller_id=bill.biller_id,
        ref1=bill.ref1,
        ref2=bill.ref2,
        amount=bill.amount,
        currency="THB",
        paid_at=timezone.now(),
        return_url=safe_return_url(return_url),
    )
    audit.record(
        "sandbox_bank.paid",
        ("payments_sandbox.banktransaction", txn.txn_id),
        actor_label="sandbox bank payer",
        biller_id=txn.biller_id,
        ref1=txn.ref1,
        ref2=txn.ref2,
        amount=f"{txn.amount:.2f}",
    )
    txn_id = txn.txn_id
    transaction.on_commit(lambda: _enqueue_webhook(txn_id))
    return txn


def _enqueue_webhook(txn_id: str) -> None:
    from .tasks import send_webhook

    send_webhook.enqueue(txn_id)


def callback_url(txn: BankTransaction | None = None) -> str:
    """Where the biller takes notices: its PromptPay channel for a transfer."""
    channel = "sandbox_promptpay" if txn is not None and txn.scheme == "promptpay" else "sandbox"
    return settings.BASE_URL + reverse("payments:callback", args=[channel])


#: Answers worth trying again: the biller may take the notice later.
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: 1, 2, 4 ... times PAYMENT_SANDBOX_WEBHOOK_BACKOFF_SECONDS."""
    base = settings.PAYMENT_SANDBOX_WEBHOOK_BACKOFF_SECONDS
    return dt.timedelta(seconds=base * 2 ** max(0, min(attempts - 1, 16)))


def _transient(code: int | None) -> bool:
    return code is None or code >= 500 or code in TRANSIENT_STATUSES


def deliver_webhook(txn_id: str) -> BankTransaction:
    """POST the signed notification to the biller and record the answer.

    A 2xx answer (including "already-processed" and "flagged-for-refund") means
    delivered. A transient failure (no answer, 5xx, 408/425/429) stays pending with a
    retry time, backing off exponentially, until ``PAYMENT_SANDBOX_WEBHOOK_MAX_ATTEMPTS``
    attempts; the sweeper sends the due retries (:func:`resend_overdue_webhooks`). Any
    other answer (a 4xx refusal: forged, unknown invoice, wrong amount), or the last
    attempt, is kept as failed with the response, and can be resent from the bank's page.
    """
    txn = BankTransaction.objects.get(txn_id=txn_id)
    if txn.webhook_status == BankTransaction.Webhook.DELIVERED:
        return txn
    body = json.dumps(txn.webhook_body(), separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        signing.HEADER: signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET),
    }
    code: int | None
    try:
        response = requests.post(
            callback_url(txn), data=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS
        )
        code, answer = response.status_code, response.text
    except requests.RequestException as error:
        code, answer = None, repr(error)
    faults.point("sandbox.webhook_answered")
    with transaction.atomic():
        txn = BankTransaction.objects.select_for_update().get(pk=txn.pk)
        txn.webhook_attempts += 1
        txn.webhook_response_code = code
        txn.webhook_response = answer[:2000]
        delivered = code is not None and 200 <= code < 300
        retry = not delivered and _transient(code)
        retry = retry and txn.webhook_attempts < settings.PAYMENT_SANDBOX_WEBHOOK_MAX_ATTEMPTS
        if delivered:
            txn.webhook_status = BankTransaction.Webhook.DELIVERED
        elif retry:
            txn.webhook_status = BankTransaction.Webhook.PENDING
        else:
            txn.webhook_status = BankTransaction.Webhook.FAILED
        txn.webhook_retry_at = timezone.now() + retry_delay(txn.webhook_attempts) if retry else None
        txn.save()
        audit.record(
            "sandbox_bank.webhook_sent",
            ("payments_sandbox.banktransaction", txn.txn_id),
            actor_label="sandbox bank",
            status_code=code,
            delivered=delivered,
            attempt=txn.webhook_attempts,
            retry_at=txn.webhook_retry_at.isoformat() if txn.webhook_retry_at else "",
        )
    return txn


@transaction.atomic
def request_resend(txn: BankTransaction) -> BankTransaction:
    """Queue another delivery attempt of a webhook that failed."""
    txn = BankTransaction.objects.select_for_update().get(pk=txn.pk)
    if txn.webhook_status == BankTransaction.Webhook.DELIVERED:
        return txn
    txn.webhook_status = BankTransaction.Webhook.PENDING
    txn.webhook_retry_at = None
    txn.save(update_fields=["webhook_status", "webhook_retry_at"])
    audit.record(
        "sandbox_bank.webhook_resend",
        ("payments_sandbox.banktransaction", txn.txn_id),
        actor_label="sandbox bank payer",
    )
    txn_id = txn.txn_id
    transaction.on_commit(lambda: _enqueue_webhook(txn_id))
    return txn


def resend_overdue_webhooks(older_than: dt.datetime, *, limit: int = 100) -> int:
    """Send now the notification of each payment still "notifying the biller" since
    before ``older_than`` (its task was lost, or its worker killed mid-delivery), and
    each retry after a transient failure whose time has come (the backoff).

    Sent here, not queued again: a worker pool that is down would otherwise find one
    more queued copy per payment for every minute it was down. Safe to repeat: the
    biller settles each transaction once and answers a repeat with "already
    processed", which the bank records as delivered. Runs from the sweeper
    (:mod:`bizportal.core.sweeps`); returns how many it sent.
    """
    pending = BankTransaction.objects.filter(webhook_status=BankTransaction.Webhook.PENDING)
    overdue = pending.filter(
        Q(webhook_retry_at__isnull=True, paid_at__lt=older_than)
        | Q(webhook_retry_at__lte=timezone.now())
    ).order_by("paid_at")
    txn_ids = list(overdue.values_list("txn_id", flat=True)[:limit])
    for txn_id in txn_ids:
        deliver_webhook(txn_id)
    return len(txn_ids)


# --- refunds the biller orders -------------------------------------------------------


class RefundRefusedByBank(Exception):
    """The bank refuses the order (its answer says why); ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


def new_refund_id() -> str:
    return f"SBR{timezone.localdate():%Y%m%d}{secrets.token_hex(6).upper()}"


@transaction.atomic
def refund(order: dict[str, Any]) -> BankRefund:
    """Refund part or all of one of the bank's transactions, once per biller reference.

    The order names the transaction, the biller (it must be the payee), the amount and
    the biller's reference; the bank refuses more than was paid less earlier refunds.
    """
    reference = str(order.get("reference", ""))[:64]
    already = BankRefund.objects.select_related("txn").filter(reference=reference).first()
    if reference and already is not None:
        return already
    missing = [
        name
        for name in ("txn_id", "biller_id", "amount", "currency", "reference")
        if not isinstance(order.get(name), str) or not order.get(name)
    ]
    if missing:
        raise RefundRefusedByBank(f"missing or non-string fields: {', '.join(missing)}", 400)
    try:
        amount = Decimal(order["amount"])
    except InvalidOperation:
        raise RefundRefusedByBank(f"invalid amount {order['amount']!r}", 400) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise RefundRefusedByBank("the amount must be positive with at most two decimals", 400)
    txn = (
        BankTransaction.objects.select_for_update()
        .filter(txn_id=order["txn_id"], biller_id=order["biller_id"])
        .first()
    )
    if txn is None:
        raise RefundRefusedByBank("no such transaction for this biller", 404)
    if order["currency"] != txn.currency:
        raise RefundRefusedByBank(f"the transaction is in {txn.currency}")
    done = txn.refunds.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if amount > txn.amount - done:
        raise RefundRefusedByBank(
            f"at most {txn.amount - done:.2f} {txn.currency} remains refundable"
        )
    made = BankRefund.objects.create(
        refund_id=new_refund_id(),
        txn=txn,
        reference=reference,
        amount=amount,
        currency=txn.currency,
        refunded_at=timezone.now(),
    )
    audit.record(
        "sandbox_bank.refunded",
        ("payments_sandbox.bankrefund", made.refund_id),
        actor_label="sandbox bank",
        txn=txn.txn_id,
        amount=f"{amount:.2f}",
        reference=reference,
    )
    return made
