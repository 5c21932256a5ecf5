"""Time-based one-time passwords (RFC 6238) for sign-in at AAL2, with pyotp.

Only the arithmetic lives here (secrets, the ``otpauth://`` URI and its QR code, which
time step a code belongs to); deciding whether a code counts (replay, rate limit) is a
state change and lives in :mod:`.services`.
"""

from __future__ import annotations

import hmac
import time

import pyotp
import segno

ISSUER = "Biz Portal Sandbox Digital ID"

#: Codes from the time step before and after the current one are accepted too, for
#: phones whose clock is a little off (RFC 6238 §5.2 recommends at most one step).
VALID_WINDOW = 1


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226 §4 asks for at least 128)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The URI as an SVG QR code in a ``data:`` URI, for an ``<img>`` on the page."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step (counter) whose code ``code`` is, within the window; None if none.

    The step is returned, not just True, so the caller can refuse a code whose step was
    already used (RFC 6238 §5.2: a verifier must not accept the same code twice). Newer
    steps are tried first.
    """
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for step in range(current + VALID_WINDOW, current - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
