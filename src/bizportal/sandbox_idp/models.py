"""The sandbox Digital ID provider's own records.

They deliberately live apart from :class:`bizportal.identity.models.User`: the provider
stands in for another organisation (DOPA's ThaID, an NDID IdP), so the portal may only
learn about these people through the OpenID Connect protocol, never through a join.
"""

from __future__ import annotations

import time
import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import Q

from bizportal.core.models import PersonalDataLabel

#: Identity assurance levels used by Thai Digital ID (ETDA guideline), low to high.
IAL_LEVELS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3")


class SandboxIdentity(models.Model):
    """A person registered at the sandbox provider, who signs in with citizen ID + password."""

    PERSONAL_DATA = {
        "citizen_id": PersonalDataLabel.PERSONAL,
        "given_name_th": PersonalDataLabel.PERSONAL,
        "family_name_th": PersonalDataLabel.PERSONAL,
        "given_name_en": PersonalDataLabel.PERSONAL,
        "family_name_en": PersonalDataLabel.PERSONAL,
        "email": PersonalDataLabel.PERSONAL,
    }

    subject = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="the OIDC 'sub': stable and opaque, never the citizen ID",
    )
    citizen_id = models.CharField(max_length=13, unique=True)
    password = models.CharField(max_length=128, help_text="a Django password hash")
    title_th = models.CharField(max_length=30, blank=True)
    given_name_th = models.CharField(max_length=100)
    family_name_th = models.CharField(max_length=100)
    title_en = models.CharField(max_length=30, blank=True)
    given_name_en = models.CharField(max_length=100, blank=True)
    family_name_en = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
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
                condition=Q(citizen_id__regex=r"^[0-9]{13}$"),
                name="sandbox_identity_citizen_id_13_digits",
            )
        ]

    def __str__(self) -> str:
        return self.name_th

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
        return acr_value(self.identity.ial, self.aal)

    def get_amr(self) -> list[str]:
        return ["pwd"]

    def is_expired(self) -> bool:
        return self.created_at.timestamp() + self.LIFETIME_SECONDS < time.time()


class AccessToken(models.Model):
    """A bearer token for the userinfo endpoint."""

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

    def __str__(self) -> str:
        return f"token for {self.client_id}"

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


def acr_value(ial: str, aal: str) -> str:
    """The authentication context class reference we publish: IAL and AAL together,
    because relying parties decide on both (e.g. ``urn:th:digitalid:ial:2.1:aal:1``)."""
    return f"urn:th:digitalid:ial:{ial}:aal:{aal}"
