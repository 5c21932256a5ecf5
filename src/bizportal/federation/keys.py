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
from joserfc.jwk import RSAKey

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
