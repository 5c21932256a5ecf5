"""Electronic licences: the register, and the signed document versions of each licence.

One licence keeps one number for its whole life. Each issue, amendment and renewal
is a new :class:`LicenceVersion` with its own signed PDF and validity; the earlier
version still verifies, as *superseded*, pointing at the current one. The register
row (:class:`Licence`) holds what is true now: holder, current version, validity
and status, which is what the public verification page reads.

This app knows nothing of applications: the application that leads to a licence
hands over a :class:`~bizportal.licences.services.LicenceDraft`; agencies' own
systems can do the same.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizportal.core.models import PersonalDataLabel

#: Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper is
#: not mistaken (``check_codes.normalise`` maps the look-alikes back).
CHECK_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_CODE_LENGTH = 8


def new_check_code() -> str:
    """A random check code (40 bits): printed on the licence and in its QR, it proves the
    asker holds the document, which the sequential number alone does not."""
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _i in range(CHECK_CODE_LENGTH))


class HolderKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    JURISTIC = "juristic", _("Juristic person")


class VersionKind(models.TextChoices):
    NEW = "new", _("New")
    AMEND = "amend", _("Amended")
    RENEW = "renew", _("Renewed")


class Licence(models.Model):
    PERSONAL_DATA = {
        "holder_name": PersonalDataLabel.PERSONAL,
        "holder_name_en": PersonalDataLabel.PERSONAL,
        "holder_id": PersonalDataLabel.PERSONAL,
        "details": PersonalDataLabel.PERSONAL,
    }

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUSPENDED = "suspended", _("Suspended")
        REVOKED = "revoked", _("Revoked")
        CANCELLED = "cancelled", _("Cancelled by the holder")
        EXPIRED = "expired", _("Expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=40, unique=True)
    check_code = models.CharField(
        max_length=CHECK_CODE_LENGTH,
        default=new_check_code,
        editable=False,
        help_text="printed on the licence beside the number and in its QR link; with the "
        "number it unlocks the holder's details on the public verify page and API",
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="licences"
    )
    agency = models.ForeignKey("catalog.Agency", on_delete=models.PROTECT, related_name="licences")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="licences",
        help_text="the portal account that holds the licence and may act on it",
    )
    holder_kind = models.CharField(
        max_length=8, choices=HolderKind.choices, default=HolderKind.PERSON
    )
    holder_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="citizen ID of a person, juristic ID of a company, P:<nationality>:<passport>",
    )
    holder_name = models.CharField(max_length=300)
    holder_name_en = models.CharField(max_length=300, blank=True)
    business_name = models.CharField(max_length=250, blank=True)
    title_th = models.CharField(max_length=250)
    title_en = models.CharField(max_length=250)
    permits_th = models.TextField()
    permits_en = models.TextField()
    details = models.JSONField(
        default=dict, blank=True, help_text="the answers the current version was issued on"
    )
    issued_at = models.DateTimeField(help_text="first issue")
    version = models.PositiveIntegerField(default=1, help_text="number of the current version")
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(
        null=True, blank=True, help_text="last valid day of the current version; empty: no expiry"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    suspended_until = models.DateField(
        null=True, blank=True, help_text="last day of a suspension; empty: until reinstated"
    )
    suspension_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    status_index = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="this licence's bit in its agency's Bitstring Status Lists (revocation, "
        "suspension); allocated at issue, unique per agency",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [
            models.Index(fields=["account", "-issued_at"], name="my_licences_idx"),
            models.Index(fields=["holder_id", "-issued_at"], name="holder_licences_idx"),
            # The daily expiry sweep and the reminders look licences up by state and date.
            models.Index(fields=["status", "valid_until"], name="licence_expiry_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "status_index"], name="one_status_index_per_agency"
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                name="licence_revoked_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="licence_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(holder_id="")
                | Q(holder_id__regex=r"^([0-9]{13}|P:[A-Z]{3}:[A-Z0-9]{5,20})$"),
                name="licence_holder_id_format",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def check_code_display(self) -> str:
        """The check code as printed: two groups of four (``7KQ2-M9XA``)."""
        return f"{self.check_code[:4]}-{self.check_code[4:]}"

    @property
    def current(self) -> LicenceVersion:
        return self.versions.get(number=self.version)


def licence_upload_to(instance: Any, filename: str) -> str:
    """Where 0.1 stored a licence's single PDF; kept because migration 0001 names it."""
    return f"licences/{instance.issued_at:%Y}/{instance.public_id}.pdf"


