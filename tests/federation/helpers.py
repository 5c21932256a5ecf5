"""A vendor system as its vendor would run it: a private key, client assertions
(``private_key_jwt``) and token requests over real HTTP."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from bizportal.catalog.models import Service
from bizportal.federation import services
from bizportal.federation.models import FederatedClient
from bizportal.identity.models import Party, StaffRole
from tests.factories import CompanyFactory, StaffFactory

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class VendorSystem:
    client: FederatedClient
    key: RSAKey
    used: list[str] = field(default_factory=list)

    def assertion(
        self, audience: str, *, key: RSAKey | None = None, exp: int = 60, jti: str = ""
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client.client_id,
            "sub": self.client.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + exp,
            "jti": jti or secrets.token_urlsafe(16),
        }
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid or ""}, claims, signer)

    def token_request(self, base: str, company: Party | str, **overrides: Any) -> requests.Response:
        token_url = base + "/oidc/token"
        party = company.key if isinstance(company, Party) else company
        form = {
            "grant_type": "client_credentials",
            "scope": "applications",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(token_url),
            "authorization_details": json.dumps(
                [{"type": services.AUTHORIZATION_DETAILS_TYPE, "party": party}]
            ),
            **overrides,
        }
        return requests.post(token_url, data=form, timeout=10)

    def token(self, base: str, company: Party) -> str:
        response = self.token_request(base, company)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)


def register_vendor_system(
    services_asked: list[Service], actions: list[str] | None = None, *, name: str = "ระบบบัญชี"
) -> VendorSystem:
    """A vendor company's system, registered by a platform administrator."""
    key = new_key()
    vendor = CompanyFactory(directors=[])
    admin = StaffFactory(roles=[StaffRole.PLATFORM_ADMIN])
    client = FederatedClient(
        client_id=f"vendor-{secrets.token_hex(4)}",
        name=name,
        kind=FederatedClient.Kind.VENDOR_SYSTEM,
        vendor=vendor,
        jwks={"keys": [key.as_dict(private=False)]},
        requested_actions=actions or ["prepare", "submit", "view"],
    )
    services.save_client(client, actor=admin)
    client.requested_services.set(services_asked)
    return VendorSystem(client, key)
