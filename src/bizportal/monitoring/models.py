"""Alerts the detection rules raise, for the security contact to follow up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from bizportal.core.models import PersonalDataLabel


class SecurityAlert(models.Model):
    """One suspected attack: a rule crossed its threshold for one key (an address, an
    account, an agency system). While it is open, further crossings add to it instead
    of raising another, so the security contact hears of an attack once."""

    #: The key is a source address or an account name: personal data (PDPA).
    PERSONAL_DATA = {"key": PersonalDataLabel.PERSONAL}

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("security alert", "Open")
        CLOSED = "closed", pgettext_lazy("security alert", "Closed")

    rule = models.CharField(max_length=40)
    key = models.CharField(max_length=200, help_text="the address, account or system")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    crossings = models.PositiveIntegerField(
        default=1, help_text="windows in which the rule's threshold was crossed"
    )
    observed = models.PositiveIntegerField(help_text="what was counted when it was raised")
    threshold = models.PositiveIntegerField()
    window_seconds = models.PositiveIntegerField()
    notified = models.JSONField(default=list, blank=True, help_text="who was told")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["status", "-last_seen"], name="alert_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"],
                condition=Q(status="open"),
                name="one_open_alert_per_rule_and_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.key}"


class ConnectionCheck(models.Model):
    """One probe of one connection: kept (for an hour's percentiles and error rate,
    and as the record of when a system was seen down) and pruned after a week."""

    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    agency = models.CharField(max_length=40, blank=True, help_text="the agency's code")
    ok = models.BooleanField()
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["key", "-at"], name="check_key_at_idx")]

    def __str__(self) -> str:
        return f"{self.key} {'up' if self.ok else 'down'} {self.at.isoformat()}"


class ConnectionIncident(models.Model):
    """A connection failing for longer than ``CONNECTION_DOWN_AFTER``: opened once, when
    the failure has lasted that long, and closed when a probe succeeds again. The
    agency's IT contact is told at each of the two, never in between."""

    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    agency = models.CharField(max_length=40, blank=True)
    label = models.CharField(max_length=300)
    failing_since = models.DateTimeField(help_text="the first failed probe of the run")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    notified = models.JSONField(default=list, blank=True, help_text="who was told")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(closed_at=None), name="one_open_incident_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} {'open' if self.closed_at is None else 'closed'}"
