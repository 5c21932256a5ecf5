"""The government data exchange: data services, the bases for using them (an agency's
legal mission, a person's consent) and the message log of every request.

Modelled on X-Road's security-server view: a *data service* is a provider agency's
dataset, described field by field with PDPA labels; a *consumer* is an agency (and the
system and officer acting for it). Nothing reaches a provider except through
``exchange.gateway``, which decides on a basis and writes the message log.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Agency, RequiredDocument, Service
from bizportal.core.models import PersonalDataLabel


class SubjectKind(models.TextChoices):
    PERSON = "person", _("natural person")
    JURISTIC = "juristic", _("juristic person")
    ANY = "any", _("either")

    def covers(self, party_kind: str) -> bool:
        """Whether a party of ``party_kind`` ("person" or "juristic") can be asked about."""
        return self == SubjectKind.ANY or self == party_kind


class AgencySystem(models.Model):
    """An agency's own system that calls the portal (X-Road's *subsystem* of a member).

    Each has one OAuth2 client (client credentials, django-oauth-toolkit) bound to its
    agency: a token speaks for that agency only, for the scopes listed here, and the
    message log names the system. Secrets are shown once and rotated in the admin."""

    code = models.SlugField(max_length=60, unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    name_th = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    client = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="agency_system",
        editable=False,
    )
    scopes = models.JSONField(default=list, help_text="scopes the system may ask for")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.agency_id})"


class DataService(models.Model):
    """A dataset a provider agency answers for through the exchange.

    ``fields`` lists what an answer may hold, each ``{"name", "label_th", "label_en",
    "pdpa"}`` with ``pdpa`` a :class:`PersonalDataLabel`: a consumer asks for fields by
    name and gets only those its basis allows."""

    code = models.SlugField(max_length=60, unique=True)
    provider = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    name_th = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    description_th = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    version = models.CharField(max_length=20, default="1")
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    fields = models.JSONField(default=list)
    legal_basis_th = models.TextField(help_text="the law under which the provider holds it")
    legal_basis_en = models.TextField(blank=True)
    openapi_url = models.URLField(blank=True)
    connector = models.CharField(
        max_length=40, help_text="the provider plugin that answers (exchange.providers)"
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.name_en or self.name_th})"

    def field_names(self) -> list[str]:
        return [str(f["name"]) for f in self.fields if isinstance(f, dict) and f.get("name")]

    def labels(self) -> dict[str, str]:
        """Field name → PDPA label."""
        return {
            str(f["name"]): str(f.get("pdpa") or PersonalDataLabel.PERSONAL)
            for f in self.fields
            if isinstance(f, dict) and f.get("name")
        }


def _require_fields_of(data_service: DataService | None, fields: list[str]) -> None:
    known = set(data_service.field_names()) if data_service is not None else set()
    unknown = sorted(set(fields or []) - known)
    if not fields or unknown:
        raise ValidationError(
            {
                "fields": _("name fields this data service holds (unknown: %(unknown)s)")
                % {"unknown": unknown}
            }
        )


class MissionRule(models.Model):
    """An agency's legal mission to obtain fields of a data service without asking the
    person each time: "the DBD may obtain these fields of the civil registry to decide
    a company registration", with the law that says so. ``service`` narrows it to one
    licensing service (none: every service of the agency) and ``step`` to one step of the
    purpose (blank: every step): a mission to prove identity at the counter must not
    become a licence to read the registry for anything else."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    data_service = models.ForeignKey(DataService, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    step = models.CharField(
        max_length=40,
        blank=True,
        help_text="the purpose step the mission covers, e.g. counter_proofing (blank: every step)",
    )
    fields = models.JSONField(default=list, help_text="field names the mission covers")
    legal_basis_th = models.TextField()
    legal_basis_en = models.TextField(blank=True)
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "data_service"], name="exchange_mission_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} → {self.data_service_id}"

    def clean(self) -> None:
        """A mission covers fields the data service holds, over a period that exists."""
        super().clean()
        _require_fields_of(self.data_service if self.data_service_id else None, self.fields)
        if self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("the end cannot precede the start")})


class SharingAgreement(models.Model):
    """The data-sharing agreement between a provider agency and a consumer agency for one
    data service: what the consumer may take (fields), for what (purpose), under which
    law, and how long it may keep it. PDPA s. 39 asks the controller to record the
    disclosures it makes; the agreements are kept as data so the record of processing
    (``privacy.ropa``) lists them as the code knows them, not as a separate document
    that drifts. The gateway's decision still rests on a mission or a consent: an
    agreement is what the two agencies signed, the mission is what the law allows."""

    reference = models.SlugField(
        max_length=60, unique=True, help_text="the agreement's number, e.g. MOU-2568-014"
    )
    consumer = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    data_service = models.ForeignKey(DataService, on_delete=models.PROTECT, related_name="+")
    purpose_th = models.TextField()
    purpose_en = models.TextField(blank=True)
    fields = models.JSONField(default=list, help_text="field names the consumer may receive")
    legal_basis_th = models.TextField()
    legal_basis_en = models.TextField(blank=True)
    retention_days = models.PositiveIntegerField(
        help_text="how long the consumer keeps what it received"
    )
    signed_on = models.DateField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="sharing_agreement_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(retention_days__gt=0), name="sharing_agreement_keeps_for_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.consumer_id} ← {self.data_service_id}"

    def clean(self) -> None:
        """An agreement covers fields the data service holds, over a period that exists."""
        super().clean()
        _require_fields_of(self.data_service if self.data_service_id else None, self.fields)
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("the end cannot precede the start")})


