"""Authlib wiring for the portal's authorisation server: our clients table, client
authentication with ``private_key_jwt`` (RFC 7523 client assertions), and the
client-credentials grant for system users with RFC 9396 ``authorization_details``
naming the company.

The protocol (parameter checks, assertion verification, error responses) is Authlib's;
this module connects it to our tables and adds the system-user rules.
"""

from __future__ import annotations

import json
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidRequestError,
    OAuth2Error,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from django.urls import reverse
from joserfc.jwk import KeySet

from bizportal.identity.models import Party

from . import services
from .models import FederatedClient, SystemUserApproval

AUTH_METHOD = "private_key_jwt"


def token_endpoint() -> str:
    return services.issuer() + reverse("federation:token")


class PrivateKeyJWT(JWTBearerClientAssertion):
    """``private_key_jwt``: the client signs a short JWT with its private key; we check
    it against the public keys registered for the client, once per ``jti``."""

    CLIENT_AUTH_METHOD = AUTH_METHOD

    def get_audiences(self) -> list[str]:
        return [token_endpoint(), services.issuer()]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return services.use_assertion(str(claims["sub"]), jti, claims.get("exp"))

    def resolve_client_public_key(self, client: FederatedClient) -> KeySet:
        return KeySet.import_key_set(client.jwks or {"keys": []})  # type: ignore[arg-type]


class PortalAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(client_model=FederatedClient, token_model=None)

    def query_client(self, client_id: str) -> FederatedClient | None:
        return (
            FederatedClient.objects.select_related("system_user", "vendor")
            .filter(client_id=str(client_id), active=True)
            .first()
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Tokens are stored when issued (``services.issue_*``), not here."""

    def handle_error_response(self, request: Any, error: OAuth2Error) -> Any:
        client = getattr(request, "client", None)
        form = getattr(getattr(request, "payload", None), "data", {}) or {}
        services.refused(
            "federation.token_refused",
            getattr(client, "client_id", "") or str(form.get("client_id", ""))[:80],
            f"{error.error}: {error.description}",
            grant_type=str(form.get("grant_type", ""))[:80],
        )
        return super().handle_error_response(request, error)


def requested_company(raw: str) -> Party:
    """The company named in ``authorization_details`` (RFC 9396): exactly one entry of
    our type, with the company's 13-digit registration number as ``party``."""
    try:
        details = json.loads(raw or "")
    except ValueError:
        raise InvalidRequestError("'authorization_details' must be a JSON array.") from None
    ours = [
        d
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and d.get("type") == services.AUTHORIZATION_DETAILS_TYPE
    ]
    if len(ours) != 1 or not isinstance(ours[0].get("party"), str):
        raise InvalidRequestError(
            f"Send one authorization_details entry of type {services.AUTHORIZATION_DETAILS_TYPE}"
            " naming the company as 'party'."
        )
    company = Party.objects.filter(key=ours[0]["party"].strip(), kind=Party.Kind.JURISTIC).first()
    if company is None:
        raise AccessDeniedError("No approval of this system by this company is in force.")
    return company


class SystemUserGrant(grants.ClientCredentialsGrant):
    """``client_credentials`` for a vendor system acting for one company: a token only
    while the company's approval is in force, carrying the approved rights."""

    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        form = self.request.payload.data
        company = requested_company(str(form.get("authorization_details", "")))
        approval = (
            SystemUserApproval.objects.select_related("client__system_user", "company")
            .filter(client=self.request.client, company=company, revoked_at__isnull=True)
            .first()
        )
        if approval is None:
            raise AccessDeniedError("No approval of this system by this company is in force.")
        self.request.approval = approval  # type: ignore[attr-defined]

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        scope = self.request.client.get_allowed_scope(self.request.payload.scope or "applications")
        token = services.issue_machine_token(self.request.approval, scope or "applications")  # type: ignore[attr-defined]
        return 200, token, self.TOKEN_RESPONSE_HEADER


def build_server() -> PortalAuthorizationServer:
    server = PortalAuthorizationServer()
    server.register_client_auth_method(AUTH_METHOD, PrivateKeyJWT())
    server.register_grant(SystemUserGrant)
    return server


server = build_server()
