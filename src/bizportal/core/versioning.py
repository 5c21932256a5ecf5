"""Definitions that live as versioned data: BPMN processes, DMN fee tables, and later
forms and service-level policies.

Why one shape: an agency changes a process or a fee by uploading a new version, which
goes live only when published, while every application finishes on the versions it
started with. The rules are the same whatever the file holds: a version's source never
changes once saved, only its status moves (draft → live → retired), at most one version
of a definition is live, and who uploaded and published it is kept. The apps that own a
kind of definition subclass :class:`DefinitionVersion` and add their own constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy


class VersionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("definition version", "Draft")
    LIVE = "live", pgettext_lazy("definition version", "Live")
    RETIRED = "retired", pgettext_lazy("definition version", "Retired")


class DefinitionVersion(models.Model):
    """One uploaded file of a definition (abstract): immutable apart from its status."""

    Status = VersionStatus

    number = models.PositiveIntegerField()
    source = models.TextField(help_text="the file exactly as uploaded; never edited once saved")
    sha256 = models.CharField(max_length=64, help_text="of the UTF-8 source")
    status = models.CharField(
        max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    summary = models.JSONField(default=dict, blank=True, help_text="what validation read from it")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
