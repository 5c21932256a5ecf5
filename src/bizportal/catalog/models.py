"""The service catalogue: agencies, services and their citizen-manual data.

A service carries everything the journey needs as data: its application form (JSON
Schema + UI hints), required documents, the BPMN process that decides it, the DMN
table that prices it, and what the licence it leads to permits.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q


class Agency(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=40, unique=True)
    name_th = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    short_name_th = models.CharField(max_length=40, blank=True)
    ministry_th = models.CharField(max_length=200, blank=True)
    ministry_en = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_th"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name_th


class Service(models.Model):
    """One licence service as published in the citizen manual (คู่มือประชาชน)."""

    class Channel(models.TextChoices):
        ONLINE = "online", "ออนไลน์ / Online"
        ONLINE_AND_COUNTER = "online_counter", "ออนไลน์และที่สำนักงาน / Online and at the office"
        # A harvested service whose channels are the agency's own (see channel_note).
        AGENCY = "agency", "ช่องทางของหน่วยงาน / The agency's own channels"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    manual_code = models.CharField(max_length=40, blank=True, help_text="citizen-manual code")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services")
    name_th = models.CharField(max_length=250)
    name_en = models.CharField(max_length=250)
    summary_th = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    who_may_apply_th = models.TextField(blank=True)
    who_may_apply_en = models.TextField(blank=True)
    steps = models.JSONField(
        default=list, blank=True, help_text='[{"th": "...", "en": "...", "days": 1}]'
    )
    processing_days = models.PositiveSmallIntegerField(
        help_text="working days, from the citizen manual"
    )
    fee_display_th = models.CharField(max_length=250, blank=True)
    fee_display_en = models.CharField(max_length=250, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.ONLINE)
    channel_note_th = models.CharField(max_length=250, blank=True)
    channel_note_en = models.CharField(max_length=250, blank=True)
    min_ial = models.CharField(
        max_length=8, default="2.1", help_text="minimum identity assurance level"
    )
    min_aal_view = models.PositiveSmallIntegerField(
        default=1, help_text="authenticator assurance (AAL) the session needs to see applications"
    )
    min_aal_submit = models.PositiveSmallIntegerField(
        default=1,
        help_text="AAL the session needs to submit or sign: 2 asks Digital ID for a second "
        "factor (step-up)",
    )
    min_aal_pay = models.PositiveSmallIntegerField(
        default=1, help_text="AAL the session needs to pay the fees"
    )
    persons_may_apply = models.BooleanField(
        default=True, help_text="Thai natural persons may apply for themselves"
    )
    foreigners_may_apply = models.BooleanField(
        default=False, help_text="foreign natural persons may apply for themselves"
    )
    companies_may_apply = models.BooleanField(
        default=True, help_text="juristic persons may apply (through directors or delegates)"
    )
    form_schema = models.JSONField(
        default=dict, help_text="JSON Schema 2020-12 of the application form"
    )
    ui_schema = models.JSONField(
        default=dict, blank=True, help_text="labels, widgets and order per field"
    )
    terms_th = models.TextField(blank=True)
    terms_en = models.TextField(blank=True)
    process_id = models.CharField(
        max_length=80,
        blank=True,
        help_text="BPMN process id; blank uses the standard licence process",
    )
    fee_table = models.CharField(max_length=80, help_text="DMN decision id that computes the fee")
    licence_title_th = models.CharField(max_length=250)
    licence_title_en = models.CharField(max_length=250)
    licence_permits_th = models.TextField()
    licence_permits_en = models.TextField()
    licence_validity_years = models.PositiveSmallIntegerField(default=1, help_text="0: no expiry")
    licence_prefix = models.CharField(max_length=12, help_text="licence number prefix, e.g. BMA-FD")
    search_text = models.TextField(
        blank=True, editable=False, help_text="segmented Thai + English words"
    )
    is_published = models.BooleanField(default=True)
    # Last-Modified and ETag of the published RDF (catalog.rdf) follow the newest change.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_th"]
        indexes = [
            models.Index(fields=["is_published", "agency"]),
            # The catalogue page's order: a search for a common word walks this index
            # and stops at the page's first 50 matches instead of sorting all of them.
            models.Index(fields=["name_th"], name="catalog_service_name_th_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(processing_days__gt=0), name="service_processing_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_aal_view__in=[1, 2, 3])
                & Q(min_aal_submit__in=[1, 2, 3])
                & Q(min_aal_pay__in=[1, 2, 3]),
                name="service_aal_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name_th

    def aal_needed(self, action: str) -> int:
        """The authenticator assurance a session needs for ``action`` (view, submit, pay)."""
        return {
            "view": self.min_aal_view,
            "submit": self.min_aal_submit,
            "pay": self.min_aal_pay,
        }.get(action, 1)


class ApplicationKind(models.TextChoices):
    """The four things a business asks of a licensing service (ประเภทคำขอ)."""

    NEW = "new", "ขอใบอนุญาตใหม่ / New licence"
    AMEND = "amend", "ขอแก้ไขรายการในใบอนุญาต / Amend a licence"
    RENEW = "renew", "ขอต่ออายุใบอนุญาต / Renew a licence"
    CANCEL = "cancel", "ขอยกเลิกใบอนุญาต / Cancel a licence"


class ApplicationType(models.Model):
    """How one kind of application to a service works where it differs from the service.

    Blank fields fall back to the service's own form, documents, fee table and process,
    so an agency configures only what differs (a renewal's fee table, a cancellation's
    process). A new licence is offered unless a row disables it; amend, renew and
    cancel are offered only where a row enables them.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="application_types")
    kind = models.CharField(max_length=6, choices=ApplicationKind.choices)
    enabled = models.BooleanField(default=True)
    form_schema = models.JSONField(
        null=True, blank=True, help_text="JSON Schema of this kind's form; empty: the service's"
    )
    ui_schema = models.JSONField(null=True, blank=True, help_text="empty: the service's")
    own_documents = models.BooleanField(
        default=False,
        help_text="ask this kind's own documents (possibly none) instead of the service's",
    )
    process_id = models.CharField(
        max_length=80,
        blank=True,
        help_text="BPMN process id; empty: licence_cancellation for cancel, else the service's",
    )
    fee_table = models.CharField(
        max_length=80, blank=True, help_text="DMN decision id; empty: the service's fee table"
    )
    renew_opens_days_before = models.PositiveSmallIntegerField(
        default=90, help_text="renewal: how many days before expiry applications open"
    )
    renew_late_days = models.PositiveSmallIntegerField(
        default=30, help_text="renewal: how many days after expiry a late renewal is accepted"
    )

    class Meta:
        ordering = ["service", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "kind"], name="one_application_type_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service.slug}: {self.kind}"


class RequiredDocument(models.Model):
    """A document the applicant uploads (Smart Doc: required may depend on answers)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="documents")
    code = models.SlugField(max_length=60)
    name_th = models.CharField(max_length=250)
    name_en = models.CharField(max_length=250)
    note_th = models.CharField(max_length=250, blank=True)
    note_en = models.CharField(max_length=250, blank=True)
    required = models.BooleanField(default=True)
    required_when = models.JSONField(
        default=dict,
        blank=True,
        help_text='required only when answers match, e.g. {"premises": "rented"}',
    )
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(
        max_length=6,
        choices=ApplicationKind.choices,
        blank=True,
        help_text="empty: a document of the service; else only for this kind (own documents)",
    )

    class Meta:
        ordering = ["service", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "kind", "code"], name="document_code_unique_per_service"
            )
        ]

    def __str__(self) -> str:
        return self.name_th

    def is_required_for(self, answers: dict[str, object]) -> bool:
        if not self.required:
            return False
        return all(answers.get(key) == value for key, value in self.required_when.items())


FEE_ZERO = Decimal("0.00")

# The harvest log and the sources of harvested services (catalog.harvest) live beside.
from .harvest_models import HarvestRecord, HarvestRun, ServiceSource  # noqa: E402, F401
