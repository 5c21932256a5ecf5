"""Faults on demand: 500s at a seeded rate, dropped connections, slow answers."""

from __future__ import annotations

import time

import pytest
import requests

from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.faults import Faults

from .helpers import PortalKey, forwarding, send


def control(agency: Agency, path: str) -> str:
    return f"http://127.0.0.1:{agency.port}/_sandbox/{path}"


def test_error500_answers_500_and_stores_nothing(make_agency, key: PortalKey) -> None:
    agency = make_agency(fault="error500", delay=60)
    data = forwarding()

    assert send(agency.endpoint, key, data).status_code == 500
    assert requests.get(control(agency, "stats"), timeout=5).json()["received"] == 0

    switched = requests.post(control(agency, "faults"), json={"mode": "none"}, timeout=5)
    assert switched.json() == {"mode": "none", "rate": 1.0}
    assert send(agency.endpoint, key, data).status_code == 202


def test_the_share_of_500s_follows_the_rate_and_the_seed() -> None:
    def draws(seed: int) -> list[str]:
        faults = Faults("error500", 0.3, seed)
        return [faults.draw() for _ in range(1000)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert 250 < draws(7).count("error500") < 350


def test_a_bad_fault_setting_is_a_400(agency: Agency) -> None:
    answer = requests.post(control(agency, "faults"), json={"mode": "meltdown"}, timeout=5)

    assert answer.status_code == 400


def test_down_drops_the_connection(make_agency, key: PortalKey) -> None:
    agency = make_agency(fault="down")

    with pytest.raises(requests.ConnectionError):
        send(agency.endpoint, key, forwarding())


def test_slow_answers_late_but_accepts(make_agency, key: PortalKey) -> None:
    agency = make_agency(fault="slow", slow_seconds=0.3, delay=60)

    started = time.monotonic()
    answer = send(agency.endpoint, key, forwarding())

    assert answer.status_code == 202
    assert time.monotonic() - started >= 0.3
