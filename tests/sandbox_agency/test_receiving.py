"""Receiving forwardings: signature, digest, body and idempotency."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import requests

from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.verify import KeyRing

from .helpers import PortalKey, forwarding, send


def stats(agency: Agency) -> dict[str, int]:
    return requests.get(f"http://127.0.0.1:{agency.port}/_sandbox/stats", timeout=5).json()


def test_a_signed_forwarding_is_accepted_and_a_repeat_is_a_duplicate(
    make_agency, key: PortalKey
) -> None:
    agency = make_agency(delay=60)
    data = forwarding()

    first = send(agency.endpoint, key, data)
    again = send(agency.endpoint, key, data)

    assert first.status_code == 202
    assert first.json()["status"] == "accepted"
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["received_at"]
    counts = stats(agency)
    assert counts["received"] == 1
    assert counts["transport_repeats"] == 1
    received = requests.get(f"http://127.0.0.1:{agency.port}/_sandbox/received", timeout=5)
    assert received.json() == {data["forwarding_id"]: 2}


def test_a_tampered_body_is_refused(agency: Agency, key: PortalKey) -> None:
    data = forwarding()
    tampered = json.dumps({**data, "reference": "BP-FORGED"}).encode()

    answer = send(agency.endpoint, key, data, body=tampered)

    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert stats(agency)["received"] == 0


def test_another_key_under_the_portals_kid_is_refused(agency: Agency, key: PortalKey) -> None:
    impostor = PortalKey(kid=key.kid)

    assert send(agency.endpoint, impostor, forwarding()).status_code == 401


def test_an_unknown_kid_is_refused(agency: Agency) -> None:
    assert send(agency.endpoint, PortalKey(kid="someone-else"), forwarding()).status_code == 401


def test_a_missing_signature_is_refused(agency: Agency) -> None:
    data = forwarding()
    answer = requests.post(
        agency.endpoint,
        json=data,
        headers={"Idempotency-Key": data["forwarding_id"]},
        timeout=5,
    )

    assert answer.status_code == 401


def test_a_signature_for_another_url_is_refused(agency: Agency, key: PortalKey) -> None:
    data = forwarding()
    body = json.dumps(data).encode()
    headers = key.sign(agency.endpoint + "?other=1", body, data["forwarding_id"])

    answer = requests.post(agency.endpoint, data=body, headers=headers, timeout=5)

    assert answer.status_code == 401


def test_malformed_json_is_a_400(agency: Agency, key: PortalKey) -> None:
    body = b'{"forwarding_id": "x",'
    headers = key.sign(agency.endpoint, body, "x")

    answer = requests.post(agency.endpoint, data=body, headers=headers, timeout=5)

    assert answer.status_code == 400


def test_a_forwarding_without_a_package_is_a_400(agency: Agency, key: PortalKey) -> None:
    data = forwarding()
    del data["package"]

    assert send(agency.endpoint, key, data).status_code == 400


def test_the_keys_come_from_a_jwks_file_when_given(
    make_agency, key: PortalKey, tmp_path, portal
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.jwk()]}))
    portal.jwks = {"keys": []}  # the portal's own JWKS would not know the key

    agency = make_agency(jwks_file=jwks_file, delay=60)

    assert send(agency.endpoint, key, forwarding()).status_code == 202


def test_an_old_signature_is_refused(agency: Agency, key: PortalKey) -> None:
    data = forwarding()
    body = json.dumps(data).encode()
    created = datetime.now() - timedelta(minutes=10)
    headers = key.sign(agency.endpoint, body, data["forwarding_id"], created=created)

    answer = requests.post(agency.endpoint, data=body, headers=headers, timeout=5)

    assert answer.status_code == 401
    assert "age" in answer.json()["detail"]


def test_a_rotated_key_is_fetched_from_the_jwks(
    agency: Agency, portal, key: PortalKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KeyRing, "refetch_seconds", 0.0)
    assert send(agency.endpoint, key, forwarding()).status_code == 202
    rotated = PortalKey(kid="portal-test-2")
    portal.jwks = {"keys": [key.jwk(), rotated.jwk()]}

    assert send(agency.endpoint, rotated, forwarding()).status_code == 202
