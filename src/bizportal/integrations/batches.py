"""Daily batches for agency systems without an online API, and their results files.

A batch is built once per agency system and day from the batch-mode forwardings not yet
in one; its files (JSON Lines and CSV) and manifest (SHA-256 and size of each) are kept
as built, so every download gives the same bytes. The results file the agency uploads
is checked and applied row by row through the same :func:`forwarding.apply_update` as
the online API, each row on its own (one bad row does not stop the others), and
answered with a report of one entry per row; uploading it again applies nothing twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit
from bizportal.exchange.models import AgencySystem

from . import forwarding
from .models import Batch, Forwarding, ForwardingState, IntegrationVersion, Mode

BANGKOK = ZoneInfo("Asia/Bangkok")
CSV_FIXED = (
    "forwarding_id",
    "application_id",
    "reference",
    "service",
    "kind",
    "submitted_at",
    "holder_kind",
    "holder_id",
    "holder_name_th",
    "holder_name_en",
)
RESULT_COLUMNS = (
    "application_id",
    "sequence",
    "type",
    "status",
    "message",
    "licence_number",
    "licence_valid_until",
    "licence_conditions",
)
MAX_RESULT_ROWS = 20_000


def batch_systems() -> list[AgencySystem]:
    """Agency systems that some service's current integration forwards to by batch."""
    ids = IntegrationVersion.objects.filter(is_current=True, mode=Mode.BATCH).values(
        "agency_system_id"
    )
    return list(AgencySystem.objects.filter(pk__in=ids, is_active=True).select_related("agency"))


def build_due(now: dt.datetime | None = None) -> list[Batch]:
    """Today's batches, once the batch hour has passed (the sweeper calls this)."""
    local = (now or timezone.now()).astimezone(BANGKOK)
    if local.hour < settings.FORWARDING_BATCH_HOUR:
        return []
    return build_all(local.date())


def build_all(day: dt.date) -> list[Batch]:
    built = []
    for system in batch_systems():
        batch = build_batch(system, day)
        if batch is not None:
            built.append(batch)
    return built


@transaction.atomic
def build_batch(system: AgencySystem, day: dt.date) -> Batch | None:
    """The day's batch of ``system``; None if it exists already or nothing waits.

    Forwardings that wait after the day's batch was built go into the next day's."""
    if Batch.objects.filter(agency_system=system, day=day).exists():
        return None
    waiting = list(
        Forwarding.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            agency_system=system,
            mode=Mode.BATCH,
            state=ForwardingState.PENDING,
            batch__isnull=True,
        )
        .select_related("application")
        .order_by("created_at", "pk")
    )
    if not waiting:
        return None
    public_id = uuid.uuid4()
    jsonl = "".join(json.dumps(_item(f), ensure_ascii=False) + "\n" for f in waiting)
    csv_text = _csv(waiting)
    manifest = {
        "batch_id": str(public_id),
        "agency_system": system.code,
        "agency": system.agency.code,
        "day": day.isoformat(),
        "created_at": timezone.now().isoformat(),
        "count": len(waiting),
        "package_schema": waiting[0].package.get("$schema", ""),
        "files": [
            _file("items.jsonl", jsonl, len(waiting)),
            _file("items.csv", csv_text, len(waiting)),
        ],
        "results": {
            "columns": list(RESULT_COLUMNS),
            "content_types": ["text/csv", "application/x-ndjson"],
        },
    }
    batch = Batch.objects.create(
        public_id=public_id,
        agency_system=system,
        day=day,
        items_jsonl=jsonl,
        items_csv=csv_text,
        manifest=manifest,
        count=len(waiting),
    )
    Forwarding.objects.filter(pk__in=[f.pk for f in waiting]).update(
        state=ForwardingState.BATCHED, batch=batch
    )
    audit.record(
        "integrations.batch_built",
        batch,
        actor_label="Biz Portal",
        agency_system=system.code,
        day=day.isoformat(),
        count=len(waiting),
    )
    return batch


def _item(forwarding_row: Forwarding) -> dict[str, Any]:
    application = forwarding_row.application
    return {
        "forwarding_id": str(forwarding_row.public_id),
        "application_id": str(application.public_id),
        "reference": application.reference or "",
        "package": forwarding_row.package,
    }


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat(f"{prefix}.{key}" if prefix else str(key), inner)
    else:
        yield prefix, value


