"""The daily batch: download, checksum, decide, upload the results CSV."""

from __future__ import annotations

from bizportal.sandbox_agency.app import Agency

from .helpers import FakeBatch, FakePortal, forwarding, wait_for

COLUMNS = [
    "application_id",
    "sequence",
    "type",
    "status",
    "message",
    "licence_number",
    "licence_valid_until",
    "licence_conditions",
]


def item(data: dict) -> dict:
    return {k: data[k] for k in ("forwarding_id", "application_id", "reference", "package")}


def test_a_batch_is_checked_decided_and_answered_with_one_csv(
    agency: Agency, portal: FakePortal
) -> None:
    approved, rejected = forwarding(), forwarding(answers={"floor_area": "1,500"})
    portal.batches["b-1"] = FakeBatch([item(approved), item(rejected)])

    agency.batches.poll()

    rows = portal.results["b-1"]
    assert list(rows[0]) == COLUMNS
    assert [(r["application_id"], r["sequence"], r["type"]) for r in rows] == [
        (approved["application_id"], "1", "acknowledge"),
        (approved["application_id"], "2", "approve"),
        (rejected["application_id"], "1", "acknowledge"),
        (rejected["application_id"], "2", "reject"),
    ]
    assert rows[1]["licence_number"].startswith("SBX-")
    assert rows[1]["licence_valid_until"]
    assert "1500" in rows[3]["message"]
    stats = agency.store.stats()
    assert stats["batches_uploaded"] == 1
    assert stats["updates_sent"] == 4
    assert portal.posts == []  # batch decisions go in the file, not the updates API

    agency.batches.poll()  # a batch once uploaded is done
    assert agency.store.stats()["batches_uploaded"] == 1


def test_a_wrong_checksum_is_refused_and_nothing_is_decided(
    agency: Agency, portal: FakePortal
) -> None:
    portal.batches["b-bad"] = FakeBatch([item(forwarding())], wrong_checksum=True)

    agency.batches.poll()

    assert "b-bad" not in portal.results
    stats = agency.store.stats()
    assert stats["batches_refused"] == 1
    assert stats["received"] == 0
    batch = agency.store.batch("b-bad")
    assert batch is not None
    assert batch.state == "refused"


def test_the_batch_thread_polls(make_agency, portal: FakePortal) -> None:
    portal.batches["b-2"] = FakeBatch([item(forwarding())])

    make_agency(batch_poll=0.05)

    wait_for(lambda: "b-2" in portal.results)
