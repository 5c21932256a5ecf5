"""The gateways' own ledger: one row per payment attempt on a hosted page.

Like the sandbox bank's, it is the other side of the wire: it knows the order the
merchant's signed link described and what the payer did, and keeps the state of its
notice to the merchant.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class GatewayCharge(models.Model):
    class Gateway(models.TextChoices):
        CARD = "card", "Card gateway"
        CGD = "cgd", "CGD e-Payment"

    class State(models.TextChoices):
        CHALLENGE = "challenge", _("Awaiting the OTP")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", pgettext_lazy("card charge", "Failed")
        CANCELLED = "cancelled", _("Cancelled by the payer")

    class Webhook(models.TextChoices):
        NONE = "none", _("Nothing to send yet")
        PENDING = "pending", _("Notifying the merchant")
        DELIVERED = "delivered", _("Merchant notified")
        FAILED = "failed", _("Notification failed")

    charge_id = models.CharField(max_length=40, unique=True)
    gateway = models.CharField(max_length=4, choices=Gateway.choices)
    merchant_id = models.CharField(max_length=20)
    order_id = models.CharField(max_length=20, help_text="the merchant's order: our Ref2")
    ref1 = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="THB")
    state = models.CharField(max_length=10, choices=State.choices)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    otp_attempts = models.PositiveSmallIntegerField(default=0)
    return_url = models.URLField(max_length=500, blank=True)
    callback_url = models.URLField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    webhook_status = models.CharField(max_length=10, choices=Webhook.choices, default=Webhook.NONE)
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    webhook_response = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_charge_amount_positive")
        ]

    def __str__(self) -> str:
        return self.charge_id


class GatewayRefund(models.Model):
    """A refund the merchant ordered on a succeeded card charge, once per reference."""

    refund_id = models.CharField(max_length=40, unique=True)
    charge = models.ForeignKey(GatewayCharge, on_delete=models.PROTECT, related_name="refunds")
    reference = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_at = models.DateTimeField()

    class Meta:
        ordering = ["-refunded_at", "-id"]

    def __str__(self) -> str:
        return self.refund_id
