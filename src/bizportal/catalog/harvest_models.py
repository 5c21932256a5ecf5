"""The harvest log: each run of ``manage.py harvest_catalog`` and what it did per record.

Why a log of its own and not only the audit trail: an operator asks "what came in from
this agency's catalogue last night, and why was that record left out?", which needs the
run's counts and the SHACL messages of each skipped record. A record that changed keeps
its before and after values here, one row per change: the service's harvest history.
Unchanged records leave no row (the run counts them), so harvesting the same source
again adds only the run itself.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HarvestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    source = models.CharField(max_length=1000, help_text="file path or http(s) URL harvested")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    create_agencies = models.BooleanField(
        default=False, help_text="unknown competent authorities were created as agencies"
    )
    found = models.PositiveIntegerField(default=0, help_text="public services in the source")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(
        default=list, blank=True, help_text="SHACL messages about the catalogue itself"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["-started_at"], name="catalog_harvestrun_started")]

    def __str__(self) -> str:
        return f"{self.source} @ {self.started_at:%Y-%m-%d %H:%M}"


class HarvestRecord(models.Model):
    """One public service of a run that was created, updated or skipped."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")

    run = models.ForeignKey(HarvestRun, on_delete=models.CASCADE, related_name="records")
    uri = models.CharField(max_length=1000, help_text="the public service's URI in the source")
    identifier = models.CharField(max_length=250, blank=True)
    title = models.CharField(max_length=250, blank=True)
    service = models.ForeignKey(
        "catalog.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="harvest_records",
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    changes = models.JSONField(
        default=dict, blank=True, help_text='{"field": [before, after]} for an update'
    )
    errors = models.JSONField(default=list, blank=True, help_text="why the record was skipped")
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="what of the record was left out (an unknown category code...), the rest taken",
    )

    class Meta:
        ordering = ["run", "id"]
        indexes = [
            models.Index(fields=["run", "outcome"], name="catalog_harvestrec_outcome"),
            models.Index(fields=["service", "-id"], name="catalog_harvestrec_service"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.uri}"


class ServiceSource(models.Model):
    """Where a harvested service comes from: its URI in the agency's catalogue.

    A later harvest finds the service again by this URI whatever its local slug, and the
    service page says that the description is the agency's, not Biz Portal's.
    """

    service = models.OneToOneField(
        "catalog.Service", on_delete=models.CASCADE, related_name="harvest_source"
    )
    uri = models.CharField(max_length=1000, unique=True)
    source = models.CharField(max_length=1000, help_text="the harvest source it first came from")
    first_harvested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.uri

    @property
    def web_url(self) -> str:
        """The URI when a browser may follow it (never a ``javascript:`` or other scheme)."""
        return self.uri if self.uri.startswith(("https://", "http://")) else ""