def _csv(rows: list[Forwarding]) -> str:
    """One row per application: the fixed columns, then the mapped fields flattened."""
    mapped_columns: list[str] = []
    flats = []
    for row in rows:
        flat = dict(_flat("", row.package.get("mapped", {})))
        flats.append(flat)
        mapped_columns += [column for column in flat if column not in mapped_columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_FIXED, *mapped_columns])
    for row, flat in zip(rows, flats, strict=True):
        package = row.package
        application, holder = package["application"], package["holder"]
        writer.writerow(
            [
                row.public_id,
                application["id"],
                application["reference"],
                application["service"],
                application["kind"],
                application["submitted_at"] or "",
                holder["kind"],
                holder["id"],
                holder["name_th"],
                holder["name_en"],
                *[_cell(flat.get(column)) for column in mapped_columns],
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _file(name: str, text: str, rows: int) -> dict[str, Any]:
    data = text.encode()
    return {
        "name": name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "rows": rows,
    }


def mark_downloaded(batch: Batch) -> None:
    """The first download hands the batch's applications over to the agency."""
    if batch.downloaded_at is not None:
        return
    with transaction.atomic():
        now = timezone.now()
        updated = Batch.objects.filter(pk=batch.pk, downloaded_at__isnull=True).update(
            downloaded_at=now
        )
        if updated:
            Forwarding.objects.filter(batch=batch, state=ForwardingState.BATCHED).update(
                state=ForwardingState.DELIVERED, delivered_at=now
            )
            audit.record(
                "integrations.batch_downloaded",
                batch,
                actor_label=f"{batch.agency_system.code} (agency system)",
                count=batch.count,
            )
    batch.downloaded_at = batch.downloaded_at or timezone.now()


# --- results ----------------------------------------------------------------------------


class ResultsFileError(Exception):
    """The file as a whole cannot be read (not CSV/JSON Lines, wrong columns, too long)."""


def parse_results(content: bytes, content_type: str) -> list[dict[str, Any]]:
    """The rows of a results file, as update bodies plus ``application_id``."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResultsFileError(_("the file must be UTF-8")) from None
    if content_type.split(";")[0].strip() == "application/x-ndjson":
        rows = _jsonl_rows(text)
    else:
        rows = _csv_rows(text)
    if len(rows) > MAX_RESULT_ROWS:
        raise ResultsFileError(_("at most %(count)s rows") % {"count": MAX_RESULT_ROWS})
    if not rows:
        raise ResultsFileError(_("the file has no result rows"))
    return rows


def _jsonl_rows(text: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            value = {"_error": _("line %(number)s is not JSON") % {"number": number}}
        rows.append(value if isinstance(value, dict) else {"_error": "not an object"})
    return rows


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    missing = {"application_id", "sequence", "type"} - columns
    if missing:
        raise ResultsFileError(
            _("missing columns: %(missing)s (columns: %(columns)s)")
            % {"missing": ", ".join(sorted(missing)), "columns": ", ".join(RESULT_COLUMNS)}
        )
    unknown = columns - set(RESULT_COLUMNS)
    if unknown:
        raise ResultsFileError(
            _("unknown columns: %(columns)s") % {"columns": ", ".join(sorted(unknown))}
        )
    return [_from_csv(row) for row in reader]


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"application_id": row.get("application_id") or ""}
    sequence = (row.get("sequence") or "").strip()
    body["sequence"] = int(sequence) if sequence.isdigit() else sequence
    body["type"] = (row.get("type") or "").strip()
    for name in ("status", "message"):
        if (row.get(name) or "").strip():
            body[name] = row[name].strip()
    licence = {
        key: (row.get(f"licence_{key}") or "").strip()
        for key in ("number", "valid_until", "conditions")
        if (row.get(f"licence_{key}") or "").strip()
    }
    if licence:
        body["licence"] = licence
    return body


def apply_results(batch: Batch, content: bytes, content_type: str) -> list[dict[str, Any]]:
    """Apply each row on its own; the report has one entry per row, in file order."""
    rows = parse_results(content, content_type)
    in_batch = {
        str(public_id)
        for public_id in Forwarding.objects.filter(batch=batch).values_list(
            "application__public_id", flat=True
        )
    }
    report = [_apply_row(batch, number, row, in_batch) for number, row in enumerate(rows, start=1)]
    audit.record(
        "integrations.batch_results",
        batch,
        actor_label=f"{batch.agency_system.code} (agency system)",
        rows=len(report),
        applied=sum(1 for entry in report if entry["outcome"] == "applied"),
        errors=sum(1 for entry in report if entry["outcome"] == "error"),
    )
    return report


def _apply_row(
    batch: Batch, number: int, row: dict[str, Any], in_batch: set[str]
) -> dict[str, Any]:
    application_id = str(row.pop("application_id", "") or "")
    entry: dict[str, Any] = {"row": number, "application_id": application_id}
    if "_error" in row:
        return {**entry, "outcome": "error", "message": row["_error"]}
    if application_id not in in_batch:
        return {
            **entry,
            "outcome": "error",
            "message": _("this application is not in this batch"),
        }
    try:
        result = forwarding.apply_update(batch.agency_system, application_id, row, source="batch")
    except forwarding.UpdateRefused as refused:
        return {**entry, "outcome": "error", "status": refused.status, "message": str(refused)}
    return {**entry, **result.as_dict()}
