"""The running process of each application.

The state is SpiffWorkflow's own JSON serialization (spec included), so the engine,
not this model, knows where the application stands; the columns beside it are the
few facts other apps filter on without deserializing.
"""

from __future__ import annotations

from django.db import models


class ProcessInstance(models.Model):
    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="process"
    )
    process_id = models.CharField(
        max_length=80, help_text="BPMN process id the instance was started from"
    )
    # Text, not a JSON column: PostgreSQL's jsonb reorders object keys, and the
    # serializer's task order must survive the round trip exactly.
    state = models.TextField(help_text="SpiffWorkflow serializer output (JSON text), spec included")
    completed = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["process_id", "completed"])]

    def __str__(self) -> str:
        return f"{self.process_id} for application {self.application_id}"
