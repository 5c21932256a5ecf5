"""The key forwarded applications are signed with (HTTP Message Signatures, RFC 9421).

Why a signature and not only TLS: the agency's system must be able to tell, from the
request alone and after it passed proxies and queues, that the portal sent exactly
these bytes for exactly this URL. The public keys are published as a JWKS
(``/api/v1/integrations/keys/``), so an agency needs no shared secret.

In production the private key is an Ed25519 PEM from ``FORWARDING_SIGNING_KEY_FILE``
(or ``FORWARDING_SIGNING_KEY``); keys retired by a rotation stay published from
``FORWARDING_VERIFY_KEY_FILES`` until the agencies have seen the new one. The demo
profile (and DEBUG) generates a key once in ``BIZPORTAL_VAR_DIR``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from http_message_signatures import HTTPSignatureKeyResolver

DEMO_KEY = Path("integrations") / "forwarding-signing-key.pem"


def signing_key() -> ed25519.Ed25519PrivateKey:
    """The configured private key; a generated one only in a demo (else a clear error)."""
    return _load(_configured_pem() or _demo_pem())


def _configured_pem() -> bytes:
    path = getattr(settings, "FORWARDING_SIGNING_KEY_FILE", "")
    if path:
        return Path(path).read_bytes()
    return str(getattr(settings, "FORWARDING_SIGNING_KEY", "")).encode()


def _demo_pem() -> bytes:
    if not (settings.DEBUG or getattr(settings, "BIZPORTAL_DEMO", False)):
        raise ImproperlyConfigured(
            "Set FORWARDING_SIGNING_KEY_FILE to a PEM Ed25519 private key: forwarded "
            "applications are never signed with a generated key outside the demo profile."
        )
    path = Path(settings.VAR_DIR) / DEMO_KEY
    if not path.exists():
        _create(path)
    return path.read_bytes()


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place unless another process
    (the worker starting with the web server) was faster: both then use one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        os.unlink(temp)


@cache
def _load(pem: bytes) -> ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ImproperlyConfigured("The forwarding signing key must be Ed25519.")
    return key


def _raw(public: ed25519.Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_of(public: ed25519.Ed25519PublicKey) -> str:
    """A stable name for a public key: the start of the SHA-256 of its raw bytes."""
    return "bizportal-" + hashlib.sha256(_raw(public)).hexdigest()[:16]


def current_key_id() -> str:
    return kid_of(signing_key().public_key())


def _published_keys() -> list[ed25519.Ed25519PublicKey]:
    keys = [signing_key().public_key()]
    for path in getattr(settings, "FORWARDING_VERIFY_KEY_FILES", []):
        public = serialization.load_pem_public_key(Path(path).read_bytes())
        if isinstance(public, ed25519.Ed25519PublicKey):
            keys.append(public)
    return keys


def jwks() -> dict[str, Any]:
    """The public keys as a JSON Web Key Set (RFC 8037 OKP keys)."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64.urlsafe_b64encode(_raw(public)).rstrip(b"=").decode(),
                "kid": kid_of(public),
                "use": "sig",
                "alg": "EdDSA",
            }
            for public in _published_keys()
        ]
    }


class PortalKeys(HTTPSignatureKeyResolver):
    """Hands the signer the portal's private key (and a verifier its public keys)."""

    def resolve_private_key(self, key_id: str) -> ed25519.Ed25519PrivateKey:
        return signing_key()

    def resolve_public_key(self, key_id: str) -> ed25519.Ed25519PublicKey:
        for public in _published_keys():
            if kid_of(public) == key_id:
                return public
        raise KeyError(key_id)
