"""Messages to people, how each was delivered, and how people want to be reached.

* :class:`Notification` is one message to one person (or one agency mailbox) about one
  domain event; unique per event, message key and recipient, so a redelivered event
  creates nothing twice.
* :class:`Delivery` is that message on one channel (email, SMS, in-app inbox, LINE):
  the delivery log, with its attempts, backoff and the provider's message id. The
  delivery's ``public_id`` is the idempotency key the provider sees, so a retry after
  the provider accepted the message never reaches the person twice.
* :class:`InboxMessage` is what the in-app channel delivers: one row per delivery.
* :class:`MessageTemplate` holds the texts (event × audience × channel × language),
  editable by administrators and validated before they are saved.
* :class:`ContactPreference` and :class:`ContactVerification` are the person's own
  choices: verified contact details, channels per kind of message, quiet hours.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizportal.core.models import PersonalDataLabel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", "SMS"
    INBOX = "inbox", _("In-app inbox")
    LINE = "line", "LINE"


class Kind(models.TextChoices):
    """Kinds of message a person chooses channels for."""

    STATUS = "status", _("Application updates")
    PAYMENTS = "payments", _("Payments")
    LICENCE = "licence", _("Licence changes")
    REMINDERS = "reminders", _("Reminders")
    WORKLIST = "worklist", _("Agency worklist (officers)")
    SECURITY = "security", _("Verification codes")


class Audience(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    OFFICER = "officer", _("Officer")
    AGENCY = "agency", _("Agency mailbox")


class Language(models.TextChoices):
    TH = "th", _("Thai")
    EN = "en", _("English")


class Notification(models.Model):
    """One message to one recipient about one event (the delivery log's parent)."""

    PERSONAL_DATA = {
        "mailbox": PersonalDataLabel.PERSONAL,
        "subject": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(help_text="the domain event this message tells of")
    key = models.CharField(max_length=60, help_text="the message in the catalogue")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    urgent = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    mailbox = models.EmailField(blank=True, help_text="an agency mailbox, when no person")
    recipient_key = models.CharField(
        max_length=280, help_text="user:<id> or mailbox:<address>; part of the dedup key"
    )
    subject = models.CharField(max_length=250)
    link = models.URLField(max_length=500, blank=True)
    application_reference = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "key", "recipient_key"],
                name="one_notification_per_event_key_recipient",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One message on one channel to one address: the delivery log."""

    PERSONAL_DATA = {
        "address": PersonalDataLabel.PERSONAL,
        "body": PersonalDataLabel.PERSONAL,
    }

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="the idempotency key"
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254, help_text="email, mobile, LINE user id or user")
    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="not before (quiet hours, backoff)")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["channel", "provider_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="one_delivery_per_message_and_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class InboxMessage(models.Model):
    """A message in a person's in-app inbox (what the inbox channel delivers)."""

    PERSONAL_DATA = {"body": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    delivery = models.OneToOneField(
        Delivery, on_delete=models.CASCADE, related_name="inbox_message"
    )
    subject = models.CharField(max_length=250)
    body = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"]),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="inbox_unread_by_user"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class MessageTemplate(models.Model):
    """The text of one message for one audience, channel and language (Django template
    syntax over the message's documented variables)."""

    key = models.CharField(max_length=60)
    audience = models.CharField(max_length=10, choices=Audience.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.TH)
    subject = models.CharField(max_length=250, blank=True)
    body = models.TextField()
    urgent = models.BooleanField(
        default=False, help_text="sent by SMS even during the person's quiet hours"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "audience", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "audience", "channel", "language"],
                name="one_template_per_key_audience_channel_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.audience} · {self.channel} · {self.language}"


def default_quiet_start() -> dt.time:
    return dt.time(21, 0)


def default_quiet_end() -> dt.time:
    return dt.time(7, 0)


class ContactPreference(models.Model):
    """Where and how a person is reached: verified contact details, channels per kind
    of message, quiet hours for SMS (in Asia/Bangkok time)."""

    PERSONAL_DATA = {
        "mobile": PersonalDataLabel.PERSONAL,
        "line_user_id": PersonalDataLabel.PERSONAL,
    }

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_preference"
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.TH)
    channels = models.JSONField(
        default=dict, blank=True, help_text="kind -> list of channels; absent = the defaults"
    )
    mobile = models.CharField(max_length=20, blank=True, help_text="verified by a code")
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(
        null=True, blank=True, help_text="when the account email was last verified here"
    )
    line_user_id = models.CharField(max_length=40, blank=True)
    line_linked_at = models.DateTimeField(null=True, blank=True)
    quiet_start = models.TimeField(default=default_quiet_start)
    quiet_end = models.TimeField(default=default_quiet_end)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class ContactVerification(models.Model):
    """A one-time code sent to a new email address or mobile number; the new value is
    used only once the code has been entered."""

    PERSONAL_DATA = {"value": PersonalDataLabel.PERSONAL}

    class Medium(models.TextChoices):
        EMAIL = "email", _("Email")
        MOBILE = "mobile", _("Mobile")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_verifications"
    )
    medium = models.CharField(max_length=6, choices=Medium.choices)
    value = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="verified, superseded or out of attempts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "medium", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.medium} verification {self.public_id}"
