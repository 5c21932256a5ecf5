"""Special days of the calendar and the service-level clocks of applications."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SpecialDay(models.Model):
    """A day the cabinet (or the agency's rules) announces: an extra day off, or a
    working day that the calendar would otherwise give off. Wins over the official
    holidays and the weekend for that date."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Special day off")
        WORKING_DAY = "working_day", _("Working day")

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.HOLIDAY)
    name_th = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    announcement = models.CharField(
        max_length=300, blank=True, help_text="the cabinet resolution or notice, for the record"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("Special day")

    def __str__(self) -> str:
        return f"{self.date}: {self.name_th} / {self.name_en}"


class State(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Overdue")
    MET = "met", _("Met")


class Clock(models.Model):
    """The service-level clock of one application: when it reached the agency, the
    working days the manual promises, time paused while the applicant had to act, and
    the due date that follows. Rebuilt from the application's history on each of its
    events (``services.refresh_clock``), so a repeated or late event changes nothing."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="sla_clock"
    )
    agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="copied from the application: the due-date worklist reads one index",
    )
    sla_days = models.PositiveSmallIntegerField(
        help_text="working days promised, pinned from the service when the clock started"
    )
    started_at = models.DateTimeField(help_text="when the application reached the agency")
    paused_since = models.DateTimeField(
        null=True, blank=True, help_text="waiting for the applicant (correction, payment)"
    )
    paused_days = models.PositiveSmallIntegerField(
        default=0, help_text="working days of finished pauses, added to the due date"
    )
    due_on = models.DateField()
    stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="the application reached a final status"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ON_TRACK)
    at_risk_alerted_at = models.DateTimeField(null=True, blank=True)
    breach_alerted_at = models.DateTimeField(null=True, blank=True)
    recount = models.BooleanField(
        default=False,
        help_text="a special day changed the calendar under it: the sweeper counts again",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(recount=True), name="sla_recount_idx"),
            # The due-date worklist: open clocks of one agency, earliest due first.
            models.Index(
                fields=["agency", "due_on", "application"],
                condition=Q(stopped_at__isnull=True),
                name="sla_open_by_due_idx",
            ),
            # The sweeper's scan for alerts.
            models.Index(
                fields=["due_on"],
                condition=Q(stopped_at__isnull=True, paused_since__isnull=True),
                name="sla_running_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: due {self.due_on}"


class StepClock(models.Model):
    """The operational-level clock of one agency step of an application (a review, an
    inspection, the agency system's decision): its own target in working days."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=80, help_text="BPMN id of the step")
    step_name = models.CharField(max_length=300)
    step_type = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    ola_days = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "step", "started_at"], name="one_step_clock_per_visit"
            )
        ]
        indexes = [
            # The reports recount a day of completed steps by range.
            models.Index(
                fields=["completed_at"],
                condition=Q(completed_at__isnull=False),
                name="step_completed_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step}: due {self.due_on}"

    def met(self) -> bool | None:
        """Whether the step ended by its due date (None while it runs)."""
        if self.completed_at is None:
            return None
        return local_date(self.completed_at) <= self.due_on


def local_date(moment: dt.datetime) -> dt.date:
    """The date in Bangkok of an aware moment (the calendar is a Thai one)."""
    from django.utils import timezone

    return timezone.localtime(moment).date()
