"""Cross-cutting records: the audit trail and the transactional outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class PersonalDataLabel(models.TextChoices):
    """PDPA label carried by every model field group that holds data about people.

    The exchange, exports and retention jobs act on this label, never on field names.
    """

    PUBLIC = "public", "public"
    PERSONAL = "personal", "personal"
    SENSITIVE = "sensitive", "sensitive"


class AuditEvent(models.Model):
    """One state change or data access, written in the same transaction as the change.

    Rows form a hash chain (``core.audit``): ``seq`` numbers them without gaps, and
    ``hash`` covers the row's content and the previous row's hash, so an edited, removed
    or inserted row breaks every link after it (``manage.py verify_audit``). On
    PostgreSQL a trigger refuses UPDATE and DELETE on this table.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Set before the row is hashed (not auto_now_add, which would set it after).
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
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
    on_behalf_of = models.CharField(
        max_length=40,
        blank=True,
        help_text="the party the actor acted for, when not themselves (company, grantor)",
    )
    mandate = models.CharField(
        max_length=36, blank=True, help_text="public id of the mandate the actor acted under"
    )
    seq = models.PositiveBigIntegerField(
        unique=True, editable=False, help_text="position in the hash chain, from 1, no gaps"
    )
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the row's content and prev_hash"
    )

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            models.Index(fields=["on_behalf_of", "at"], name="audit_party_idx"),
            models.Index(fields=["mandate", "at"], name="audit_mandate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """A signed statement that the audit chain reached ``seq`` with ``hash`` at ``at``.

    Written by ``manage.py anchor_audit`` on a schedule. A chain rewritten consistently
    from some row on (every hash recomputed) still disagrees with the checkpoints signed
    before the rewrite, and the attacker cannot sign new ones without the key.
    """

    seq = models.PositiveBigIntegerField(help_text="last audit row covered")
    hash = models.CharField(max_length=64, help_text="that row's hash")
    at = models.DateTimeField(help_text="when the checkpoint was signed")
    algorithm = models.CharField(max_length=20, help_text="Ed25519 or ECDSA-SHA256")
    key_id = models.CharField(
        max_length=64, help_text="SHA-256 of the public key (DER), to find the verifying key"
    )
    signature = models.TextField(help_text="base64 signature over the canonical statement")

    class Meta:
        ordering = ["-seq", "-at"]

    def __str__(self) -> str:
        return f"checkpoint {self.seq} at {self.at:%Y-%m-%d %H:%M}"


class DomainEvent(models.Model):
    """Something that happened, announced by the app that made it happen.

    Written in the same transaction as the change, so the stream never tells of a
    change that rolled back. The stream is what notifications, service-level clocks,
    integrations and timelines read; each of them gets its own :class:`OutboxMessage`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)
    occurred_at = models.DateTimeField(auto_now_add=True)
    subject_type = models.CharField(max_length=80, help_text="app_label.model of the subject")
    subject_id = models.CharField(max_length=80, help_text="public id of the subject")
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(
                fields=["subject_type", "subject_id", "occurred_at"],
                name="core_domain_subject_7a1f0e_idx",
            ),
            models.Index(fields=["name", "occurred_at"], name="core_domain_name_3c2b9d_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.subject_type}:{self.subject_id}"


class OutboxMessage(models.Model):
    """One event on its way to one subscriber, stored with the change that caused it.

    The relay task delivers pending messages after commit; a message is marked
    delivered in the same transaction as the subscriber's own writes, so a crash
    repeats, never loses, it. Subscribers that reach outside (email, HTTP) keep their
    own record keyed on the message id so a repeat does not send twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=120)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="not tried again before this time (backoff)"
    )
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_status_next_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="one_delivery_per_event_and_subscriber"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="delivered") | models.Q(delivered_at__isnull=False),
                name="delivered_message_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} {self.status}"


class Sequence(models.Model):
    """Gap-free yearly counters behind every human-readable number (BP-2569-000001,
    INV-…, RC-…, BMA-FD-…): one row per prefix and Buddhist-era year."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="one_sequence_per_prefix_year")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"
