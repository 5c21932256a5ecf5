"""The sandbox Digital ID provider's own records.

They deliberately live apart from :class:`bizportal.identity.models.User`: the provider
stands in for another organisation (DOPA's ThaID, an NDID IdP), so the portal may only
learn about these people through the OpenID Connect protocol, never through a join.
The provider's browser sessions live apart too (:class:`ProviderSession`), for the same
reason: a portal session must never count as a sign-in here, nor the other way round.
"""

from __future__ import annotations

import re
import time
import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from bizportal.core.models import PersonalDataLabel

#: Identity assurance levels used by Thai Digital ID (ETDA guideline), low to high.
IAL_LEVELS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3")

#: Authenticator assurance levels this provider can reach: password (1), password + TOTP (2).
AAL_LEVELS = ("1", "2")

#: What a relying party puts in ``acr_values`` to ask for a given AAL, alone or together
#: with an IAL (``urn:th:digitalid:ial:2.1:aal:2``, the form of our ``acr`` claim).
_ACR_AAL = re.compile(r"^urn:th:digitalid:(?:ial:[0-9.]+:)?aal:([0-9]+)$")

PASSPORT_PATTERN = r"^[A-Z0-9]{5,20}$"
NATIONALITY_PATTERN = r"^[A-Z]{3}$"


class PersonKind(models.TextChoices):
    THAI = "thai", "Thai citizen"
    FOREIGN = "foreign", "Foreign national"


