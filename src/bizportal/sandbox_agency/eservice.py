"""The sandbox agency's own e-service: it signs people in through the portal and then
calls the portal's API for them, as an agency's digital service would.

1. ``/eservice/login`` sends the browser to the portal's ``authorization_endpoint``
   (code flow, PKCE S256, ``state`` and ``nonce``); the person chooses there whom they
   act for.
2. ``/eservice/callback`` redeems the code with a ``private_key_jwt`` client assertion
   (RFC 7523), checks the ID token (the portal's keys, issuer, audience, nonce), then
   exchanges the person's access token (RFC 8693 token exchange) for an API token that
   names this service as the actor and lists the applications of the party the person
   chose, through ``GET /api/v1/applications/``.

The service holds only its private key; the portal holds the public half. An outside
program: stdlib, joserfc and requests only, never the portal's code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from .accounting import ASSERTION_TYPE, Refused, client_assertion

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN
SCOPE = "openid act_for applications"
#: A sign-in not finished within this many seconds is forgotten (its state refused).
PENDING_SECONDS = 600.0


@dataclass(frozen=True)
class SignedIn:
    """What the e-service learnt: who signed in, for whom, and the party's applications."""

    person: dict[str, Any]
    applications: list[dict[str, Any]]
    scope: str


@dataclass
class EService:
    """One agency service registered at the portal as ``client_id``."""

    portal: str
    client_id: str
    key: RSAKey
    redirect_uri: str
    http_timeout: float = 10.0
    _pending: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _metadata: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The portal's provider metadata (fetched once)."""
        if not self._metadata:
            url = self.portal.rstrip("/") + "/.well-known/openid-configuration"
            self._metadata.update(self._json(requests.get(url, timeout=self.http_timeout)))
        return self._metadata

    def login_url(self) -> str:
        """Where to send the browser to sign in; remembers the PKCE verifier and nonce."""
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        now = time.monotonic()
        with self._lock:
            for old in [
                s for s, (_v, _n, at) in self._pending.items() if now - at > PENDING_SECONDS
            ]:
                del self._pending[old]
            self._pending[state] = (verifier, nonce, now)
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(query)}"

    def finish(self, code: str, state: str) -> SignedIn:
        """Redeem the code, check the ID token, exchange the token, call the API."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or time.monotonic() - pending[2] > PENDING_SECONDS:
            raise Refused("unknown or expired sign-in (state)")
        verifier, nonce, _at = pending
        tokens = self._token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=self.redirect_uri,
            code_verifier=verifier,
        )
        person = self._id_token_claims(str(tokens.get("id_token", "")), nonce)
        exchanged = self._token(
            grant_type=TOKEN_EXCHANGE,
            subject_token=str(tokens["access_token"]),
            subject_token_type=ACCESS_TOKEN_TYPE,
            requested_token_type=ACCESS_TOKEN_TYPE,
            resource=self.portal.rstrip("/") + "/api/v1/",
        )
        response = requests.get(
            self.portal.rstrip("/") + "/api/v1/applications/",
            headers={"Authorization": f"Bearer {exchanged['access_token']}"},
            timeout=self.http_timeout,
        )
        applications = self._json(response)
        if not isinstance(applications, list):
            raise Refused(f"unexpected answer from the API: {response.text[:200]}")
        return SignedIn(person, applications, str(exchanged.get("scope", "")))

    def _token(self, **form: str) -> dict[str, Any]:
        """A token request authenticated with a fresh client assertion."""
        url = str(self.metadata()["token_endpoint"])
        form.update(
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=client_assertion(self.client_id, self.key, url),
        )
        answer = self._json(requests.post(url, data=form, timeout=self.http_timeout))
        if not isinstance(answer, dict) or "access_token" not in answer:
            raise Refused(f"token request refused: {answer}")
        return answer

    def _id_token_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience and nonce hold."""
        metadata = self.metadata()
        keys = KeySet.import_key_set(
            self._json(requests.get(metadata["jwks_uri"], timeout=self.http_timeout))
        )
        try:
            decoded = jwt.decode(id_token, keys, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise Refused(f"ID token not accepted: {error}") from error
        return dict(decoded.claims)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise Refused(f"HTTP {response.status_code}: {response.text[:200]}") from None
        if response.status_code >= 400:
            raise Refused(f"HTTP {response.status_code}: {body}")
        return body
