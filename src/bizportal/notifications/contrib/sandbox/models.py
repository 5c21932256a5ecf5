"""What the sandbox providers record: each SMS and each LINE push they accepted, and
the outages an operator (or a test) asked them to play."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bizportal.core.models import PersonalDataLabel


class SandboxSms(models.Model):
    PERSONAL_DATA = {"to": PersonalDataLabel.PERSONAL, "text": PersonalDataLabel.PERSONAL}

    class Receipt(models.TextChoices):
        PENDING = "pending", _("Receipt pending")
        SENT = "sent", _("Receipt sent")
        FAILED = "failed", _("Receipt failed")

    message_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    to = models.CharField(max_length=20)
    sender = models.CharField(max_length=11)
    text = models.TextField()
    callback_url = models.URLField(max_length=500)
    received_at = models.DateTimeField(auto_now_add=True)
    receipt = models.CharField(max_length=8, choices=Receipt.choices, default=Receipt.PENDING)
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_answer = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "sandbox SMS"

    def __str__(self) -> str:
        return self.message_id


class SandboxLinePush(models.Model):
    PERSONAL_DATA = {"to": PersonalDataLabel.PERSONAL, "text": PersonalDataLabel.PERSONAL}

    request_id = models.CharField(max_length=40, unique=True)
    retry_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    to = models.CharField(max_length=40)
    text = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.request_id


class SandboxOutage(models.Model):
    """The next ``remaining`` requests to ``gateway`` fail: ``refuse`` answers 503 and
    keeps nothing; ``lose_answer`` keeps the message and then answers 503, as when the
    provider accepted but the answer was lost on the way (the retry must not send twice)."""

    class Mode(models.TextChoices):
        REFUSE = "refuse", _("Refuse (503)")
        LOSE_ANSWER = "lose_answer", _("Accept, lose the answer")

    gateway = models.CharField(
        max_length=4, unique=True, choices=[("sms", "SMS"), ("line", "LINE")]
    )
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.REFUSE)
    remaining = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.gateway} {self.mode} x{self.remaining}"
