"""Delivery log of notifications sent to people."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bizportal.core.models import PersonalDataLabel


class Notification(models.Model):
    """One message to one person over one channel; unique per event and channel so a
    retried delivery never sends twice."""

    PERSONAL_DATA = {"recipient": PersonalDataLabel.PERSONAL}

    class Channel(models.TextChoices):
        EMAIL = "email", "email"

    event_id = models.UUIDField(help_text="the domain event this message tells of")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    application_reference = models.CharField(max_length=30, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["user", "-sent_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "channel"], name="one_notification_per_event_and_channel"
            )
        ]

    def __str__(self) -> str:
        return self.subject
