"""Batches (issue 8): a daily batch per agency system in JSON Lines and CSV with a
manifest and checksums, downloaded over the API; a results file checked and applied
row by row, answered with a per-row report, never applied twice."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bizportal.applications.models import Status
from bizportal.integrations import batches
from bizportal.integrations.models import Batch, Forwarding, ForwardingState, Mode, StatusUpdate
from tests.journeys import submitted

from .conftest import forwarded_service
from .test_agency_api import bearer

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 30)
BATCH_SCOPES = "integrations:read integrations:decide integrations:batch"


@pytest.fixture
def batch_service() -> Any:
    service = forwarded_service(Mode.BATCH)
    service.submitted = [submitted(service), submitted(service)]
    return service


def get(client: Any, auth: str, path: str) -> Any:
    return client.get(f"/api/v1/integrations/agency/batches/{path}", HTTP_AUTHORIZATION=auth)


def results(client: Any, auth: str, batch: Batch, text: str, kind: str = "text/csv") -> Any:
    return client.post(
        f"/api/v1/integrations/agency/batches/{batch.public_id}/results/",
        text.encode(),
        content_type=kind,
        HTTP_AUTHORIZATION=auth,
    )


def csv_of(*rows: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=batches.RESULT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_the_days_batch_is_built_once_after_the_batch_hour(batch_service: Any) -> None:
    bangkok = ZoneInfo("Asia/Bangkok")
    assert batches.build_due(dt.datetime(2026, 11, 30, 17, 59, tzinfo=bangkok)) == []
    (batch,) = batches.build_due(dt.datetime(2026, 11, 30, 18, 0, tzinfo=bangkok))
    assert batch.count == 2 and batch.day == DAY
    assert batches.build_due(dt.datetime(2026, 11, 30, 23, 0, tzinfo=bangkok)) == []
    assert set(Forwarding.objects.values_list("state", flat=True)) == {ForwardingState.BATCHED}
    later = submitted(batch_service)  # waits for the next day's batch
    assert Forwarding.objects.get(application=later).batch is None
    (tomorrow,) = batches.build_all(DAY + dt.timedelta(days=1))
    assert tomorrow.count == 1


def test_the_agency_downloads_files_that_match_the_manifest(
    client: Any, batch_service: Any
) -> None:
    (batch,) = batches.build_all(DAY)
    auth = bearer(client, batch_service, scope=BATCH_SCOPES)
    listed = get(client, auth, "").json()["results"]
    assert [b["batch_id"] for b in listed] == [str(batch.public_id)]
    manifest = get(client, auth, f"{batch.public_id}/").json()
    assert manifest["count"] == 2 and manifest["agency_system"] == "bma-licensing"
    files = {f["name"]: f for f in manifest["files"]}
    jsonl = get(client, auth, f"{batch.public_id}/items.jsonl")
    table = get(client, auth, f"{batch.public_id}/items.csv")
    for answer, name in ((jsonl, "items.jsonl"), (table, "items.csv")):
        assert hashlib.sha256(answer.content).hexdigest() == files[name]["sha256"]
        assert len(answer.content) == files[name]["bytes"]
    items = [json.loads(line) for line in jsonl.content.decode().splitlines()]
    expected = {str(a.public_id) for a in batch_service.submitted}
    assert {item["application_id"] for item in items} == expected
    rows = list(csv.DictReader(io.StringIO(table.content.decode())))
    assert rows[0]["shop.name"] and rows[0]["owner_id"]
    assert set(Forwarding.objects.values_list("state", flat=True)) == {ForwardingState.DELIVERED}
    assert get(client, auth, f"{batch.public_id}/items.xml").status_code == 404


def test_results_are_applied_row_by_row_once(client: Any, batch_service: Any) -> None:
    (batch,) = batches.build_all(DAY)
    auth = bearer(client, batch_service, scope=BATCH_SCOPES)
    first, second = (str(a.public_id) for a in batch_service.submitted)
    text = csv_of(
        {"application_id": first, "sequence": 1, "type": "acknowledge"},
        {"application_id": first, "sequence": 2, "type": "approve", "licence_number": "B-1"},
        {"application_id": second, "sequence": 1, "type": "reject"},  # no message: error
        {"application_id": "not-in-batch", "sequence": 1, "type": "approve"},
    )
    report = results(client, auth, batch, text).json()["rows"]
    assert [(r["row"], r["outcome"]) for r in report] == [
        (1, "applied"),
        (2, "applied"),
        (3, "error"),
        (4, "error"),
    ]
    assert "message" in report[2]["message"]
    again = results(client, auth, batch, text).json()["rows"]
    assert [r["outcome"] for r in again[:2]] == ["duplicate", "duplicate"]
    assert StatusUpdate.objects.count() == 2
    approved = batch_service.submitted[0]
    approved.refresh_from_db()
    assert approved.status != Status.WAITING
    assert StatusUpdate.objects.filter(source="batch").count() == 2
    ndjson = json.dumps(
        {"application_id": second, "sequence": 1, "type": "reject", "message": "ไม่ผ่าน"}
    )
    report = results(client, auth, batch, ndjson + "\nnot json\n", "application/x-ndjson").json()
    assert [r["outcome"] for r in report["rows"]] == ["applied", "error"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("application_id,type\nx,approve\n", "ขาดคอลัมน์"),
        ("application_id,sequence,type,colour\n", "ไม่รู้จักคอลัมน์"),
        ("application_id,sequence,type\n", "ไฟล์ไม่มีแถวผลการพิจารณา"),
    ],
)
def test_a_results_file_that_cannot_be_read_is_refused_whole(
    client: Any, batch_service: Any, text: str, message: str
) -> None:
    (batch,) = batches.build_all(DAY)
    answer = results(client, bearer(client, batch_service, scope=BATCH_SCOPES), batch, text)
    assert answer.status_code == 400 and message in answer.json()["detail"]
    assert not StatusUpdate.objects.exists()


def test_batches_need_the_scope_and_stay_with_their_system(client: Any, batch_service: Any) -> None:
    (batch,) = batches.build_all(DAY)
    assert get(client, bearer(client, batch_service), "").status_code == 403
    other = forwarded_service(Mode.BATCH, code="other-batch-system")
    other_auth = bearer(client, other, scope=BATCH_SCOPES)
    assert get(client, other_auth, f"{batch.public_id}/").status_code == 404
    assert results(client, other_auth, batch, csv_of()).status_code == 404
