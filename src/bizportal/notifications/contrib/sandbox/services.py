"""What the sandbox providers do: accept messages, play outages, send SMS receipts.

Their records and audit entries commit together; the SMS delivery receipt is posted to
the portal after commit by a task, never while a transaction is open.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bizportal.core import audit
from bizportal.payments.contrib.sandbox import signing

from .models import SandboxLinePush, SandboxOutage, SandboxSms

RECEIPT_TIMEOUT_SECONDS = 10


class Outage(Exception):
    """The gateway plays an outage for this request."""


@transaction.atomic
def consume_outage(gateway: str) -> str:
    """The outage mode this request falls into ("" for none); counts it down (in a
    transaction of its own, so a refused request still counts)."""
    outage = SandboxOutage.objects.select_for_update().filter(gateway=gateway).first()
    if outage is None or outage.remaining == 0:
        return ""
    outage.remaining -= 1
    outage.save(update_fields=["remaining"])
    return outage.mode


@transaction.atomic
def set_outage(gateway: str, mode: str, count: int) -> SandboxOutage:
    outage, _ = SandboxOutage.objects.update_or_create(
        gateway=gateway, defaults={"mode": mode, "remaining": count}
    )
    audit.record(
        "sandbox_messaging.outage_set",
        ("notifications_sandbox.sandboxoutage", gateway),
        actor_label="sandbox operator",
        mode=mode,
        count=count,
    )
    return outage


def accept_sms(
    *, key: str, to: str, sender: str, text: str, callback_url: str
) -> tuple[SandboxSms, bool, bool]:
    """Take one SMS: (message, new, answer lost). The same idempotency key returns the
    message taken before; "answer lost" asks the view to answer 503 although the message
    was kept (the outage that tests "accepted, but the sender never heard")."""
    known = SandboxSms.objects.filter(idempotency_key=key).first()
    if known is not None:
        return known, False, False
    mode = consume_outage("sms")
    if mode == SandboxOutage.Mode.REFUSE:
        raise Outage("refused")
    with transaction.atomic():
        return _keep_sms(key, to, sender, text, callback_url, mode)


def _keep_sms(
    key: str, to: str, sender: str, text: str, callback_url: str, mode: str
) -> tuple[SandboxSms, bool, bool]:
    sms = SandboxSms.objects.create(
        message_id=f"SMS{timezone.now():%Y%m%d}{secrets.token_hex(8).upper()}",
        idempotency_key=key,
        to=to,
        sender=sender,
        text=text,
        callback_url=callback_url,
    )
    audit.record(
        "sandbox_messaging.sms_accepted",
        ("notifications_sandbox.sandboxsms", sms.message_id),
        actor_label="sandbox sms gateway",
    )
    message_id = sms.message_id
    transaction.on_commit(lambda: _enqueue_receipt(message_id))
    return sms, True, mode == SandboxOutage.Mode.LOSE_ANSWER


def _enqueue_receipt(message_id: str) -> None:
    from .tasks import send_sms_receipt

    send_sms_receipt.enqueue(message_id)


def deliver_receipt(message_id: str) -> SandboxSms:
    """POST the signed delivery receipt to the callback the sender named."""
    sms = SandboxSms.objects.get(message_id=message_id)
    if sms.receipt == SandboxSms.Receipt.SENT or not sms.callback_url:
        return sms
    body = json.dumps(
        {
            "message_id": sms.message_id,
            "reference": sms.idempotency_key,
            "status": "delivered",
            "at": timezone.now().isoformat(),
        },
        separators=(",", ":"),
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        signing.HEADER: signing.sign(body, settings.SMS_WEBHOOK_SECRET),
    }
    try:
        response = requests.post(
            sms.callback_url, data=body, headers=headers, timeout=RECEIPT_TIMEOUT_SECONDS
        )
        ok, answer = 200 <= response.status_code < 300, f"HTTP {response.status_code}"
    except requests.RequestException as error:
        ok, answer = False, repr(error)
    with transaction.atomic():
        sms = SandboxSms.objects.select_for_update().get(pk=sms.pk)
        sms.receipt_attempts += 1
        sms.receipt = SandboxSms.Receipt.SENT if ok else SandboxSms.Receipt.FAILED
        sms.receipt_answer = answer[:300]
        sms.save(update_fields=["receipt_attempts", "receipt", "receipt_answer"])
    return sms


def resend_receipts(older_than: dt.datetime, *, limit: int = 100) -> int:
    """Receipts still pending (their task lost) or failed are sent again; for the sweeper."""
    due = SandboxSms.objects.filter(
        receipt__in=[SandboxSms.Receipt.PENDING, SandboxSms.Receipt.FAILED],
        received_at__lt=older_than,
        receipt_attempts__lt=5,
    ).order_by("pk")
    ids = list(due.values_list("message_id", flat=True)[:limit])
    for message_id in ids:
        deliver_receipt(message_id)
    return len(ids)


def accept_line_push(*, retry_key: str, to: str, text: str) -> tuple[SandboxLinePush, bool, bool]:
    """Take one push: (push, new, answer lost); a retry key seen before returns that
    push (LINE answers 409)."""
    if retry_key:
        known = SandboxLinePush.objects.filter(retry_key=retry_key).first()
        if known is not None:
            return known, False, False
    mode = consume_outage("line")
    if mode == SandboxOutage.Mode.REFUSE:
        raise Outage("refused")
    with transaction.atomic():
        push = SandboxLinePush.objects.create(
            request_id=secrets.token_hex(16), retry_key=retry_key or None, to=to, text=text
        )
        audit.record(
            "sandbox_messaging.line_pushed",
            ("notifications_sandbox.sandboxlinepush", push.request_id),
            actor_label="sandbox line",
        )
    return push, True, mode == SandboxOutage.Mode.LOSE_ANSWER


def line_user_id() -> str:
    """A new LINE user id in LINE's shape (``U`` and 32 hex digits)."""
    return "U" + secrets.token_hex(16)
