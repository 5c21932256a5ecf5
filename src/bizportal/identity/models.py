"""Who uses the portal (accounts, staff roles) and for whom they act (parties, mandates).

An *account* (:class:`User`) is one natural person: an entrepreneur who proves who they
are at Digital ID, or a member of staff who signs in with a password. A *party* is the
legal person that applies for and holds licences: the person themselves, or a company
they act for as a registered director, or a person or company that gave them a mandate.
Applications, licences and receipts belong to parties, so everyone acting for a company
sees the company's account.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bizportal.catalog.models import Service
from bizportal.core.models import PersonalDataLabel


class User(AbstractUser):
    """A portal account.

    Entrepreneurs are keyed by their validated 13-digit citizen ID and have no
    password here: they prove who they are at Digital ID. Officers belong to exactly
    one agency and see only its applications.
    """

    class Role(models.TextChoices):
        """The kind of account; what staff may do is their :class:`StaffRole` groups."""

        APPLICANT = "applicant", _("Entrepreneur")
        STAFF = "staff", _("Staff")
        #: A vendor's software acting for companies that approved it (federation
        #: app): no password, no session, only machine tokens limited to the rights
        #: a director approved.
        SYSTEM = "system", _("System user")

    PERSONAL_DATA = {
        "citizen_id": PersonalDataLabel.PERSONAL,
        "full_name_th": PersonalDataLabel.PERSONAL,
        "full_name_en": PersonalDataLabel.PERSONAL,
        "email": PersonalDataLabel.PERSONAL,
        "phone": PersonalDataLabel.PERSONAL,
        "address": PersonalDataLabel.PERSONAL,
        "birth_date": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.APPLICANT)
    citizen_id = models.CharField(max_length=13, unique=True, null=True, blank=True)
    passport_no = models.CharField(
        max_length=20, blank=True, help_text="foreign entrepreneurs without a Thai ID"
    )
    nationality = models.CharField(
        max_length=3, blank=True, help_text="ISO 3166-1 alpha-3; blank for Thais"
    )
    party = models.OneToOneField(
        "identity.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
        help_text="the entrepreneur as a party: the legal person they are themselves",
    )
    full_name_th = models.CharField(max_length=200, blank=True)
    full_name_en = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    address = models.JSONField(default=dict, blank=True, help_text="from the civil registry")
    agency = models.ForeignKey(
        "catalog.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    identity_assurance = models.CharField(
        max_length=8, blank=True, help_text="IAL of the last Digital ID sign-in, e.g. 2.1"
    )

    #: Per request, not stored: the authenticator assurance level of the session (set
    #: by ``ActingMiddleware``; 0 outside a request) and whom the person acts for.
    session_aal: int = 0
    acting: Any = None

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(citizen_id__isnull=True) | Q(citizen_id__regex=r"^[0-9]{13}$"),
                name="citizen_id_13_digits",
            ),
        ]

    @functools.cached_property
    def staff_roles(self) -> frozenset[str]:
        """The account's staff roles (its groups), read once per request."""
        if not self.pk or self.role != self.Role.STAFF:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *roles: str) -> bool:
        return self.is_active and bool(self.staff_roles & set(roles))

    @property
    def is_entrepreneur(self) -> bool:
        return self.is_active and self.role == self.Role.APPLICANT

    @property
    def is_system(self) -> bool:
        """A vendor's software (a system user), acting only through approved rights."""
        return self.is_active and self.role == self.Role.SYSTEM

    @property
    def is_officer(self) -> bool:
        """Decides applications of its agency: an agency officer or supervisor."""
        return self.agency_id is not None and self.has_role(
            StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_SUPERVISOR
        )

    @property
    def display_name(self) -> str:
        return self.full_name_th or self.full_name_en or self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


