"""Applications for a service, their documents and their status history."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bizportal.core.models import PersonalDataLabel
from bizportal.licences.models import HolderKind


class Status(models.TextChoices):
    """What people see of an application. Derived from where its process waits (the
    type of the ready step) or how it ended; never set by hand."""

    DRAFT = "draft", _("Draft")
    AWAITING_SIGNATURE = "awaiting_signature", _("Waiting for a second director")
    REVIEW = "review", _("Under review")
    CORRECTION = "correction", _("Correction requested")
    INSPECTION = "inspection", _("Premises inspection")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    WAITING = "waiting", _("Waiting for the agency's system")
    ISSUING = "issuing", _("Licence being issued")
    PROCESSING = "processing", _("Being processed")
    ISSUED = "issued", _("Licence issued")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Statuses in which an application has not reached its agency: officers do not see it.
BEFORE_AGENCY = (Status.DRAFT, Status.AWAITING_SIGNATURE)

#: Statuses after which nothing more happens to an application.
FINAL_STATUSES = (Status.ISSUED, Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN)


class Kind(models.TextChoices):
    NEW = "new", _("New licence")
    AMEND = "amend", _("Amendment")
    RENEW = "renew", _("Renewal")
    CANCEL = "cancel", _("Cancellation")


class Channel(models.TextChoices):
    """How an application reached the portal: the volume reports count by it."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("Service counter")
    AGENCY_SYSTEM = "agency", _("Agency system")


class ApplicationQuerySet(models.QuerySet["Application"]):
    def with_process(self, *related: str) -> ApplicationQuerySet:
        """Joined with its process version, but never the version's BPMN source (tens of
        kilobytes, parsed once per worker and cached by ``workflow.services.parsed``)."""
        return self.select_related("process__version", *related).defer("process__version__source")


