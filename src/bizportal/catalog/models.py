"""The service catalogue: agencies, services and their citizen-manual data.

A service carries everything the journey needs as data: its application form (JSON
Schema + UI hints), required documents, the BPMN process that decides it, the DMN
table that prices it, and what the licence it leads to permits.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

#: The business lifecycle stages (ช่วงของธุรกิจ) services are grouped by: a fixed set.
LIFECYCLE_STAGES = ("start", "operate", "change", "close")


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


class Category(models.Model):
    """One class of a grouping services are browsed and filtered by.

    Three groupings share one table because they behave alike (a code, Thai and English
    names, an order, services in many of them): target groups (กลุ่มเป้าหมาย), the
    business lifecycle (a fixed set of four stages) and industries (Thai TSIC 2009:
    a section letter with its two-digit divisions as children). The shipped classes
    are reference data kept by :func:`~bizportal.catalog.services.sync_reference_categories`.
    """

    class Kind(models.TextChoices):
        TARGET_GROUP = "target_group", _("Target group")
        LIFECYCLE = "lifecycle", _("Business lifecycle stage")
        INDUSTRY = "industry", _("Industry (TSIC)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(
        max_length=40,
        help_text="target group: a slug; lifecycle: start, operate, change or close; "
        "industry: a TSIC section letter (A-U) or a two-digit division",
    )
    name_th = models.CharField(max_length=250)
    name_en = models.CharField(max_length=250)
    description_th = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="industry divisions: their TSIC section",
    )
    order = models.PositiveSmallIntegerField(default=0)
    # Its names are in the published RDF (concepts, business events): their ETag follows it.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "order", "code"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="category_code_unique_per_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["target_group", "lifecycle", "industry"]),
                name="category_kind_known",
            ),
            models.CheckConstraint(
                condition=~Q(kind="lifecycle") | Q(code__in=LIFECYCLE_STAGES, parent__isnull=True),
                name="category_lifecycle_fixed",
            ),
            # A section is a letter and has no parent; a division is two digits under one.
            models.CheckConstraint(
                condition=~Q(kind="industry")
                | Q(code__regex=r"^[A-U]$", parent__isnull=True)
                | Q(code__regex=r"^[0-9]{2}$", parent__isnull=False),
                name="category_industry_tsic",
            ),
            models.CheckConstraint(
                condition=~Q(kind="target_group") | Q(code__regex=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
                name="category_target_group_slug",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_th}" if self.kind == self.Kind.INDUSTRY else self.name_th


class Service(models.Model):
    """One licence service as published in the citizen manual (คู่มือประชาชน).

    Where to apply is part of the manual: a service whose agency configured a form,
    fee table and process on Biz Portal is applied for here (``online``,
    ``online_counter``); the others are applied for on the agency's own e-service
    (``agency_online``, with ``apply_url``) or at its office (``counter``). Their page
    says where and how, and Biz Portal starts no application for them.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        ONLINE_AND_COUNTER = "online_counter", _("Online and at the office")
        AGENCY_ONLINE = "agency_online", _("The agency's own e-service")
        COUNTER = "counter", _("At the agency's office")
        # A harvested service whose channels are the agency's own (see channel_note).
        AGENCY = "agency", _("The agency's own channels")

    #: Channels through which Biz Portal itself takes the application.
    PORTAL_CHANNELS = (Channel.ONLINE, Channel.ONLINE_AND_COUNTER)

    class ServiceKind(models.TextChoices):
        """What the service gives (หมวดหมู่ของงานบริการ in the citizen manual)."""

        LICENCE = "licence", _("Licence or permit")
        REGISTRATION = "registration", _("Registration")
        NOTIFICATION = "notification", _("Notification")
        ENROLMENT = "enrolment", _("Enrolment")
        CERTIFICATION = "certification", _("Certification")
        APPROVAL = "approval", _("Approval")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    manual_code = models.CharField(max_length=40, blank=True, help_text="citizen-manual code")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services")
    service_kind = models.CharField(
        max_length=16,
        choices=ServiceKind.choices,
        default=ServiceKind.LICENCE,
        help_text="what the service gives (หมวดหมู่ของงานบริการ)",
    )
    categories = models.ManyToManyField(
        Category, through="ServiceCategory", related_name="services", blank=True
    )
    all_industries = models.BooleanField(
        default=False,
        help_text="a service every kind of business may need (company registration, VAT): "
        "it carries no TSIC industry of its own",
    )
    name_th = models.CharField(max_length=250)
    name_en = models.CharField(max_length=250)
    summary_th = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    who_may_apply_th = models.TextField(blank=True)
    who_may_apply_en = models.TextField(blank=True)
    legal_basis = models.JSONField(
        default=list,
        blank=True,
        help_text='the laws that empower the service: [{"th": "...", "en": "...", "url": ""}]',
    )
    criteria_th = models.TextField(blank=True, help_text="หลักเกณฑ์ วิธีการ เงื่อนไข")
    criteria_en = models.TextField(blank=True, help_text="criteria, method and conditions")
    steps = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"th": "...", "en": "...", "days": 1, "unit_th": "", "unit_en": ""}]; '
        "the days add up to processing_days",
    )
    processing_days = models.PositiveSmallIntegerField(
        help_text="working days, from the citizen manual"
    )
    fee_display_th = models.CharField(max_length=250, blank=True)
    fee_display_en = models.CharField(max_length=250, blank=True)
    fee_items = models.JSONField(
        default=list,
        blank=True,
        help_text='the manual\'s fee lines: [{"th": "...", "en": "...", "amount": "500.00"}]; '
        "amount null when it varies",
    )
    fee_note_th = models.TextField(blank=True)
    fee_note_en = models.TextField(blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.ONLINE)
    channel_note_th = models.CharField(max_length=250, blank=True)
    channel_note_en = models.CharField(max_length=250, blank=True)
    apply_url = models.URLField(
        blank=True, help_text="the agency's own e-service where this service is applied for"
    )
    official_form_th = models.CharField(
        max_length=250, blank=True, help_text="the agency's form, e.g. แบบ ภ.พ.01"
    )
    official_form_en = models.CharField(max_length=250, blank=True)
    contact_office_th = models.CharField(max_length=250, blank=True)
    contact_office_en = models.CharField(max_length=250, blank=True)
    contact_address_th = models.TextField(blank=True)
    contact_address_en = models.TextField(blank=True)
    contact_phone = models.CharField(max_length=60, blank=True)
    contact_email = models.EmailField(blank=True)
    opening_hours_th = models.CharField(max_length=250, blank=True)
    opening_hours_en = models.CharField(max_length=250, blank=True)
    complaint_th = models.TextField(blank=True, help_text="ช่องทางการร้องเรียน")
    complaint_en = models.TextField(blank=True, help_text="where to complain")
    remarks_th = models.TextField(blank=True, help_text="หมายเหตุ")
    remarks_en = models.TextField(blank=True)
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
    requires_written_mandate = models.BooleanField(
        default=False,
        help_text="the service's law needs a written power of attorney (e.g. 004 §3.2(2)): a "
        "delegate acts for it only once the portal has issued the mandate as a signed PDF",
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
    fee_table = models.CharField(
        max_length=80,
        blank=True,
        help_text="DMN decision id that computes the fee; required when Biz Portal takes "
        "the application",
    )
    licence_title_th = models.CharField(max_length=250)
    licence_title_en = models.CharField(max_length=250)
    licence_permits_th = models.TextField()
    licence_permits_en = models.TextField()
    licence_validity_years = models.PositiveSmallIntegerField(default=1, help_text="0: no expiry")
    licence_prefix = models.CharField(max_length=12, help_text="licence number prefix, e.g. BMA-FD")
    licence_credential_full_id = models.BooleanField(
        default=False,
        help_text="put the holder's full citizen ID (or passport number) in the licence's "
        "verifiable credential; off: only masked (PDPA data minimisation). Turn on only "
        "where the law requires the verifier to see the person's ID.",
    )
    search_text = models.TextField(
        blank=True, editable=False, help_text="segmented Thai + English words"
    )
    search_name = models.TextField(
        blank=True,
        editable=False,
        help_text="segmented words of the names and the licence title: a match here ranks higher",
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
            # Search's tie order: the first page of a common word walks it (search.first).
            models.Index(
                Length("search_name"),
                "name_th",
                "id",
                condition=Q(is_published=True),
                name="catalog_service_tie_idx",
            ),
            # The back office's "our services" list: one agency's, in name order.
            models.Index(fields=["agency", "name_th", "id"], name="catalog_service_agency_idx"),
            # industry=all (services for every kind of business), in catalogue order.
            models.Index(
                fields=["is_published", "all_industries", "name_th"],
                name="catalog_service_all_ind_idx",
            ),
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
            models.CheckConstraint(
                condition=Q(
                    channel__in=["online", "online_counter", "agency_online", "counter", "agency"]
                ),
                name="service_channel_known",
            ),
            # Biz Portal can only take an application it can price; the agency's own
            # e-service must be named to be sent to.
            models.CheckConstraint(
                condition=~Q(channel__in=["online", "online_counter"]) | ~Q(fee_table=""),
                name="service_portal_channel_has_fee_table",
            ),
            models.CheckConstraint(
                condition=~Q(channel="agency_online") | ~Q(apply_url=""),
                name="service_agency_channel_has_url",
            ),
            models.CheckConstraint(
                condition=Q(
                    service_kind__in=[
                        "licence",
                        "registration",
                        "notification",
                        "enrolment",
                        "certification",
                        "approval",
                    ]
                ),
                name="service_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name_th

    @property
    def applies_on_portal(self) -> bool:
        """Whether Biz Portal takes this service's applications (else: where the page says)."""
        return self.channel in self.PORTAL_CHANNELS

    def aal_needed(self, action: str) -> int:
        """The authenticator assurance a session needs for ``action`` (view, submit, pay)."""
        return {
            "view": self.min_aal_view,
            "submit": self.min_aal_submit,
            "pay": self.min_aal_pay,
        }.get(action, 1)


class ServiceCategory(models.Model):
    """A service in a category; a service may be in many of each kind."""

    # The two composite indexes below serve both directions; no single-column ones.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "category"], name="service_category_unique")
        ]
        # Browse pages and facets start from the category: its services in one range.
        indexes = [models.Index(fields=["category", "service"], name="service_category_by_cat")]

    def __str__(self) -> str:
        return f"{self.service_id} in {self.category_id}"


class ApplicationKind(models.TextChoices):
    """The four things a business asks of a licensing service (ประเภทคำขอ)."""

    NEW = "new", _("New licence")
    AMEND = "amend", _("Amend a licence")
    RENEW = "renew", _("Renew a licence")
    CANCEL = "cancel", _("Cancel a licence")


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
    originals = models.PositiveSmallIntegerField(
        default=0, help_text="originals to show at the office (0: none or not stated)"
    )
    copies = models.PositiveSmallIntegerField(
        default=0, help_text="copies to hand in at the office (0: none or not stated)"
    )
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


class SearchTerm(models.Model):
    """A word of the catalogue's search vocabulary and how many services use it.

    The count is the document frequency that weighs a word in ranking (a word few
    services use says more about what someone looks for); the vocabulary is what a
    misspelt word is corrected against. Kept in step by ``services.refresh_search_text``
    and rebuilt in bulk by ``services.rebuild_search_vocabulary``.
    """

    term = models.CharField(max_length=100, unique=True)
    length = models.PositiveSmallIntegerField(help_text="characters: typo candidates by length")
    services = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["length", "term"], name="catalog_searchterm_len_idx")]

    def __str__(self) -> str:
        return self.term


