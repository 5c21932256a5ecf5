"""Clients of the portal's authorisation server, and what companies approved them to do.

A client is either an agency's own digital service (signs people in through the
portal) or a vendor's system (acts for companies as a *system user*). Clients
authenticate with ``private_key_jwt`` only: we keep their public keys, never a secret.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bizportal.identity.models import MandateAction


class FederatedClient(models.Model):
    """A system registered with the portal's authorisation server."""

    class Kind(models.TextChoices):
        AGENCY_SERVICE = "agency_service", _("Agency service")
        VENDOR_SYSTEM = "vendor_system", _("Vendor system")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_id = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    agency = models.ForeignKey(
        "catalog.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="federated_clients",
        help_text="the agency whose service this is (agency services)",
    )
    vendor = models.ForeignKey(
        "identity.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="systems",
        help_text="the software vendor, a company (vendor systems)",
    )
    jwks = models.JSONField(default=dict, blank=True, help_text="public keys: {'keys': [...]}")
    redirect_uris = models.JSONField(default=list, blank=True)
    requested_services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="+", help_text="vendor systems: asked for"
    )
    requested_actions = models.JSONField(
        default=list, blank=True, help_text="vendor systems: MandateAction values asked for"
    )
    system_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="federated_client",
        help_text="the account a vendor system acts as (role 'system')",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="vendor_system") | Q(vendor__isnull=False),
                name="vendor_system_has_vendor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    # What Authlib asks of a client.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0] if self.redirect_uris else ""

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.allowed_scopes())

    def allowed_scopes(self) -> tuple[str, ...]:
        if self.kind == self.Kind.VENDOR_SYSTEM:
            return ("applications",)
        return ("openid", "profile", "act_for", "applications")

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # no secrets here: private_key_jwt only

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "private_key_jwt"

    def check_response_type(self, response_type: str) -> bool:
        return self.kind == self.Kind.AGENCY_SERVICE and response_type == "code"

    def audit_data(self) -> dict[str, str]:
        """An agency service acting for a person (``identity.acting.ActingSystem``):
        named in every audit record of what it does for them."""
        return {"act": self.client_id, "act_agency": self.agency.code if self.agency else ""}

    def check_grant_type(self, grant_type: str) -> bool:
        if self.kind == self.Kind.VENDOR_SYSTEM:
            return grant_type == "client_credentials"
        return grant_type in ("authorization_code", TOKEN_EXCHANGE)


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN


class SystemUserApproval(models.Model):
    """A company's approval of a vendor system: it may act for the company within
    ``services`` x ``actions`` until revoked. Checked again on every API request."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(FederatedClient, on_delete=models.PROTECT, related_name="approvals")
    company = models.ForeignKey(
        "identity.Party", on_delete=models.PROTECT, related_name="system_approvals"
    )
    services = models.ManyToManyField("catalog.Service", related_name="+")
    actions = models.JSONField(default=list)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: The approving director's identity assurance: the system acts at that level.
    approved_ial = models.CharField(max_length=8, blank=True)
    approved_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "company"],
                condition=Q(revoked_at__isnull=True),
                name="one_approval_in_force_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} → {self.company}"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None and self.client.active

    # identity.acting.SystemGrant
    @property
    def party_id(self) -> int:
        return self.company_id

    def service_ids(self) -> list[int]:
        return [service.pk for service in self.services.all()]

    def allows(self, action: str, service_id: int | None) -> bool:
        if not self.in_force or action not in (self.actions or []):
            return False
        return service_id is None or service_id in self.service_ids()

    def audit_data(self) -> dict[str, str]:
        vendor = self.client.vendor
        return {
            "system": self.client.client_id,
            "vendor": vendor.key if vendor is not None else "",
            "approval": str(self.public_id),
        }

    def action_labels(self) -> list[Any]:
        return [MandateAction(a).label for a in self.actions if a in MandateAction.values]


class UsedAssertion(models.Model):
    """A client assertion's ``jti`` seen once: a second use is a replay (RFC 7523 §3)."""

    client_id = models.CharField(max_length=80)
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="assertion_used_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.jti}"


class IssuedToken(models.Model):
    """An access token the portal signed (a JWT, RFC 9068), kept by its ``jti`` so it
    can be revoked, and exchanged at most once."""

    jti = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(FederatedClient, on_delete=models.PROTECT, related_name="tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey(
        SystemUserApproval, null=True, blank=True, on_delete=models.PROTECT, related_name="tokens"
    )
    grant_type = models.CharField(max_length=80)
    scope = models.CharField(max_length=200, blank=True)
    party = models.ForeignKey(
        "identity.Party", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.ForeignKey(
        "AuthorizationCode", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    #: Set when this (sign-in) token was exchanged (RFC 8693): a second exchange is a replay.
    exchanged_at = models.DateTimeField(null=True, blank=True)
    #: For an exchanged token: the sign-in token it was exchanged for. ``client`` is then
    #: the acting system (the ``act`` claim) and ``user`` the person it acts for. One to
    #: one, so even two racing exchanges of one token cannot both be stored.
    subject_token = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="exchanged_for"
    )

    def __str__(self) -> str:
        return f"{self.grant_type} token of {self.client_id}"

    @property
    def is_exchanged_token(self) -> bool:
        """Issued by token exchange: a person's API token held by an agency service."""
        return self.grant_type == TOKEN_EXCHANGE


class AuthorizationCode(models.Model):
    """A code an agency service redeems once for the person's tokens (with PKCE S256),
    remembering whom the person chose to act for and how strongly they signed in."""

    code = models.CharField(max_length=120, unique=True)
    client = models.ForeignKey(FederatedClient, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(
        "identity.Party", on_delete=models.CASCADE, related_name="+", help_text="act_for"
    )
    basis = models.CharField(max_length=12)
    mandate_id = models.UUIDField(null=True, blank=True)
    redirect_uri = models.TextField(blank=True)
    response_type = models.CharField(max_length=20, default="code")
    scope = models.CharField(max_length=200, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    auth_time = models.IntegerField()
    aal = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for {self.client_id}"

    def is_expired(self) -> bool:
        return (timezone.now() - self.created_at).total_seconds() > CODE_LIFETIME

    # What Authlib asks of a code.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return f"urn:th:bizportal:aal:{self.aal}"

    def get_amr(self) -> list[str]:
        return []


CODE_LIFETIME = 60
