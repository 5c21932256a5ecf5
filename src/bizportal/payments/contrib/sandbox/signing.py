"""HMAC-SHA256 webhook signatures, in the widely used ``t=<unix>,v1=<hex>`` form.

The signature covers ``f"{t}.{body}"``: the timestamp binds it to a moment, so a
captured callback cannot be replayed after the tolerance window, and the raw body is
signed byte for byte, so nothing can be changed in transit.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.utils.translation import gettext as _

from bizportal.payments.providers import SignatureError

HEADER = "X-BizPortal-Signature"
TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The header value for ``body``, signed now (or at ``timestamp``)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, body)}"


def verify(
    header: str,
    body: bytes,
    secret: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
    name: str = HEADER,
) -> int:
    """Check ``header`` against ``body``; return the signed timestamp or raise SignatureError.

    ``name`` is the header's name for the messages: other sandboxes (the card gateway,
    CGD) sign the same way under their own header and key."""
    if not header:
        raise SignatureError(_("Missing %(name)s header") % {"name": name})
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError(_("%(name)s has no signing time (t=)") % {"name": name}) from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            _("Signature timestamp is outside the %(seconds)s-second tolerance")
            % {"seconds": tolerance}
        )
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise SignatureError(_("Signature does not match"))
    return timestamp
