"""What the reports read instead of scanning every application.

Why: an executive's dashboard over a million applications must answer in a fraction of
a second, so reports sum *monthly roll-ups* (a few thousand rows a year, whatever the
volume). They are kept current by moving counts, not by recounting:

* :class:`ApplicationFact` holds each submitted application as the reports last saw it
  (its dimensions, its decision). When an application changes, the refresh
  (:mod:`bizportal.reports.refresh`) compares it with its row here and moves one count
  in each roll-up (:class:`ApplicationMonth`, :class:`ApplicationProvinceMonth`,
  :class:`ProvinceMonth`, :class:`DecisionMonth`), so a decision on a year-old
  application costs a few rows, not a recount of its month. The same rows answer what
  the roll-ups cannot: a counter officer's own figures (a small slice through an index)
  and the backlog by age in days.
* Steps and payments happen *now*, so their daily tables (:class:`StepFact`,
  :class:`PaymentFact`) are recomputed for the days that changed and the difference is
  added to their monthly roll-ups.

None of these tables names a person: an application is a row of codes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApplicationFact(models.Model):
    """One submitted application as the reports last counted it."""

    application = models.OneToOneField(
        "applications.Application",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="statistics outlive the application: no cascade, no constraint",
    )
    day = models.DateField(help_text="the local date the application was first submitted")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6)
    channel = models.CharField(max_length=8)
    province = models.CharField(
        max_length=100, blank=True, help_text="one spelling per province (its Thai name)"
    )
    status = models.CharField(max_length=20)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the counter officer who filed it; blank: online",
    )
    decided_on = models.DateField(
        null=True, blank=True, help_text="the local date of the final decision; blank: open"
    )
    working_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="from submission to the decision"
    )
    on_time = models.BooleanField(
        null=True, help_text="decided by the service-level due date; blank: open or no clock"
    )

    class Meta:
        indexes = [
            models.Index(fields=["agency", "day"], name="report_app_agency_day_idx"),
            models.Index(fields=["filed_by", "day"], name="report_app_counter_day_idx"),
            models.Index(
                fields=["day", "agency"],
                condition=Q(decided_on__isnull=True),
                name="report_app_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.day} {self.status}"


class VolumeCounts(models.Model):
    """Applications with these dimensions, by their status now."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=6)
    channel = models.CharField(max_length=8)
    status = models.CharField(max_length=20)
    applications = models.PositiveIntegerField()

    class Meta:
        abstract = True


class ApplicationMonth(VolumeCounts):
    """Applications submitted in ``month``: what the volumes report sums."""

    month = models.DateField(help_text="the first day of the month of submission")

    class Meta:
        indexes = [
            models.Index(fields=["month", "service"], name="report_appm_month_idx"),
            models.Index(fields=["agency", "month"], name="report_appm_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id} {self.status}: {self.applications}"


class ApplicationProvinceMonth(VolumeCounts):
    """:class:`ApplicationMonth` cut by province too: what the volumes report sums when
    one province is chosen (a large province is too many applications to count one by
    one, and this table is read only through its province index)."""

    month = models.DateField(help_text="the first day of the month of submission")
    province = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["province", "month"], name="report_appp_province_idx"),
            models.Index(fields=["month", "service"], name="report_appp_month_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.province} {self.status}: {self.applications}"


class ProvinceMonth(models.Model):
    """Applications submitted in ``month`` per province: the map, without the other
    dimensions that would multiply its rows."""

    month = models.DateField()
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    province = models.CharField(max_length=100, blank=True)
    issued = models.BooleanField(help_text="a licence was issued")
    applications = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "service"], name="report_provm_month_idx"),
            models.Index(fields=["agency", "month"], name="report_provm_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.province}: {self.applications}"


class DecisionMonth(models.Model):
    """Applications decided in ``month`` that took ``working_days``: a histogram, so
    medians and 90th percentiles come from a few hundred rows."""

    month = models.DateField(help_text="the first day of the month of the decision")
    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    working_days = models.PositiveSmallIntegerField()
    on_time = models.BooleanField(
        null=True, help_text="decided by the service-level due date; blank: no clock"
    )
    decisions = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "service"], name="report_decm_month_idx"),
            models.Index(fields=["agency", "month"], name="report_decm_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id} {self.working_days}d: {self.decisions}"


class StepCounts(models.Model):
    """Agency steps completed that took ``working_days``: where time goes."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=80)
    step_name = models.CharField(max_length=300)
    working_days = models.PositiveSmallIntegerField()
    on_time = models.BooleanField(help_text="completed by its operational-level due date")
    steps = models.PositiveIntegerField()

    class Meta:
        abstract = True


class StepFact(StepCounts):
    """Steps completed on ``day``: the unit the refresh recomputes."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="report_step_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.step} {self.working_days}d: {self.steps}"


class StepMonth(StepCounts):
    """Steps completed in ``month``: what the processing report sums."""

    month = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "service"], name="report_stepm_month_idx"),
            models.Index(fields=["agency", "month"], name="report_stepm_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.step} {self.working_days}d: {self.steps}"


class PaymentCounts(models.Model):
    """Invoices paid through ``provider``: money collected per channel."""

    agency = models.ForeignKey("catalog.Agency", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=40)
    payments = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        abstract = True


class PaymentFact(PaymentCounts):
    """Invoices paid on ``day``: the unit the refresh recomputes."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="report_payment_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.provider}: {self.amount}"


class PaymentMonth(PaymentCounts):
    """Invoices paid in ``month``: what the money report sums."""

    month = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "service"], name="report_paym_month_idx"),
            models.Index(fields=["agency", "month"], name="report_paym_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.provider}: {self.amount}"


class RefreshMark(models.Model):
    """How far each aggregate has read: the refresh starts from here next time."""

    name = models.CharField(max_length=40, unique=True)
    changed_since = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    days = models.PositiveIntegerField(
        default=0, help_text="applications and days taken in last time"
    )

    def __str__(self) -> str:
        return f"{self.name}: {self.changed_since}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("export", "Queued")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready to download")
    FAILED = "failed", pgettext_lazy("export", "Failed")
    EXPIRED = "expired", pgettext_lazy("export", "Removed")


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
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="when its building was last put in the queue"
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="times queued")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="report_export_mine_idx")
        ]

    def __str__(self) -> str:
        return f"{self.report}.{self.file_format} for {self.requested_by_id}"
