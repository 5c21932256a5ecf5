"""PDPA: privacy notices and their acceptance, data-subject requests and objections.

Why an app of its own: the rights of a person reach across every app that holds data
about them (accounts, applications, payments, licences, the audit trail), so the app
that answers them sits above those apps and below the pages that show it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """Why the portal processes personal data; each purpose has its own notice."""

    SERVICE = "service", _("Licensing services")
    IDENTITY = "identity", _("Proving who you are")
    SURVEY = "survey", _("Surveys and news")


#: Purposes a person may object to without losing the service (PDPA s. 32): the portal
#: processes them on consent or legitimate interest, not to fulfil a legal duty.
OPTIONAL_PURPOSES = frozenset({Purpose.SURVEY})


class PrivacyNotice(models.Model):
    """One version of the notice for one purpose. A new version is a new row, so what a
    person accepted stays readable exactly as they saw it."""

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    title_th = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    text_th = models.TextField()
    text_en = models.TextField()
    effective_from = models.DateTimeField()
    requires_acceptance = models.BooleanField(
        default=True,
        help_text="entrepreneurs must accept this version before they go on using the portal",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="one_notice_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="notice_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"


class PrivacyAcceptance(models.Model):
    """A person accepted one version of one notice (once; a new version asks again)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_acceptances"
    )
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "notice"], name="one_acceptance_per_notice")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.notice_id}"


class Objection(models.Model):
    """A person objects to an optional purpose (PDPA s. 32); deleted when withdrawn."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_objections"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "purpose"], name="one_objection_per_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} objects to {self.purpose}"


class DataSubjectRequest(models.Model):
    """A request under PDPA ss. 30-33, answered by the data protection officer."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        DELETION = "deletion", _("Deletion")
        OBJECTION = "objection", _("Objection")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    details = models.TextField(blank=True, help_text="what the person asks for, in their words")
    retained = models.JSONField(
        default=list,
        blank=True,
        help_text="data kept under a legal duty despite a deletion request, with the law",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    answer = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.IN_PROGRESS)