class StaffRole(models.TextChoices):
    """Staff roles, held as Django groups of the same name; permissions are rules
    (``<app>/rules.py``) that read them, never the group's permission rows."""

    COUNTER_OFFICER = "counter_officer", _("Service counter officer")
    HELPDESK = "helpdesk_officer", _("Helpdesk officer")
    AGENCY_OFFICER = "agency_officer", _("Agency officer")
    AGENCY_SUPERVISOR = "agency_supervisor", _("Agency supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    AGENCY_IT = "agency_it", _("Agency IT officer")
    FINANCE = "finance", _("Finance officer")
    EXECUTIVE = "executive", _("Executive")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


#: Roles that belong to one agency (the account must name it).
AGENCY_ROLES = frozenset(
    {
        StaffRole.AGENCY_OFFICER,
        StaffRole.AGENCY_SUPERVISOR,
        StaffRole.AGENCY_ADMIN,
        StaffRole.AGENCY_IT,
        StaffRole.FINANCE,
    }
)


class Party(models.Model):
    """A legal person who applies for and holds licences.

    ``key`` identifies it across the portal and the licence register: the 13-digit
    citizen or juristic ID, or ``P:<nationality>:<passport>`` for a foreigner with no
    Thai ID. A company's directors, status and signing rule are a snapshot of the
    juristic registry, refreshed when someone chooses to act for it and at submission.
    """

    PERSONAL_DATA = {
        "key": PersonalDataLabel.PERSONAL,
        "name_th": PersonalDataLabel.PERSONAL,
        "name_en": PersonalDataLabel.PERSONAL,
    }

    class Kind(models.TextChoices):
        PERSON = "person", _("Natural person")
        JURISTIC = "juristic", _("Juristic person")

    class SigningRule(models.TextChoices):
        ANY_DIRECTOR = "any", _("Any one director signs")
        TWO_DIRECTORS = "two", _("Two directors sign jointly")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=40, unique=True)
    name_th = models.CharField(max_length=300, blank=True)
    name_en = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(
        default=True, help_text="a company not active in the registry cannot apply"
    )
    registry_status = models.CharField(max_length=40, blank=True)
    signing_rule = models.CharField(
        max_length=3, choices=SigningRule.choices, default=SigningRule.ANY_DIRECTOR
    )
    registered_address = models.JSONField(default=dict, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(
                condition=Q(key__regex=r"^([0-9]{13}|P:[A-Z]{3}:[A-Z0-9]{5,20})$"),
                name="party_key_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name_th or self.name_en or self.key

    @property
    def is_company(self) -> bool:
        return self.kind == self.Kind.JURISTIC

    @property
    def needs_two_signatures(self) -> bool:
        return self.is_company and self.signing_rule == self.SigningRule.TWO_DIRECTORS

    def is_director(self, citizen_id: str | None) -> bool:
        return bool(citizen_id) and self.directorships.filter(citizen_id=citizen_id).exists()


class Directorship(models.Model):
    """A director of a company, as the juristic registry listed them at the last refresh."""

    PERSONAL_DATA = {"citizen_id": PersonalDataLabel.PERSONAL}

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="directorships")
    citizen_id = models.CharField(max_length=13, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["party", "citizen_id"], name="one_directorship_each")
        ]

    def __str__(self) -> str:
        return f"{self.citizen_id} of {self.party}"


class MandateAction(models.TextChoices):
    """What a mandate lets the delegate do for the party."""

    PREPARE = "prepare", _("Prepare applications")
    SUBMIT = "submit", _("Submit applications")
    PAY = "pay", _("Pay fees")
    VIEW = "view", _("View applications and licences")
    RECEIVE = "receive", _("Receive licences")


def mandate_document_upload_to(instance: Mandate, filename: str) -> str:
    return f"mandates/{instance.public_id}/{filename}"


