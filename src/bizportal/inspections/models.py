"""Premises inspections: the appointment, and what the inspector found.

One row per inspection step an application reaches (a failed process that comes
back to inspection makes a new row), so the history of visits is kept.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Inspection(models.Model):
    class Result(models.TextChoices):
        PENDING = "", _("Not inspected yet")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="inspections"
    )
    step = models.CharField(max_length=80, help_text="BPMN id of the inspection step")
    task_id = models.CharField(max_length=40, help_text="the engine's id of this visit's step")
    scheduled_for = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=300, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(max_length=6, choices=Result.choices, blank=True, default="")
    report = models.TextField(blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["task_id"], name="one_inspection_per_step"),
            models.CheckConstraint(
                condition=Q(result="") | Q(recorded_at__isnull=False, inspected_by__isnull=False),
                name="inspection_result_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.step} {self.result or 'pending'}"
