"""The sandbox bank's own ledger: what the payer's bank records when they pay.

It is deliberately separate from the portal's invoices: the bank knows only what the
QR code told it (biller, references, amount) and what the portal answered to its
webhook, like a real bank on the other side of the network.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizportal.payments import thaiqr


class BankTransaction(models.Model):
    class Webhook(models.TextChoices):
        PENDING = "pending", _("Notifying the biller")
        DELIVERED = "delivered", _("Biller notified")
        FAILED = "failed", _("Biller notification failed")

    txn_id = models.CharField(max_length=40, unique=True)
    payload = models.TextField(help_text="the Thai QR payload as scanned")
    biller_id = models.CharField(max_length=15)
    ref1 = models.CharField(max_length=20)
    ref2 = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="THB")
    paid_at = models.DateTimeField()
    webhook_status = models.CharField(
        max_length=10, choices=Webhook.choices, default=Webhook.PENDING
    )
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    webhook_response = models.TextField(blank=True, help_text="the biller's answer, truncated")
    webhook_retry_at = models.DateTimeField(
        null=True, blank=True, help_text="when the bank tries again after a transient failure"
    )
    return_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_txn_amount_positive")
        ]

    def __str__(self) -> str:
        return self.txn_id

    @property
    def scheme(self) -> str:
        """``promptpay`` for a credit transfer (tag 29), else ``billpay`` (tag 30)."""
        try:
            return thaiqr.read_any(self.payload).scheme
        except thaiqr.PayloadError:
            return "billpay"

    def webhook_body(self) -> dict[str, str]:
        """The notification the bank sends the biller (the sandbox bank's wire format);
        a PromptPay transfer says so (``scheme``) and names the proxy in ``biller_id``."""
        extra = {"scheme": "promptpay"} if self.scheme == "promptpay" else {}
        return {
            **extra,
            "txn_id": self.txn_id,
            "biller_id": self.biller_id,
            "ref1": self.ref1,
            "ref2": self.ref2,
            "amount": f"{self.amount:.2f}",
            "currency": self.currency,
            "paid_at": self.paid_at.isoformat(),
        }


class BankRefund(models.Model):
    """A refund the biller ordered on one of the bank's transactions.

    ``reference`` is the biller's own identifier of the refund and is unique, so an
    order sent twice (a retry after a lost answer) refunds once and gets the same answer.
    """

    refund_id = models.CharField(max_length=40, unique=True)
    txn = models.ForeignKey(BankTransaction, on_delete=models.PROTECT, related_name="refunds")
    reference = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="THB")
    refunded_at = models.DateTimeField()

    class Meta:
        ordering = ["-refunded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_refund_amount_positive")
        ]

    def __str__(self) -> str:
        return self.refund_id

    def answer(self) -> dict[str, str]:
        """What the bank answers about this refund (its wire format)."""
        return {
            "status": "completed",
            "refund_id": self.refund_id,
            "reference": self.reference,
            "txn_id": self.txn.txn_id,
            "amount": f"{self.amount:.2f}",
            "currency": self.currency,
            "refunded_at": self.refunded_at.isoformat(),
        }


class CounterPayment(models.Model):
    """Cash taken at one of the bank's counters (or ATMs) against a pay-in slip's
    barcode. The bank tells the biller nothing at the time: the day's payments go out
    in the next morning's bill-payment file (``billpayfile``)."""

    journal_no = models.CharField(max_length=12, unique=True)
    barcode = models.CharField(max_length=100, help_text="the slip's barcode as scanned")
    biller_id = models.CharField(max_length=15)
    ref1 = models.CharField(max_length=20)
    ref2 = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    customer_name = models.CharField(max_length=50, blank=True)
    branch = models.CharField(max_length=4, default="0001")
    teller = models.CharField(max_length=4, default="T001")
    channel = models.CharField(max_length=3, default="CSH", help_text="CSH counter, ATM")
    paid_at = models.DateTimeField()

    class Meta:
        ordering = ["paid_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="sandbox_counter_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return self.journal_no