class Synonym(models.Model):
    """Words people use for the same thing ("ร้านเหล้า", "สุรา", "liquor"): a query with
    any of them finds services described with any other. Catalogue managers keep the
    rings in the admin; a change applies to the next search."""

    words = models.TextField(
        help_text="words or phrases with the same meaning, one per line or comma-separated"
    )
    note = models.CharField(max_length=250, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return ", ".join(self.members()[:4])

    def members(self) -> list[str]:
        """The ring's entries, lower-cased, without blanks or repeats."""
        parts = (part.strip().lower() for part in self.words.replace("\n", ",").split(","))
        return list(dict.fromkeys(part for part in parts if part))


class RevisionLocked(ValueError):
    """A closed revision (published, superseded, rejected, discarded) was about to change."""


class ServiceRevision(models.Model):
    """One version of a service's citizen-manual content as its agency edits it:
    draft, in review, then published (or rejected, or discarded).

    Why a JSON snapshot rather than a second ``Service`` row: a draft must not be found
    by search, counted by the browse pages or published as RDF, and the editable part
    is a small, stable subset (the texts, the structured lists, the documents and the
    category codes; see :mod:`.editor`). ``base`` is the live content when the draft
    was started, so a reviewer can see what someone else changed meanwhile.

    What a revision says once it is closed never changes (:meth:`save` refuses), except
    that a published one becomes superseded by the next publication.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")
        REJECTED = "rejected", _("Rejected")
        DISCARDED = "discarded", _("Discarded")

    #: At most one revision of a service is in one of these states.
    OPEN_STATES = (State.DRAFT, State.IN_REVIEW)
    #: Revisions that were live at some time: the history diffs them against each other.
    PUBLISHED_STATES = (State.PUBLISHED, State.SUPERSEDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The (service, number) unique index serves the history; no index of its own.
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="revisions", db_index=False
    )
    number = models.PositiveIntegerField(help_text="1, 2, 3 ... per service")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    content = models.JSONField(help_text="the edited citizen-manual content (catalog.editor)")
    base = models.JSONField(help_text="the live content when the draft was started")
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the rejected revision this draft continues",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    #: The state and frozen content as loaded or last saved (see :meth:`save`).
    _stored: tuple[Any, str] | None = None

    class Meta:
        ordering = ["service", "-number"]
        indexes = [
            # "Waiting for review": the services of an agency with a revision in review.
            models.Index(fields=["state", "service"], name="catalog_revision_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="revision_number_unique"),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(state__in=["draft", "in_review"]),
                name="revision_one_open_per_service",
            ),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(state="published"),
                name="revision_one_published_per_service",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "draft",
                        "in_review",
                        "published",
                        "superseded",
                        "rejected",
                        "discarded",
                    ]
                ),
                name="revision_state_known",
            ),
            models.CheckConstraint(condition=Q(number__gt=0), name="revision_number_positive"),
            # Four eyes: nobody approves or rejects their own revision.
            models.CheckConstraint(
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=F("author")),
                name="revision_reviewer_not_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} #{self.number} ({self.state})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = self._stored
        if stored is not None and stored[0] not in self.OPEN_STATES:
            superseding = stored[0] == self.State.PUBLISHED and self.state in (
                self.State.PUBLISHED,
                self.State.SUPERSEDED,
            )
            if not superseding or _frozen(self.__dict__) != stored[1]:
                raise RevisionLocked(
                    f"revision {self.number} is {stored[0]}: it cannot change any more"
                )
        super().save(*args, **kwargs)
        self._stored = (self.state, _frozen(self.__dict__))

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> ServiceRevision:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored = (instance.__dict__.get("state"), _frozen(instance.__dict__))
        return instance

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


def _frozen(values: dict[str, Any]) -> str:
    """What a closed revision may not change, comparable after in-place edits."""
    kept = {
        name: values.get(name)
        for name in ("content", "base", "author_id", "reviewer_id", "review_note", "number")
    }
    return json.dumps(kept, sort_keys=True, default=str)


# The harvest log and the sources of harvested services (catalog.harvest) live beside.
from .harvest_models import HarvestRecord, HarvestRun, ServiceSource  # noqa: E402, F401
