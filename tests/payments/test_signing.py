"""Webhook signatures: HMAC-SHA256 over "<t>.<body>", five minutes of tolerance."""

from __future__ import annotations

import pytest

from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.providers import SignatureError

BODY = b'{"txn_id":"SBX1"}'
SECRET = "s3cret"


def test_a_signature_verifies_and_returns_its_time() -> None:
    header = signing.sign(BODY, SECRET, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert signing.verify(header, BODY, SECRET, now=1_700_000_100) == 1_700_000_000


def test_several_v1_values_are_accepted_while_rotating_secrets() -> None:
    new = signing.sign(BODY, SECRET, timestamp=1_700_000_000)
    old = signing.sign(BODY, "old", timestamp=1_700_000_000).split(",")[1]
    assert signing.verify(f"{new},{old}", BODY, SECRET, now=1_700_000_000)


@pytest.mark.parametrize(
    ("header", "now", "message"),
    [
        ("", 1_700_000_000, "Missing"),
        ("v1=00", 1_700_000_000, "no signing time"),
        ("t=abc,v1=00", 1_700_000_000, "no signing time"),
        (signing.sign(BODY, SECRET, timestamp=1_700_000_000), 1_700_000_301, "tolerance"),
        (signing.sign(BODY, SECRET, timestamp=1_700_000_400), 1_700_000_000, "tolerance"),
        (signing.sign(BODY, "other", timestamp=1_700_000_000), 1_700_000_000, "does not match"),
        ("t=1700000000", 1_700_000_000, "does not match"),
    ],
)
def test_bad_signatures_are_refused(header: str, now: int, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        signing.verify(header, BODY, SECRET, now=now)


def test_the_signature_covers_the_timestamp() -> None:
    header = signing.sign(BODY, SECRET, timestamp=1_700_000_000)
    moved = header.replace("t=1700000000", "t=1700000001")
    with pytest.raises(SignatureError, match="does not match"):
        signing.verify(moved, BODY, SECRET, now=1_700_000_000)
