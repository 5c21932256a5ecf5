"""Deciding and reporting back: acknowledge then decide, sequences, corrections, and
callbacks that fail or whose answer is lost."""

from __future__ import annotations

from datetime import date

import requests

from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.rules import add_years

from .helpers import FakePortal, PortalKey, forwarding, send, wait_for


def stats(agency: Agency) -> dict[str, int]:
    return requests.get(f"http://127.0.0.1:{agency.port}/_sandbox/stats", timeout=5).json()


def decided(portal: FakePortal, application_id: str, count: int = 2) -> list[dict]:
    return wait_for(lambda: (u := portal.updates_for(application_id)) and len(u) >= count and u)


def test_the_agency_acknowledges_then_approves_with_a_licence(
    agency: Agency, portal: FakePortal, key: PortalKey
) -> None:
    data = forwarding()
    send(agency.endpoint, key, data)

    ack, decision = decided(portal, data["application_id"])

    assert ack == {"sequence": 1, "type": "acknowledge"}
    assert decision["sequence"] == 2
    assert decision["type"] == "approve"
    assert decision["licence"]["number"].startswith("SBX-")
    assert decision["licence"]["valid_until"] == add_years(date.today(), 5).isoformat()
    wait_for(lambda: stats(agency)["updates_sent"] == 2)
    assert stats(agency)["decided"] == 1


def test_the_token_is_cached(agency: Agency, portal: FakePortal, key: PortalKey) -> None:
    apps = [forwarding() for _ in range(3)]
    for data in apps:
        send(agency.endpoint, key, data)

    for data in apps:
        decided(portal, data["application_id"])

    assert len(portal.tokens) == 1


def test_the_decision_waits_for_the_delay(make_agency, portal: FakePortal, key: PortalKey) -> None:
    agency = make_agency(delay=60)
    send(agency.endpoint, key, forwarding())

    agency.decider.tick()

    assert portal.posts == []


def test_a_large_area_is_rejected(agency: Agency, portal: FakePortal, key: PortalKey) -> None:
    data = forwarding(answers={"shop": {"area_sqm": 2500}})
    send(agency.endpoint, key, data)

    _, decision = decided(portal, data["application_id"])

    assert decision["type"] == "reject"
    assert "2500" in decision["message"]


def test_every_nth_forwarding_is_sent_back_once_and_sequences_continue(
    make_agency, portal: FakePortal, key: PortalKey
) -> None:
    # The decider's thread runs one round at start, then the test drives the rounds.
    agency = make_agency(correction_every=2, decide_interval=3600)
    first, second = forwarding(), forwarding()
    send(agency.endpoint, key, first)
    send(agency.endpoint, key, second)
    agency.decider.tick()  # decides both, in arrival order: ordinals 1 and 2

    assert decided(portal, first["application_id"])[1]["type"] == "approve"
    corrected = decided(portal, second["application_id"])[1]
    assert corrected["type"] == "correct"
    assert "กรุณาแก้ไข" in corrected["message"]
    assert "Please correct" in corrected["message"]

    # Resubmitted: a new forwarding of the same application, decided at ordinal 4,
    # which would be a correction, but this application was already sent back once.
    third = forwarding()
    resubmitted = forwarding(second["application_id"])
    send(agency.endpoint, key, third)
    send(agency.endpoint, key, resubmitted)
    agency.decider.tick()

    updates = decided(portal, second["application_id"], count=4)
    assert [(u["sequence"], u["type"]) for u in updates] == [
        (1, "acknowledge"),
        (2, "correct"),
        (3, "acknowledge"),
        (4, "approve"),
    ]


def test_a_lost_answer_is_retried_with_the_same_sequence_and_body(
    agency: Agency, portal: FakePortal, key: PortalKey
) -> None:
    portal.plan = ["lose"]
    data = forwarding()
    send(agency.endpoint, key, data)

    decided(portal, data["application_id"])
    wait_for(lambda: stats(agency)["updates_sent"] == 2)

    acks = [p for p in portal.posts if p["sequence"] == 1]
    assert len(acks) == 2
    assert acks[0] == acks[1]
    assert stats(agency)["update_retries"] == 1


def test_a_5xx_is_retried_and_the_decision_waits_for_its_acknowledge(
    agency: Agency, portal: FakePortal, key: PortalKey
) -> None:
    portal.plan = ["500", "500"]
    data = forwarding()
    send(agency.endpoint, key, data)

    decided(portal, data["application_id"])

    assert [p["sequence"] for p in portal.posts] == [1, 1, 1, 2]


def test_a_409_on_a_decision_stops_it(agency: Agency, portal: FakePortal, key: PortalKey) -> None:
    portal.plan = ["", "409"]
    send(agency.endpoint, key, forwarding())

    wait_for(lambda: stats(agency)["updates_stopped"] == 1)
    counts = stats(agency)
    assert counts["updates_sent"] == 1
    assert counts["updates_pending"] == 0
    assert len(portal.posts) == 2


def test_a_4xx_is_recorded_as_failed_not_retried(
    agency: Agency, portal: FakePortal, key: PortalKey
) -> None:
    portal.plan = ["400"]
    data = forwarding()
    send(agency.endpoint, key, data)

    wait_for(lambda: stats(agency)["updates_sent"] == 1)
    counts = stats(agency)
    assert counts["updates_failed"] == 1
    assert [p["sequence"] for p in portal.posts] == [1, 2]


def test_owed_updates_survive_a_restart(
    make_agency, portal: FakePortal, key: PortalKey, tmp_path
) -> None:
    db = tmp_path / "restart.sqlite3"
    first = make_agency(db=db, max_attempts=100)
    portal.plan = ["500"] * 1000  # the portal is failing
    data = forwarding()
    send(first.endpoint, key, data)
    wait_for(lambda: stats(first)["decided"] == 1)
    first.stop()

    portal.plan = []
    second = make_agency(db=db)

    assert [u["type"] for u in decided(portal, data["application_id"])] == [
        "acknowledge",
        "approve",
    ]
    assert stats(second)["received"] == 1