class SandboxIdentity(models.Model):
    """A person registered at the sandbox provider.

    A Thai citizen signs in with the 13-digit citizen ID; a foreign national with the
    passport number or, when they have one, the 13-digit ID number Thailand issues to
    some foreign residents. Both then need the password, and at AAL2 a TOTP code too.
    """

    PERSONAL_DATA = {
        "citizen_id": PersonalDataLabel.PERSONAL,
        "passport_no": PersonalDataLabel.PERSONAL,
        "nationality": PersonalDataLabel.PERSONAL,
        "given_name_th": PersonalDataLabel.PERSONAL,
        "family_name_th": PersonalDataLabel.PERSONAL,
        "given_name_en": PersonalDataLabel.PERSONAL,
        "family_name_en": PersonalDataLabel.PERSONAL,
        "email": PersonalDataLabel.PERSONAL,
        "birth_date": PersonalDataLabel.PERSONAL,
        # Whoever holds it can produce the person's second factor.
        "totp_secret": PersonalDataLabel.SENSITIVE,
    }

    subject = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="the OIDC 'sub': stable and opaque, never the citizen ID",
    )
    person_kind = models.CharField(
        max_length=10, choices=PersonKind.choices, default=PersonKind.THAI
    )
    citizen_id = models.CharField(
        max_length=13,
        blank=True,
        help_text="13 digits; required for a Thai citizen, optional for a foreign national",
    )
    passport_no = models.CharField(
        max_length=20,
        blank=True,
        help_text="foreign nationals only; stored in capitals, signed in with in any case",
    )
    nationality = models.CharField(
        max_length=3, blank=True, help_text="ISO 3166-1 alpha-3 (e.g. GBR); foreign nationals"
    )
    password = models.CharField(max_length=128, help_text="a Django password hash")
    totp_secret = models.CharField(
        max_length=64,
        blank=True,
        help_text="base32 TOTP secret (RFC 6238); empty until the person enrols",
    )
    totp_last_counter = models.BigIntegerField(
        default=0, help_text="time step of the last TOTP code accepted: no code works twice"
    )
    title_th = models.CharField(max_length=30, blank=True)
    given_name_th = models.CharField(max_length=100, blank=True)
    family_name_th = models.CharField(max_length=100, blank=True)
    title_en = models.CharField(max_length=30, blank=True)
    given_name_en = models.CharField(max_length=100, blank=True)
    family_name_en = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    birth_date = models.DateField(
        null=True, blank=True, help_text="released as ThaID's 'birthdate' claim"
    )
    ial = models.CharField(
        max_length=4, default="2.1", choices=[(level, f"IAL {level}") for level in IAL_LEVELS]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sandbox Digital ID identity"
        verbose_name_plural = "sandbox Digital ID identities"
        constraints = [
            models.CheckConstraint(
                condition=Q(person_kind__in=PersonKind.values),
                name="sandbox_identity_person_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(citizen_id__regex=r"^[0-9]{13}$")
                | Q(citizen_id="", person_kind=PersonKind.FOREIGN),
                name="sandbox_identity_citizen_id_13_digits_or_foreigner",
            ),
            # A Thai signs in with the citizen ID only; a foreigner always has a passport.
            models.CheckConstraint(
                condition=Q(person_kind=PersonKind.THAI, passport_no="", nationality="")
                | Q(
                    person_kind=PersonKind.FOREIGN,
                    passport_no__regex=PASSPORT_PATTERN,
                    nationality__regex=NATIONALITY_PATTERN,
                ),
                name="sandbox_identity_foreigner_has_passport",
            ),
            models.CheckConstraint(
                condition=(Q(person_kind=PersonKind.THAI) & ~Q(given_name_th=""))
                | (Q(person_kind=PersonKind.FOREIGN) & ~Q(given_name_en="")),
                name="sandbox_identity_has_a_name",
            ),
            models.UniqueConstraint(
                fields=["citizen_id"],
                condition=~Q(citizen_id=""),
                name="sandbox_identity_citizen_id_unique",
            ),
            models.UniqueConstraint(
                fields=["passport_no"],
                condition=~Q(passport_no=""),
                name="sandbox_identity_passport_no_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name_th or self.name_en

    def clean(self) -> None:
        """Say in both languages what the constraints above would refuse (admin form)."""
        self.passport_no = self.passport_no.strip().upper()
        self.nationality = self.nationality.strip().upper()
        errors: dict[str, str] = {}
        if self.person_kind == PersonKind.FOREIGN:
            if not re.fullmatch(PASSPORT_PATTERN, self.passport_no):
                errors["passport_no"] = _("Enter the passport number: 5-20 letters or digits")
            if not re.fullmatch(NATIONALITY_PATTERN, self.nationality):
                errors["nationality"] = _(
                    "Enter the nationality as an ISO 3166-1 alpha-3 code, e.g. GBR"
                )
            if not self.given_name_en:
                errors["given_name_en"] = _("Enter the English given name")
        else:
            if not self.citizen_id:
                errors["citizen_id"] = _("Enter the citizen ID of a Thai citizen")
            if self.passport_no or self.nationality:
                errors["passport_no"] = _("A Thai citizen signs in with the citizen ID only")
            if not self.given_name_th:
                errors["given_name_th"] = _("Enter the Thai given name")
        if errors:
            raise ValidationError(errors)

    @property
    def is_foreign(self) -> bool:
        return self.person_kind == PersonKind.FOREIGN

    @property
    def name_th(self) -> str:
        return f"{self.title_th}{self.given_name_th} {self.family_name_th}".strip()

    @property
    def name_en(self) -> str:
        return " ".join(p for p in (self.title_en, self.given_name_en, self.family_name_en) if p)

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password)


class AuthorizationCode(models.Model):
    """An authorization code: single use, short-lived, bound to client, redirect URI,
    nonce and PKCE challenge (the shape Authlib's grant expects)."""

    LIFETIME_SECONDS = 300

    code = models.CharField(max_length=120, unique=True)
    client_id = models.CharField(max_length=120)
    identity = models.ForeignKey(SandboxIdentity, on_delete=models.CASCADE, related_name="codes")
    redirect_uri = models.TextField()
    scope = models.TextField(default="")
    nonce = models.CharField(max_length=255, blank=True, db_index=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    auth_time = models.IntegerField(help_text="when the person signed in at the provider (epoch)")
    aal = models.CharField(max_length=4, default="1")
    sid = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="the provider session it came from: signing out there revokes its tokens",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.client_id} ({self.created_at:%Y-%m-%d %H:%M})"

    # --- authlib AuthorizationCodeMixin (OIDC flavour) ---
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        from .flavours import current

        return current().acr(self.identity.ial, self.aal)

    def get_amr(self) -> list[str]:
        return amr_for(self.aal)

    def is_expired(self) -> bool:
        return self.created_at.timestamp() + self.LIFETIME_SECONDS < time.time()


class AccessToken(models.Model):
    """A bearer token for the userinfo endpoint, and the refresh token issued with it.

    Refresh tokens rotate: each is used once, and the one issued in its place belongs to
    the same ``family`` (one sign-in). A used refresh token presented again means two
    parties hold it, so the whole family is revoked (RFC 9700 §4.14.2).
    """

    access_token = models.CharField(max_length=255, unique=True)
    token_type = models.CharField(max_length=40, default="Bearer")
    client_id = models.CharField(max_length=120)
    identity = models.ForeignKey(SandboxIdentity, on_delete=models.CASCADE, related_name="tokens")
    code = models.ForeignKey(
        AuthorizationCode,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tokens",
        help_text="the code it was issued for: tokens are revoked if that code is replayed",
    )
    scope = models.TextField(default="")
    aal = models.CharField(max_length=4, default="1")
    issued_at = models.IntegerField()
    expires_in = models.IntegerField()
    revoked = models.BooleanField(default=False)
    refresh_token = models.CharField(max_length=255, unique=True, null=True, blank=True)
    refresh_expires_at = models.IntegerField(
        null=True, blank=True, help_text="epoch; a rotated token inherits it from its parent"
    )
    refresh_rotated_at = models.DateTimeField(
        null=True, blank=True, help_text="when its refresh token was used (it never works again)"
    )
    family = models.UUIDField(
        default=uuid.uuid4,
        db_index=True,
        help_text="every token refreshed from the same sign-in shares it",
    )

    def __str__(self) -> str:
        return f"token for {self.client_id}"

    def is_refresh_expired(self) -> bool:
        return self.refresh_expires_at is None or self.refresh_expires_at < time.time()

    # --- authlib TokenMixin ---
    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> SandboxIdentity:
        return self.identity

    def get_client(self) -> object:
        from .server import registered_client

        return registered_client()


class ProviderSession(AbstractBaseSession):
    """The provider's own browser sessions, keyed by the ``bizportal_idp`` cookie.

    A table of its own, not ``django_session``: a portal session key presented here (or a
    provider session key presented to the portal) finds nothing, so neither side can
    stand in for the other even though both run in one process.
    """

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "sandbox Digital ID session"
        verbose_name_plural = "sandbox Digital ID sessions"

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions import ProviderSessionStore

        return ProviderSessionStore


class OtpFailure(models.Model):
    """A refused TOTP code: counted to slow down guessing (5 per 5 minutes)."""

    identity = models.ForeignKey(
        SandboxIdentity, on_delete=models.CASCADE, related_name="otp_failures"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"{self.reason} at {self.at:%Y-%m-%d %H:%M:%S}"


def acr_value(ial: str, aal: str) -> str:
    """The authentication context class reference we publish: IAL and AAL together,
    because relying parties decide on both (e.g. ``urn:th:digitalid:ial:2.1:aal:1``)."""
    return f"urn:th:digitalid:ial:{ial}:aal:{aal}"


def amr_for(aal: str) -> list[str]:
    """Authentication methods (RFC 8176) behind an AAL here: AAL2 is password + TOTP."""
    return ["pwd", "otp"] if aal == "2" else ["pwd"]


def requested_aal(acr_values: str) -> str:
    """The AAL a relying party's ``acr_values`` ask for ("1" when they ask for none).

    ``acr_values`` are voluntary (OIDC Core §3.1.2.1), so values we do not know are
    ignored rather than refused. AAL3 (a hardware authenticator) is not offered: a
    request for it gets AAL2 and the ``aal`` claim says so, for the client to judge.
    """
    wanted = 1
    for value in (acr_values or "").split():
        match = _ACR_AAL.match(value)
        if match:
            wanted = max(wanted, int(match.group(1)))
    return "2" if wanted >= 2 else "1"


_ACR_IAL = re.compile(r"^urn:th:digitalid:ial:([0-9.]+)(?::aal:[0-9]+)?$")

#: The highest IAL the provider can prove remotely (a face comparison with the ID card's
#: photo); IAL 3 needs the person in front of an officer.
REMOTE_PROOFING_MAX_IAL = "2.3"


def ial_rank(level: str) -> int:
    return IAL_LEVELS.index(level) if level in IAL_LEVELS else -1


def requested_ial(acr_values: str) -> str:
    """The highest IAL ``acr_values`` ask for (``urn:th:digitalid:ial:2.3``), else ""."""
    asked = [m.group(1) for v in (acr_values or "").split() if (m := _ACR_IAL.match(v))]
    known = [level for level in asked if level in IAL_LEVELS]
    return max(known, key=ial_rank, default="")


def aal_satisfies(have: str, need: str) -> bool:
    return int(have or 0) >= int(need or 1)


class ProviderSwitch(models.Model):
    """Whether a sandbox provider flavour (``digital_id``, ``thaid``, ``ndid``) is stopped:
    a stopped one answers 503 (see :mod:`.switches`)."""

    provider = models.CharField(max_length=20, unique=True)
    stopped = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sandbox provider switch"

    def __str__(self) -> str:
        return f"{self.provider}: {'stopped' if self.stopped else 'running'}"


class SandboxNdidRequest(models.Model):
    """An RP's identity request at the sandbox NDID node, until the chosen IdP answers
    and the node has called the RP back."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        COMPLETED = "completed", "completed"
        REJECTED = "rejected", "rejected"
        TIMED_OUT = "timed_out", "timed out"

    PERSONAL_DATA = {"identifier": PersonalDataLabel.PERSONAL}

    request_id = models.CharField(max_length=64, unique=True)
    reference_id = models.CharField(max_length=64)
    namespace = models.CharField(max_length=30)
    identifier = models.CharField(max_length=30)
    idp_id = models.CharField(max_length=64)
    min_ial = models.CharField(max_length=8)
    min_aal = models.CharField(max_length=8)
    callback_url = models.URLField(max_length=500)
    request_message = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    ial = models.CharField(max_length=8, blank=True)
    aal = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    timeout_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    callback_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "sandbox NDID request"

    def __str__(self) -> str:
        return f"{self.request_id} ({self.status})"