class Application(models.Model):
    PERSONAL_DATA = {
        "data": PersonalDataLabel.PERSONAL,
        "holder_id": PersonalDataLabel.PERSONAL,
        "holder_name_th": PersonalDataLabel.PERSONAL,
        "holder_name_en": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=30, unique=True, null=True, blank=True)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.NEW)
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="applications"
    )
    agency = models.ForeignKey(
        "catalog.Agency",
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="owning agency, copied from the service: worklists filter one indexed column",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="the person who started it (for themselves, a company, or a principal)",
    )
    party = models.ForeignKey(
        "identity.Party",
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="the legal person it is for: everyone acting for the party sees it",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filed_applications",
        help_text="the counter officer who filed it for a walk-in applicant",
    )
    signature_deadline = models.DateTimeField(
        null=True,
        blank=True,
        help_text="a joint-signing company: the second signature is due by then",
    )
    licence = models.ForeignKey(
        "licences.Licence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="amend, renew, cancel: the licence asked about; new: the licence issued",
    )
    issued_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="the licence version this application led to"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    province = models.CharField(
        max_length=100,
        blank=True,
        help_text="the party's province when the draft began (registered office or home)",
    )
    holder_kind = models.CharField(max_length=8, choices=HolderKind.choices, blank=True)
    holder_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="the party's key: citizen or juristic ID, or P:<nationality>:<passport>",
    )
    holder_name_th = models.CharField(max_length=300, blank=True)
    holder_name_en = models.CharField(max_length=300, blank=True)
    fee_version = models.ForeignKey(
        "rules.DecisionVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the fee table version live when the draft started: the fee it pays",
    )
    process = models.OneToOneField(
        "workflow.ProcessInstance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_step = models.CharField(
        max_length=300, blank=True, help_text="name of the step(s) the process waits at"
    )
    data = models.JSONField(default=dict, blank=True)
    prefill = models.JSONField(
        default=dict, blank=True, help_text="values taken from Digital ID and registries"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    correction_note = models.TextField(blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status", "submitted_at", "id"], name="worklist_idx"),
            # The worklist without a status filter: only what reached the agency, in the
            # order the worklist reads it, so a page is an index range scan.
            models.Index(
                fields=["agency", "submitted_at", "id"],
                condition=~Q(status__in=["draft", "awaiting_signature"]),
                name="worklist_at_agency_idx",
            ),
            models.Index(fields=["applicant", "-created_at", "id"], name="my_applications_idx"),
            models.Index(fields=["party", "-created_at", "id"], name="party_applications_idx"),
            # The reports' incremental refresh: what changed since it last ran.
            models.Index(fields=["updated_at"], name="application_changed_idx"),
            # The reports recount a day of submissions or of decisions by range.
            models.Index(
                fields=["submitted_at"],
                condition=Q(submitted_at__isnull=False),
                name="application_submitted_idx",
            ),
            models.Index(
                fields=["decided_at"],
                condition=Q(decided_at__isnull=False),
                name="application_decided_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(reference__isnull=False, submitted_at__isnull=False),
                name="submitted_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(terms_accepted_at__isnull=False),
                name="submitted_accepted_terms",
            ),
            models.CheckConstraint(
                condition=Q(kind="new") | Q(licence__isnull=False),
                name="change_names_its_licence",
            ),
            models.UniqueConstraint(
                fields=["licence"],
                condition=~Q(kind="new") & ~Q(status__in=[s.value for s in FINAL_STATUSES]),
                name="one_open_change_per_licence",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft {self.public_id}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class Attachment(models.Model):
    PERSONAL_DATA = {"file": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    document_code = models.SlugField(max_length=60)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document_code", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "document_code"], name="one_file_per_document"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class FetchedEvidence(models.Model):
    """A required document fetched through the government data exchange instead of
    uploaded (once only). Kept with its provenance (provider, time, message-log id,
    basis) so the officer can rely on it and the person can trace it in the data
    tracker; the field labels are copied so the record reads the same after the data
    service changes."""

    PERSONAL_DATA = {"fields": PersonalDataLabel.PERSONAL}

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    document_code = models.SlugField(max_length=60)
    data_service = models.CharField(max_length=60)
    data_service_name_th = models.CharField(max_length=200)
    data_service_name_en = models.CharField(max_length=200, blank=True)
    provider_name_th = models.CharField(max_length=250)
    provider_name_en = models.CharField(max_length=250, blank=True)
    message_id = models.UUIDField()
    basis = models.CharField(max_length=10)
    fetched_at = models.DateTimeField()
    fields = models.JSONField(default=list, help_text='[{"name", "th", "en", "value"}]')

    class Meta:
        ordering = ["document_code"]
        verbose_name_plural = "fetched evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "document_code"], name="one_evidence_per_document"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_code} from {self.data_service}"

    def rows(self) -> list[tuple[str, str, str]]:
        """(Thai label, English label, value as text) for each field."""
        return [(f["th"], f["en"], _as_text(f.get("value"))) for f in self.fields]


def _as_text(value: Any) -> str:
    """A registry value as one line: an address dict by its parts, a list by items."""
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        return " ".join(_as_text(v) for v in value.values() if v not in ("", None))
    if isinstance(value, list):
        return "; ".join(_as_text(v) for v in value)
    return "" if value is None else str(value)


class Signature(models.Model):
    """A person with authority to submit for the party signed the submission.

    A company registered with joint signing needs two different signers; the first
    signature waits until ``Application.signature_deadline`` for the second.
    """

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="signatures"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=10, help_text="self, director or mandate")
    signed_at = models.DateTimeField(auto_now_add=True)
    lapsed = models.BooleanField(
        default=False, help_text="the deadline passed before the second signature"
    )

    class Meta:
        ordering = ["signed_at"]

    def __str__(self) -> str:
        return f"{self.signer} signed {self.application}"


class StatusChange(models.Model):
    """The history the applicant and the officer both see: each step completed, by whom,
    with what decision and note, and the status it led to."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    step = models.CharField(max_length=80, blank=True, help_text="BPMN id of the step completed")
    step_name = models.CharField(max_length=300, blank=True)
    step_type = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=40, blank=True, help_text="the decision taken, if any")
    action_label = models.CharField(max_length=200, blank=True, help_text=_("English"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"])]

    def __str__(self) -> str:
        return f"{self.step or '-'}: {self.from_status} -> {self.to_status}"
