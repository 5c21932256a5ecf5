"""Cross-cutting records: the audit trail and the transactional outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PersonalDataLabel(models.TextChoices):
    """PDPA label carried by every model field group that holds data about people.

    The exchange, exports and retention jobs act on this label, never on field names.
    """

    PUBLIC = "public", "public"
    PERSONAL = "personal", "personal"
    SENSITIVE = "sensitive", "sensitive"


class AuditEvent(models.Model):
    """One state change or data access, written in the same transaction as the change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="who, when no user (a system, a provider)"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=80)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class OutboxMessage(models.Model):
    """A side effect that leaves the process, stored with the change that caused it.

    The dispatcher task delivers pending messages after commit; a message is marked
    delivered only after its handler succeeded, so a crash repeats, never loses, it.
    Handlers are idempotent on ``id``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    topic = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.topic} {self.status}"
