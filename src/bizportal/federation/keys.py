"""The portal's signing key as an OpenID provider (ID tokens, access-token JWTs).

From ``PORTAL_OIDC_SIGNING_KEY`` (a private JWK as JSON) when an operator sets it;
otherwise generated once into ``VAR_DIR/federation/signing-key.json``, so tokens stay
verifiable across restarts and between processes (an exclusive create: two processes
starting together keep the first key written).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

_lock = threading.Lock()
_cache: dict[str, RSAKey] = {}


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "federation" / "signing-key.json"


def _load_or_create(path: Path) -> dict[str, Any]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won: use its key
        else:
            with os.fdopen(fd, "w") as handle:
                json.dump(key.as_dict(private=True), handle)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def signing_key() -> RSAKey:
    """The private key the portal signs its tokens with."""
    configured = getattr(settings, "PORTAL_OIDC_SIGNING_KEY", "")
    where = "env" if configured else str(key_path())
    with _lock:
        if where not in _cache:
            data = json.loads(configured) if configured else _load_or_create(key_path())
            _cache[where] = RSAKey.import_key(data)
        return _cache[where]


def public_jwks() -> dict[str, Any]:
    """What ``/oidc/jwks`` publishes: the public half only."""
    return {"keys": [signing_key().as_dict(private=False)]}


#: What a client may sign its assertions with: asymmetric only, so the portal never
#: holds anything that could sign for the client.
CLIENT_ALGORITHMS = ("RS256", "ES256", "PS256")
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_CURVE_OF = {"ES256": "P-256"}


def client_jwks(raw: str) -> dict[str, Any]:
    """A vendor's public JWKS (RFC 7517) as pasted on the registration page, checked:
    JSON with ``keys``, each an RSA (at least 2048 bits) or P-256 EC public key, no
    private or symmetric members, ``alg`` (when given) one of :data:`CLIENT_ALGORITHMS`,
    ``use`` (when given) ``sig``, at least one key. Raises ``ValidationError`` naming the
    first problem; returns the keys as stored (public members only)."""
    try:
        data = json.loads(raw or "")
    except ValueError:
        raise ValidationError(_("The key set is not valid JSON"), code="jwks") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise ValidationError(
            _('The key set must be a JSON object with a non-empty "keys" list'), code="jwks"
        )
    for key in keys:
        if any(member in key for member in _PRIVATE_MEMBERS):
            raise ValidationError(
                _("The key set holds a private or secret key: send the public keys only"),
                code="jwks_private",
            )
        if key.get("kty") not in ("RSA", "EC"):
            raise ValidationError(_("Only RSA and EC public keys are accepted"), code="jwks_kty")
        alg = key.get("alg")
        if alg is not None and alg not in CLIENT_ALGORITHMS:
            raise ValidationError(
                _("Key algorithm %(alg)s is not accepted: use RS256, ES256 or PS256")
                % {"alg": str(alg)[:20]},
                code="jwks_alg",
            )
        if key.get("kty") == "EC" and (key.get("crv") != "P-256" or alg not in (None, "ES256")):
            raise ValidationError(_("EC keys must be P-256 for ES256"), code="jwks_alg")
        if key.get("kty") == "RSA" and alg == "ES256":
            raise ValidationError(_("An RSA key cannot sign with ES256"), code="jwks_alg")
        if key.get("use") not in (None, "sig"):
            raise ValidationError(_('Keys must be for signing ("use": "sig")'), code="jwks_use")
    try:
        parsed = KeySet.import_key_set({"keys": keys})  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise ValidationError(_("A key in the set cannot be read"), code="jwks") from None
    for key_obj in parsed.keys:
        size = getattr(key_obj.raw_value, "key_size", 0)
        if key_obj.key_type == "RSA" and size < 2048:
            raise ValidationError(_("RSA keys must have at least 2048 bits"), code="jwks_size")
    return {"keys": [key_obj.as_dict(private=False) for key_obj in parsed.keys]}