class Mandate(models.Model):
    """Electronic delegation: a party lets one person act for it, within limits.

    The grantor (the party, through an account that may act for it with authority to
    grant: the person themselves, or a director of the company) names the delegate by
    citizen ID or passport, the services (none: every service), the actions and the
    period. The delegate accepts it in their own account; revocation takes effect at
    the delegate's next request, because every request checks the mandate again.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", _("Waiting for acceptance")
        ACCEPTED = "accepted", _("In force")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    PERSONAL_DATA = {
        "delegate_key": PersonalDataLabel.PERSONAL,
        "delegate_name": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grantor = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="mandates_given")
    delegate_key = models.CharField(
        max_length=40, help_text="the delegate's citizen ID, or P:<nationality>:<passport>"
    )
    delegate_name = models.CharField(max_length=300, blank=True)
    delegate = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mandates_received",
        help_text="the account that accepted it",
    )
    services = models.ManyToManyField(
        "catalog.Service",
        blank=True,
        related_name="+",
        help_text="the services it covers; none means every service",
    )
    actions = models.JSONField(default=list, help_text="MandateAction values")
    valid_from = models.DateField()
    valid_until = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OFFERED)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    # The written power of attorney a service's law may need (catalog.Service.
    # requires_written_mandate): rendered and signed (PAdES) by the portal once the
    # delegate accepted, and stored here, so the acting check can ask for it without
    # knowing how it is made (identity sits below the licence signing code).
    document = models.FileField(upload_to=mandate_document_upload_to, max_length=200, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["delegate_key", "status"], name="mandate_delegate_idx"),
            models.Index(fields=["delegate", "status"], name="mandate_account_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="mandate_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(delegate__isnull=False),
                name="accepted_mandate_names_its_account",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                name="revoked_mandate_has_time",
            ),
            models.CheckConstraint(
                condition=Q(document_signed_at__isnull=True)
                | (~Q(document="") & ~Q(document_sha256="")),
                name="signed_mandate_document_is_stored",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grantor} → {self.delegate_name or self.delegate_key}"

    def written_services(self) -> Any:
        """The services it covers whose law needs a written power of attorney (a
        queryset): those it names, or, naming none (every service), all such services."""
        named = Service.objects.filter(requires_written_mandate=True)
        if self.pk is not None and self.services.exists():
            named = named.filter(pk__in=self.services.values("pk"))
        return named.order_by("slug")

    @property
    def needs_document(self) -> bool:
        """Whether a signed written mandate must exist before the delegate may act."""
        return self.written_services().exists()


class CounterProofing(models.Model):
    """A walk-in applicant's identity, proved at a service counter by an officer.

    The method gives the identity assurance level, on ETDA's guideline scale
    (ขมธอ. 19-2561, IAL 1.1 … 3), highest at the counter first:

    * chip read and face compared (``chip_face``): the Thai ID card's chip is read by
      the counter's reader (signed by its agent), and the person's live face matches
      the chip photo (score at least ``CARD_READER_FACE_THRESHOLD``), confirmed by
      the officer: the evidence is verified and bound to the person: **IAL 2.3**;
    * chip read (``chip``): genuine card, face compared by eye only: **IAL 2.2**;
    * document checked by eye (``document``): **IAL 2.1**.

    A person's ``identity_assurance`` rises to the proofing's level only if higher.
    """

    class Method(models.TextChoices):
        ID_CARD_CHIP_FACE = "chip_face", _("ID card chip read and face compared")
        ID_CARD_CHIP = "chip", _("ID card chip read")
        DOCUMENT = "document", _("Identity document checked")

    IAL_BY_METHOD = {"chip_face": "2.3", "chip": "2.2", "document": "2.1"}
    #: Methods that read the card's chip through the reader.
    CHIP_METHODS = frozenset({"chip", "chip_face"})

    PERSONAL_DATA = {"document_no": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(User, on_delete=models.PROTECT, related_name="proofings")
    method = models.CharField(max_length=10, choices=Method.choices)
    ial = models.CharField(max_length=4)
    document_no = models.CharField(
        max_length=40, blank=True, help_text="card or document number seen"
    )
    card_expires = models.DateField(null=True, blank=True, help_text="from the chip")
    face_score = models.FloatField(
        null=True, blank=True, help_text="live face vs chip photo, 0-1 (chip_face only)"
    )
    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.account} by {self.method} ({self.ial})"


# --- identity providers side by side (issue 21) ---------------------------------------


class IdentityLink(models.Model):
    """That an identity provider proved this account: one row per (provider, subject).

    Accounts are matched across providers on the citizen ID (foreign nationals: passport
    number and nationality); the link says which providers have proved the person, and
    keeps the little (``claims``: names, birth date) that the next provider's answer is
    compared with, so a conflicting one is held for review instead of merged.
    """

    PERSONAL_DATA = {"subject": PersonalDataLabel.PERSONAL, "claims": PersonalDataLabel.PERSONAL}

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_links")
    provider = models.CharField(max_length=30, help_text="plugin name, e.g. digital_id, thaid")
    subject = models.CharField(max_length=255, help_text="the provider's 'sub' for the person")
    ial = models.CharField(max_length=8, blank=True)
    aal = models.PositiveSmallIntegerField(default=1)
    claims = models.JSONField(
        default=dict, help_text="minimised: names and birth date as this provider stated them"
    )
    first_signed_in_at = models.DateTimeField()
    last_signed_in_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="identity_link_provider_subject_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} via {self.provider}"


class IdentityConflict(models.Model):
    """A provider's answer that disagrees with what another provider proved for the
    same account (e.g. another birth date for the same citizen ID): the sign-in was
    refused and the case waits for a platform administrator, who accepts the new link
    or rejects it."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("identity conflict", "Open")
        ACCEPTED = "accepted", pgettext_lazy("identity conflict", "Accepted: linked")
        REJECTED = "rejected", pgettext_lazy("identity conflict", "Rejected: refused")

    PERSONAL_DATA = {
        "subject": PersonalDataLabel.PERSONAL,
        "known_claims": PersonalDataLabel.PERSONAL,
        "new_claims": PersonalDataLabel.PERSONAL,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_conflicts")
    provider = models.CharField(max_length=30, help_text="the provider whose answer conflicts")
    subject = models.CharField(max_length=255)
    known_provider = models.CharField(max_length=30, help_text="who proved the account before")
    known_claims = models.JSONField(default=dict, help_text="minimised, as proved before")
    new_claims = models.JSONField(default=dict, help_text="minimised, as the provider sent")
    ial = models.CharField(max_length=8, blank=True)
    aal = models.PositiveSmallIntegerField(default=1)
    differs = models.JSONField(default=list, help_text="names of the claims that differ")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.account}: {self.provider} vs {self.known_provider} ({self.status})"


