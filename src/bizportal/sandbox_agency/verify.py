"""Checking that a forwarding really comes from the portal (RFC 9421, Ed25519).

Nothing in a forwarding is trusted before its signature, its ``Content-Digest`` and its
age are checked: the endpoint is reachable by anyone who can reach the agency.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

log = logging.getLogger("bizportal.sandbox_agency.verify")

TAG = "bizportal"
REQUIRED_COMPONENTS = ("@method", "@target-uri", "content-digest", "idempotency-key")
# An unknown kid refetches the JWKS, but not more often than this: a stream of made-up
# kids must not turn the agency into a load generator against the portal.
REFETCH_SECONDS = 1.0


class SignatureRejected(Exception):
    """The request is not a forwarding signed by the portal; the text says why."""


class KeyRing(HTTPSignatureKeyResolver):
    """The portal's public keys by kid, from its JWKS (or a file), refetched when a
    signature names a kid we do not know (the portal rotated its key)."""

    refetch_seconds = REFETCH_SECONDS

    def __init__(self, fetch: Callable[[], dict[str, Any]]) -> None:
        self._fetch = fetch
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        return cls(lambda: json.loads(path.read_text(encoding="utf-8")))

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        with self._lock:
            if (
                key_id not in self._keys
                and time.monotonic() - self._fetched_at > self.refetch_seconds
            ):
                self._refresh()
            key = self._keys.get(key_id)
        if key is None:
            raise SignatureRejected(f"unknown key id {key_id!r}")
        return key

    def resolve_private_key(self, key_id: str) -> Any:
        raise NotImplementedError("the agency only verifies")

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            jwks = self._fetch()
        except Exception as error:  # keep the keys we have; the caller answers 401
            log.warning("JWKS fetch failed: %s", error)
            return
        self._keys = parse_jwks(jwks)
        log.info("JWKS loaded: %s", ", ".join(sorted(self._keys)) or "(no keys)")


def parse_jwks(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS by kid; other kinds of key are skipped."""
    keys = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


@dataclass(frozen=True)
class Request:
    """The request as the verifier reads it: method, the URL the portal signed, headers."""

    method: str
    url: str
    headers: Any


class Verifier:
    """Verifies forwardings against the portal's keys."""

    def __init__(self, keys: KeyRing, max_age: float) -> None:
        self._verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.ED25519, key_resolver=keys
        )
        self._max_age = datetime.timedelta(seconds=max_age)

    def verify(self, request: Request, body: bytes) -> str:
        """The kid that signed the request, or ``SignatureRejected``. The library checks
        the signature, ``created`` against ``max_age`` and, given the body, that the
        signed ``Content-Digest`` matches it."""
        try:
            results = self._verifier.verify(
                request,
                max_age=self._max_age,
                expect_tag=TAG,
                require_components=REQUIRED_COMPONENTS,
                body=body,
            )
        except SignatureRejected:
            raise
        except (InvalidSignature, HTTPMessageSignaturesException) as error:
            raise SignatureRejected(str(error) or type(error).__name__) from error
        if any(result.body is None for result in results):
            raise SignatureRejected("the body is not covered by a signed Content-Digest")
        return str(results[0].parameters.get("keyid", ""))