class DocumentSource(models.Model):
    """A required document the portal fetches instead of asking for an upload (once
    only): "the food-shop licence's proof of address comes from the civil registry,
    these fields". The subject is the applying party (person or company); the consumer
    is the agency that decides the application, on its mission or the party's consent.
    Declared here, above the catalogue, so the catalogue does not depend on the
    exchange."""

    document = models.OneToOneField(
        RequiredDocument, on_delete=models.CASCADE, related_name="data_source"
    )
    data_service = models.ForeignKey(DataService, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list, help_text="field names the document needs")

    def __str__(self) -> str:
        return f"{self.document_id} ← {self.data_service_id}"

    def clean(self) -> None:
        """A source names fields its data service holds."""
        super().clean()
        _require_fields_of(self.data_service if self.data_service_id else None, self.fields)

    def field_labels(self) -> list[dict[str, str]]:
        """The fields in the data service's order, each with its Thai and English label."""
        wanted = set(self.fields)
        return [
            {
                "name": str(f["name"]),
                "th": str(f.get("label_th", "")),
                "en": str(f.get("label_en", "")),
            }
            for f in self.data_service.fields
            if isinstance(f, dict) and f.get("name") in wanted
        ]


class Consent(models.Model):
    """A person's consent for one agency to obtain fields of one data service for a
    purpose (the record fields of ISO/IEC TS 27560 and GovStack's Consent building
    block: subject, controller, data, purpose, notice, granted, expiry, withdrawal,
    version). Revoking it takes effect on the next request: the gateway reads it then."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject_id = models.CharField(max_length=20, db_index=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    data_service = models.ForeignKey(DataService, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list)
    purpose_th = models.TextField()
    purpose_en = models.TextField(blank=True)
    notice_th = models.TextField(help_text="the plain-Thai text the person agreed to")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    PDPA = {"subject_id": PersonalDataLabel.PERSONAL}

    class Meta:
        indexes = [
            models.Index(
                fields=["subject_id", "agency", "data_service"], name="exchange_consent_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.public_id}"

    def in_force(self, at: Any = None) -> bool:
        at = at or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return self.expires_at is None or self.expires_at > at


class ConsentEvent(models.Model):
    """One change of a consent (granted, revoked), with what it said then."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        REVOKED = "revoked", _("revoked")

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} v{self.version} of {self.consent_id}"


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("answered")
    REFUSED = "refused", _("refused")
    NOT_FOUND = "not_found", _("no such record")
    UNAVAILABLE = "unavailable", _("provider unavailable")


class Basis(models.TextChoices):
    MISSION = "mission", _("legal mission")
    CONSENT = "consent", _("consent")
    SUBJECT = "subject", _("the person themselves")
    NONE = "none", _("no basis")


class MessageLogEntry(models.Model):
    """One request through the gateway and what came of it, answered or refused.

    Entries form a hash chain (``seq``, ``prev_hash``, ``hash``) and each hash is signed
    with the platform's key (``core.anchoring``), so an edited, inserted or deleted
    entry is reported by ``manage.py verify_exchange_log``. The answer itself is not
    kept (data minimisation): its SHA-256 and the names of the fields it held are."""

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    algorithm = models.CharField(max_length=20, editable=False)
    key_id = models.CharField(max_length=64, editable=False)
    signature = models.TextField(editable=False)
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, editable=False)
    consumer_agency = models.CharField(max_length=40, db_index=True)
    consumer_system = models.CharField(max_length=80)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer_name = models.CharField(max_length=200, blank=True)
    data_service = models.CharField(max_length=60)
    provider = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=20)
    purpose = models.JSONField(default=dict)
    basis = models.CharField(max_length=10, choices=Basis.choices)
    basis_ref = models.CharField(max_length=64, blank=True)
    fields_requested = models.JSONField(default=list)
    fields_returned = models.JSONField(default=list)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    response_digest = models.CharField(max_length=64, blank=True)

    PDPA = {"subject_id": PersonalDataLabel.PERSONAL, "officer_name": PersonalDataLabel.PERSONAL}

    class Meta:
        ordering = ["seq"]
        indexes = [
            # The data tracker: one person's accesses, newest first.
            models.Index(fields=["subject_id", "-seq"], name="exchange_log_subject"),
            models.Index(fields=["consumer_agency", "-seq"], name="exchange_log_consumer"),
            models.Index(fields=["provider", "-seq"], name="exchange_log_provider"),
            models.Index(fields=["data_service", "-seq"], name="exchange_log_service"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.data_service} for {self.consumer_agency}: {self.outcome}"
