"""Process definitions with versions, and the running process of each application.

A definition is a BPMN process id (``standard_licence``); its versions are the BPMN
files uploaded over time. Exactly one version is live: new applications start on it.
A started instance points at the version it started on and finishes on it, whatever
goes live later, which is why a version's source is never edited after it is saved.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bizportal.core.versioning import DefinitionVersion, VersionStatus


class ProcessDefinition(models.Model):
    key = models.SlugField(
        max_length=80, unique=True, help_text="the BPMN process id, e.g. standard_licence"
    )
    name = models.CharField(max_length=250)
    agency = models.ForeignKey(
        "catalog.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="process_definitions",
        help_text="the agency that owns it; blank for processes shipped with the platform",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class ProcessVersion(DefinitionVersion):
    """One uploaded BPMN file of a process; immutable apart from its status."""

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="versions"
    )

    class Meta:
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "number"], name="process_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["definition"],
                condition=Q(status="live"),
                name="one_live_process_version",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="published_process_version_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number}"


class ProcessInstance(models.Model):
    """One run of a process version. ``state`` is the engine's own serialization (without
    the spec, which the version holds); the columns beside it are what pages and the
    sweeper read without restoring the engine."""

    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="instances")
    # Text, not a JSON column: PostgreSQL's jsonb reorders object keys, and the
    # serializer's task order must survive the round trip exactly.
    state = models.TextField(help_text="SpiffWorkflow serializer output (JSON text)")
    ready = models.JSONField(
        default=list, blank=True, help_text="the steps the process waits at: task id, step, type"
    )
    completed = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=40, blank=True, help_text="biz:outcome of the end event reached"
    )
    system_due = models.BooleanField(
        default=False, help_text="a step the system performs is waiting to be run"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=Q(system_due=True),
                name="process_system_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed=False) | ~Q(outcome=""), name="completed_process_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.pk}"


__all__ = ["ProcessDefinition", "ProcessInstance", "ProcessVersion", "VersionStatus"]