class NdidRequest(models.Model):
    """A sign-in through the NDID network, from the request to the node until the person
    is signed in: ``pending`` until the node's callback says ``completed``, ``rejected``
    or ``timed_out`` (or the portal gives up waiting: ``timed_out`` too); a completed
    request signs in once (``signed_in_at``)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("NDID request", "Waiting for your IdP")
        COMPLETED = "completed", pgettext_lazy("NDID request", "Confirmed by your IdP")
        REJECTED = "rejected", pgettext_lazy("NDID request", "Refused at your IdP")
        TIMED_OUT = "timed_out", pgettext_lazy("NDID request", "Timed out")

    FINAL = frozenset({Status.COMPLETED, Status.REJECTED, Status.TIMED_OUT})
    PERSONAL_DATA = {"identifier": PersonalDataLabel.PERSONAL}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference_id = models.CharField(max_length=64, unique=True, help_text="ours, to the node")
    request_id = models.CharField(max_length=128, unique=True, help_text="the node's")
    namespace = models.CharField(max_length=30, default="citizen_id")
    identifier = models.CharField(max_length=30, help_text="the citizen ID asked about")
    idp_id = models.CharField(max_length=128, help_text="the IdP the person chose")
    min_ial = models.CharField(max_length=8)
    min_aal = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    ial = models.CharField(max_length=8, blank=True)
    aal = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"NDID {self.request_id} ({self.status})"


class ProviderProofing(models.Model):
    """The person's identity proved again at an identity provider, at the portal's
    request for a higher IAL (``acr_values``): method "provider", which one, when, and
    the IAL it confirmed. (Proofing at a counter is :class:`CounterProofing`.)"""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(User, on_delete=models.PROTECT, related_name="provider_proofings")
    provider = models.CharField(max_length=30)
    ial = models.CharField(max_length=8)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.account} at {self.provider} ({self.ial})"


class ClientRepresentation(models.Model):
    """A company lets another company (an accountant firm) act for it as its client
    representative, within ``services`` x ``actions``, until revoked.

    Why a firm and not a mandate to each person: the firm's staff change, the client's
    approval should not. The firm's registered directors, and the persons the firm has
    mandated, act for the client within the intersection of this approval and their own
    grounds at the firm; :func:`bizportal.identity.acting.grounds` reads it again on every
    request, so a revocation stops them at their next click. Approved and revoked only
    by a registered director of the client company.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="representatives")
    firm = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="clients_represented")
    services = models.ManyToManyField("catalog.Service", related_name="+")
    actions = models.JSONField(default=list, help_text="MandateAction values")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "firm"],
                condition=Q(revoked_at__isnull=True),
                name="one_representation_in_force",
            ),
            models.CheckConstraint(
                condition=~Q(client=models.F("firm")), name="representation_not_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} for {self.client}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None

    def service_ids(self) -> list[int]:
        return [service.pk for service in self.services.all()]

    def allows(self, action: str, service_id: int | None) -> bool:
        """Whether the approval covers ``action`` for the service (None: some service)."""
        if not self.in_force or action not in (self.actions or []):
            return False
        return service_id is None or service_id in self.service_ids()

    def action_labels(self) -> list[Any]:
        return [MandateAction(a).label for a in self.actions if a in MandateAction.values]
