"""How a service's applications reach the agency that decides them.

Each service is decided in the portal's back office (the default), in the agency's own
system online, or in the agency's system by a daily batch. The setting is versioned
like the rest of a service's definition: a change makes a new version and keeps the old
ones, so what was forwarded under which mapping can always be told afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Service
from bizportal.exchange.models import AgencySystem


class Mode(models.TextChoices):
    BACKOFFICE = "backoffice", _("decided in the portal's back office")
    ONLINE = "online", _("forwarded online to the agency's system")
    BATCH = "batch", _("forwarded to the agency's system in a daily batch")


class IntegrationVersion(models.Model):
    """One version of a service's integration with its agency's system.

    ``field_mapping`` maps each field of the agency's schema to a JMESPath expression
    over the application package (``answers``, ``holder``, ``application``, ...), e.g.
    ``{"shop_name": "answers.business_name", "owner_id": "holder.id"}``; every expression
    is compiled when saved. ``documents`` lists the codes of the documents that travel."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField()
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BACKOFFICE)
    agency_system = models.ForeignKey(
        AgencySystem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the agency's system that receives the applications and calls back",
    )
    endpoint_url = models.URLField(blank=True, help_text="where online forwarding POSTs")
    field_mapping = models.JSONField(default=dict, blank=True)
    documents = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, help_text="what changed in this version")
    is_current = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "version"], name="integration_version_unique"
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(is_current=True),
                name="one_current_integration_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} v{self.version} ({self.mode})"


class ForwardingState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    BATCHED = "batched", _("in a daily batch")
    DELIVERED = "delivered", _("received by the agency's system")
    ACKNOWLEDGED = "acknowledged", _("acknowledged by the agency")
    DECIDED = "decided", _("decided by the agency")
    DEAD = "dead", _("undeliverable, waiting for an admin")


#: States in which the agency's system may still report on the forwarding.
OPEN_STATES = (
    ForwardingState.PENDING,
    ForwardingState.BATCHED,
    ForwardingState.DELIVERED,
    ForwardingState.ACKNOWLEDGED,
    ForwardingState.DEAD,
)


class Batch(models.Model):
    """One day's applications for an agency system that takes batches: the files as
    built (JSON Lines and CSV), their manifest and checksums. Built once, never changed,
    so a download repeated a week later gives the same bytes."""

    public_id = models.UUIDField(unique=True, editable=False)
    agency_system = models.ForeignKey(AgencySystem, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="the working day the batch closes (Asia/Bangkok)")
    created_at = models.DateTimeField(auto_now_add=True)
    items_jsonl = models.TextField()
    items_csv = models.TextField()
    manifest = models.JSONField()
    count = models.PositiveIntegerField()
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["agency_system", "day"], name="one_batch_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_system_id} {self.day} ({self.count})"


class Forwarding(models.Model):
    """One hand-over of an application to the agency's system, from the forward step to
    the agency's decision. ``public_id`` is the idempotency key the agency sees: every
    retry of the same hand-over carries it, so the agency can store it once."""

    public_id = models.UUIDField(unique=True, editable=False)
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="forwardings"
    )
    integration = models.ForeignKey(IntegrationVersion, on_delete=models.PROTECT, related_name="+")
    agency_system = models.ForeignKey(AgencySystem, on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    step = models.CharField(max_length=100, help_text="the BPMN id of the forward step")
    state = models.CharField(
        max_length=12, choices=ForwardingState.choices, default=ForwardingState.PENDING
    )
    package = models.JSONField(help_text="the package as built when the step was reached")
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="forwardings"
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    agency_status = models.CharField(max_length=200, blank=True)
    decision = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the delivery loop: due online forwardings, oldest first
            models.Index(fields=["state", "next_attempt_at"], name="forwarding_due"),
            # the agency API's list, newest first by keyset
            models.Index(fields=["agency_system", "-created_at", "-id"], name="forwarding_agency"),
            models.Index(fields=["agency_system", "state", "-created_at"], name="forwarding_state"),
        ]
        constraints = [
            # One open hand-over per application: the step is entered once at a time.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=["pending", "batched", "delivered", "acknowledged", "dead"]),
                name="one_open_forwarding_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.state})"


class ForwardingAttempt(models.Model):
    """One try at delivering a forwarding online: kept whatever its outcome, so the
    exchange history shows every attempt (time, status, latency, what came back)."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("delivered")
        REFUSED = "refused", _("refused by the agency (4xx)")
        FAILED = "failed", _("the agency's server failed (5xx)")
        TIMEOUT = "timeout", _("timed out")
        UNREACHABLE = "unreachable", _("could not connect")

    forwarding = models.ForeignKey(Forwarding, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["forwarding", "number"]
        constraints = [
            models.UniqueConstraint(fields=["forwarding", "number"], name="attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.forwarding_id} #{self.number} {self.outcome}"


class UpdateType(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("acknowledge")
    STATUS = "status", _("status update")
    CORRECT = "correct", _("request a correction")
    APPROVE = "approve", _("approve")
    REJECT = "reject", _("reject")


DECISIONS = (UpdateType.CORRECT, UpdateType.APPROVE, UpdateType.REJECT)


class StatusUpdate(models.Model):
    """What an agency's system reported about one of its applications, as received.

    ``sequence`` is the agency's own counter per application: a repeat of a sequence is
    answered with the first answer and applied once, and an update older than the
    newest applied one is kept but not applied (``stale``)."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        STALE = "stale", _("older than one already applied")

    forwarding = models.ForeignKey(Forwarding, on_delete=models.PROTECT, related_name="updates")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+"
    )
    sequence = models.PositiveIntegerField()
    type = models.CharField(max_length=12, choices=UpdateType.choices)
    body = models.JSONField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    source = models.CharField(max_length=10, default="api", help_text="api or batch")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sequence"], name="status_update_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.sequence} {self.type} ({self.outcome})"
