"""The sandbox bank's side of counter bill payment: reading a slip's barcode at the
counter, taking the cash, and writing the next morning's bill-payment file for the
biller in the layout of :mod:`bizportal.payments.billpay`.

The file is served over HTTP signed with the bank's webhook key (the same
``X-BizPortal-Signature`` HMAC over the raw bytes), so the biller can fetch it
unattended and trust it; a real bank delivers it by SFTP or its cash-management site.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit
from bizportal.payments import billpay, thaiqr

from .models import CounterPayment

BANK_CODE = "999"  # the sandbox bank's code in files (Thai banks' codes are 002-073)
BANK_NAME = "SANDBOX BANK"


def read_barcode(text: str) -> tuple[str, str, str, Decimal]:
    """Biller ID, Ref1, Ref2 and amount from a slip's barcode; scanners send the CR
    separators as typed Enter keys, so CR, LF and CRLF are all taken."""
    parts = text.strip().replace("\r\n", "\r").replace("\n", "\r").split("\r")
    if len(parts) != 4 or not parts[0].startswith("|"):
        raise thaiqr.PayloadError(
            _("Not a bill-payment barcode (|biller ID CR Ref1 CR Ref2 CR amount)")
        )
    biller_id, ref1, ref2, cents = parts[0][1:], parts[1], parts[2], parts[3]
    if not thaiqr.BILLER_RE.match(biller_id) or not thaiqr.REFERENCE_RE.match(ref1):
        raise thaiqr.PayloadError(_("The barcode's biller ID or Ref1 is invalid"))
    if ref2 and not thaiqr.REFERENCE_RE.match(ref2):
        raise thaiqr.PayloadError(_("The barcode's Ref2 is invalid"))
    try:
        amount = Decimal(int(cents)) / 100
    except (ValueError, InvalidOperation):
        raise thaiqr.PayloadError(
            _("The barcode's amount %(value)s is not digits") % {"value": repr(cents[:20])}
        ) from None
    return biller_id, ref1, ref2, amount


@transaction.atomic
def take_cash(barcode: str, *, amount: Decimal | None = None, customer: str = "") -> CounterPayment:
    """The teller scans the slip and takes the cash. A slip with amount 0 lets the payer
    choose; otherwise the teller takes the slip's amount (``amount`` may say otherwise,
    which is how a wrong amount reaches the file)."""
    biller_id, ref1, ref2, printed = read_barcode(barcode)
    paid = amount if amount is not None else printed
    if paid <= 0:
        raise thaiqr.PayloadError(_("Please enter the amount"))
    payment = CounterPayment.objects.create(
        journal_no=f"{secrets.randbelow(10**12):012d}",
        barcode=barcode[:100],
        biller_id=biller_id,
        ref1=ref1,
        ref2=ref2,
        amount=paid,
        customer_name=customer.encode(billpay.ENCODING, "replace").decode(billpay.ENCODING)[:50],
        paid_at=timezone.now(),
    )
    audit.record(
        "sandbox_bank.counter_paid",
        ("payments_sandbox.counterpayment", payment.journal_no),
        actor_label="sandbox bank teller",
        biller_id=biller_id,
        ref1=ref1,
        ref2=ref2,
        amount=f"{paid:.2f}",
    )
    return payment


def daily_file(day: dt.date, biller_id: str = "") -> bytes:
    """The bill-payment file of ``day`` (local time) for the biller (default: ours)."""
    biller_id = biller_id or settings.PAYMENT_BILLER_ID
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    payments = list(
        CounterPayment.objects.filter(
            biller_id=biller_id, paid_at__gte=start, paid_at__lt=start + dt.timedelta(days=1)
        ).order_by("paid_at", "id")
    )
    lines = [
        billpay.record(
            billpay.HEADER,
            {
                "record_type": "H",
                "sequence": "1",
                "bank_code": BANK_CODE,
                "biller_id": biller_id,
                "biller_name": "BIZ PORTAL",
                "file_date": f"{day:%d%m%Y}",
            },
        )
    ]
    for number, payment in enumerate(payments, 2):
        when = timezone.localtime(payment.paid_at)
        lines.append(
            billpay.record(
                billpay.DETAIL,
                {
                    "record_type": "D",
                    "sequence": str(number),
                    "bank_code": BANK_CODE,
                    "biller_id": biller_id,
                    "payment_date": f"{when:%d%m%Y}",
                    "payment_time": f"{when:%H%M%S}",
                    "customer_name": payment.customer_name,
                    "ref1": payment.ref1,
                    "ref2": payment.ref2,
                    "branch": payment.branch,
                    "teller": payment.teller,
                    "kind": "C",
                    "channel": payment.channel,
                    "journal_no": payment.journal_no,
                    "amount": billpay.satang(payment.amount),
                },
            )
        )
    total = sum((payment.amount for payment in payments), Decimal(0))
    lines.append(
        billpay.record(
            billpay.TRAILER,
            {
                "record_type": "T",
                "sequence": str(len(lines) + 1),
                "bank_code": BANK_CODE,
                "biller_id": biller_id,
                "total_count": str(len(payments)),
                "total_amount": billpay.satang(total),
            },
        )
    )
    return ("\r\n".join(lines) + "\r\n").encode(billpay.ENCODING)