def version_upload_to(instance: LicenceVersion, filename: str) -> str:
    """Files are named by the unguessable public id, never by the licence number."""
    return f"licences/{instance.issued_at:%Y}/{instance.licence.public_id}-v{instance.number}.pdf"


class LicenceVersion(models.Model):
    """One signed document of a licence: what was issued, when, valid for how long.

    The row is the register entry and is written with the decision; its PDF follows a
    moment later from a background task (``signed_at`` empty meanwhile: "being issued").
    """

    PERSONAL_DATA = {
        "holder_name": PersonalDataLabel.PERSONAL,
        "details": PersonalDataLabel.PERSONAL,
        "payload": PersonalDataLabel.PERSONAL,
        "credential": PersonalDataLabel.PERSONAL,
        "pdf": PersonalDataLabel.PERSONAL,
    }

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=6, choices=VersionKind.choices)
    application_reference = models.CharField(
        max_length=40, blank=True, help_text="the application that led to this version"
    )
    issued_at = models.DateTimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    holder_name = models.CharField(max_length=300)
    business_name = models.CharField(max_length=250, blank=True)
    details = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to=version_upload_to, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    credential = models.TextField(
        blank=True,
        help_text="the version as a W3C Verifiable Credential, VC-JOSE compact JWS "
        "(application/vc+jwt) signed by the agency; also embedded in the PDF",
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(
        default=timezone.now, help_text="when the register entry was written"
    )
    signed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when the signed PDF was stored; empty while it is being issued (the "
        "document is rendered and signed in the background after the register entry commits)",
    )

    class Meta:
        ordering = ["licence", "-number"]
        indexes = [
            # The sweeper's question, "which documents are still being issued?", stays an
            # index lookup of a handful of rows however large the register grows.
            models.Index(
                fields=["registered_at"],
                condition=Q(signed_at__isnull=True),
                name="licence_version_unsigned_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["licence", "number"], name="licence_version_unique"),
            models.UniqueConstraint(
                fields=["application_reference"],
                condition=~Q(application_reference=""),
                name="one_licence_version_per_application",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | ~Q(pdf_sha256=""),
                name="licence_version_signed_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence.number} v{self.number}"

    @property
    def being_issued(self) -> bool:
        """Registered but its signed PDF not stored yet (the background task is on it)."""
        return self.signed_at is None


class RevocationReason(models.TextChoices):
    FALSE_STATEMENTS = "false_statements", _("obtained by false statements")
    CONDITIONS_BREACHED = "conditions_breached", _("conditions breached")
    DANGER = "danger", _("a danger to the public")
    COURT_ORDER = "court_order", _("court order")
    OTHER = "other", _("another ground in law")


class RevocationRequest(models.Model):
    """Maker–checker for a revocation: an officer asks, a supervisor of the same agency
    (never the same person) approves or declines; only an approval revokes."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="revocations")
    reason_code = models.CharField(max_length=24, choices=RevocationReason.choices)
    note = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence"],
                condition=Q(state="pending"),
                name="one_pending_revocation_per_licence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.reason_code} ({self.state})"


class ExpiryReminder(models.Model):
    """A reminder sent to the holder that a licence term is running out.

    One row per licence, term (its ``valid_until``) and threshold, so each reminder goes
    out once however often the sweeper runs, and a renewal (a new term) starts afresh.
    """

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="reminders")
    valid_until = models.DateField(help_text="the last day of the term the reminder was for")
    days_before = models.PositiveSmallIntegerField(help_text="the threshold that was reached")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "valid_until", "days_before"], name="expiry_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_id} {self.valid_until} -{self.days_before}d"
