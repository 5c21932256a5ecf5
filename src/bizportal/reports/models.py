"""Aggregate tables the reports read instead of scanning every application.

Why: an executive's dashboard over a million applications must answer in a fraction of
a second. Each table holds counts per day and per dimension, never a person: the
refresh (:mod:`bizportal.reports.refresh`) recomputes only the days whose applications,
decisions or payments changed since it last ran, so its cost follows the day's
activity, not the size of the history. Reports sum these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationFact(models.Model):
    """Applications submitted on ``day`` with these dimensions, by their status now."""

    day = models.DateField(help_text="the local date the application was first submitted")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6)
    channel = models.CharField(max_length=8)
    province = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the counter officer who filed them; blank: online",
    )
    applications = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "agency"], name="report_app_day_idx"),
            models.Index(fields=["agency", "day"], name="report_app_agency_day_idx"),
            models.Index(fields=["filed_by", "day"], name="report_app_counter_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service_id} {self.status}: {self.applications}"


class DecisionFact(models.Model):
    """Applications decided on ``day`` that took ``working_days`` from submission: a
    histogram, so medians and 90th percentiles come from a few hundred rows."""

    day = models.DateField(help_text="the local date of the decision")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=20, help_text="the final status")
    working_days = models.PositiveSmallIntegerField()
    on_time = models.BooleanField(
        null=True, help_text="decided by the service-level due date; blank: no clock"
    )
    decisions = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "agency"], name="report_decision_day_idx"),
            models.Index(fields=["agency", "day"], name="report_decision_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service_id} {self.working_days}d: {self.decisions}"


class StepFact(models.Model):
    """Agency steps completed on ``day`` that took ``working_days``: where time goes."""

    day = models.DateField()
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=80)
    step_name = models.CharField(max_length=300)
    working_days = models.PositiveSmallIntegerField()
    on_time = models.BooleanField(help_text="completed by its operational-level due date")
    steps = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["day", "agency"], name="report_step_day_idx"),
            models.Index(fields=["agency", "day"], name="report_step_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.step} {self.working_days}d: {self.steps}"


class PaymentFact(models.Model):
    """Invoices paid on ``day`` through ``provider``: money collected per channel."""

    day = models.DateField()
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=40)
    payments = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [
            models.Index(fields=["day", "agency"], name="report_payment_day_idx"),
            models.Index(fields=["agency", "day"], name="report_payment_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.provider}: {self.amount}"


class RefreshMark(models.Model):
    """How far each aggregate has read: the refresh starts from here next time."""

    name = models.CharField(max_length=40, unique=True)
    changed_since = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    days = models.PositiveIntegerField(default=0, help_text="days recomputed last time")

    def __str__(self) -> str:
        return f"{self.name}: {self.changed_since}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    """A report file prepared in the background for the person who asked for it."""

    public_id = models.UUIDField(unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    report = models.CharField(max_length=40)
    file_format = models.CharField(max_length=4)
    parameters = models.JSONField(default=dict)
    language = models.CharField(max_length=8)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="per cent done")
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="report_export_mine_idx")
        ]

    def __str__(self) -> str:
        return f"{self.report}.{self.file_format} for {self.requested_by_id}"
