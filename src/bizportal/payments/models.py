"""Invoices for licence fees, every provider callback we received, and receipts.

The database itself guarantees the money rules that matter most: an application
has at most one unpaid invoice, an amount is positive, and a provider transaction
can pay only one invoice (so a replayed callback cannot pay twice).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class Invoice(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "รอชำระ / Awaiting payment"
        PAID = "paid", "ชำระแล้ว / Paid"
        CANCELLED = "cancelled", "ยกเลิก / Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        max_length=20, unique=True, help_text="INV-2569-000001, per Buddhist-era year"
    )
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="invoices"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    lines = models.JSONField(
        default=list, blank=True, help_text='what the amount is for: [{"item", "amount"}]'
    )
    currency = models.CharField(max_length=3, default="THB")
    ref1 = models.CharField(
        max_length=20, help_text="bill payment Ref1: the application reference, A-Z0-9"
    )
    ref2 = models.CharField(
        max_length=20, unique=True, help_text="bill payment Ref2: the invoice number, A-Z0-9"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(
        max_length=40, blank=True, help_text="payment provider plugin that confirmed it"
    )
    provider_txn_id = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="pending"),
                name="one_unpaid_invoice_per_application",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(paid_at__isnull=False, provider_txn_id__isnull=False),
                name="paid_invoice_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID


class PaymentEvent(models.Model):
    """One callback as it arrived, whatever became of it: the exchange log.

    Kept even when the signature is forged, so an operator can see who knocked.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "accepted: invoice paid"
        DUPLICATE = "duplicate", "duplicate: already processed"
        FORGED = "forged", "refused: signature missing, wrong or expired"
        MALFORMED = "malformed", "refused: body not understood"
        UNKNOWN_INVOICE = "unknown_invoice", "refused: no such invoice"
        WRONG_AMOUNT = "wrong_amount", "refused: amount or currency differs"
        NOT_PAYABLE = "not_payable", "refused: invoice cancelled"
        ERROR = "error", "failed while processing"

    at = models.DateTimeField(auto_now_add=True)
    provider = models.CharField(max_length=40)
    signature_valid = models.BooleanField()
    body = models.TextField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    provider_txn_id = models.CharField(max_length=64, blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["provider", "provider_txn_id"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome} {self.at:%Y-%m-%d %H:%M:%S}"


class Receipt(models.Model):
    """The e-receipt of a paid invoice. The row exists from the moment of payment; the
    PDF is rendered just after, in the background, and fingerprinted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        max_length=20, unique=True, help_text="RC-2569-000001, per Buddhist-era year"
    )
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="receipt")
    pdf = models.FileField(upload_to="receipts/%Y/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number
