"""The sandbox provider's RS256 signing key.

Generated on first use and kept in ``VAR_DIR/sandbox_idp/signing-key.json`` so ID tokens
stay verifiable across restarts and between the web process and the worker. The file
is created with an exclusive link, so two processes starting together agree on one key.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from joserfc.jwk import RSAKey

_lock = threading.Lock()
_cache: dict[Path, RSAKey] = {}


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "sandbox_idp" / "signing-key.json"


def _create(path: Path) -> None:
    """Write a new key next to ``path`` and link it into place unless someone was faster."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(key.as_dict(private=True), handle)
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temp, path)
    finally:
        os.unlink(temp)


def signing_key() -> RSAKey:
    """The private key the provider signs ID tokens with."""
    path = key_path()
    with _lock:
        if path not in _cache:
            if not path.exists():
                _create(path)
            data: dict[str, Any] = json.loads(path.read_text())
            _cache[path] = RSAKey.import_key(data)
        return _cache[path]


def public_jwks() -> dict[str, Any]:
    """What ``/jwks`` publishes: the public half only."""
    return {"keys": [signing_key().as_dict(private=False)]}
