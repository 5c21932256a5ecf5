"""The daily batch, as an agency without an online API works it: look for new batches,
download the items, check them against the manifest's SHA-256, decide every item by the
same rules as online, and upload one results CSV.

A batch whose file does not match its manifest is refused (recorded and logged, nothing
decided): a truncated or altered download must never become decisions. It is looked at
again on the next polls, up to ``MAX_BATCH_ATTEMPTS`` times, in case the download was
what went wrong.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import threading
from typing import Any

from .decider import Deciding
from .portal import PortalClient, PortalUnavailable
from .store import Store, Update

log = logging.getLogger("bizportal.sandbox_agency.batch")

ITEMS_FILE = "items.jsonl"
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
MAX_BATCH_ATTEMPTS = 3
MAX_LIST_PAGES = 50
DONE = ("uploaded", "given_up")
REPORT_SENT = ("applied", "duplicate", "stale")


class BatchRefused(Exception):
    """The batch's file does not match its manifest."""


class BatchWorker(threading.Thread):
    """Every ``batch_poll`` seconds: work through the batches not yet done."""

    def __init__(self, store: Store, portal: PortalClient, deciding: Deciding) -> None:
        super().__init__(name="sandbox-agency-batches", daemon=True)
        self.store = store
        self.portal = portal
        self.deciding = deciding
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.portal.config.batch_poll):
            try:
                self.poll()
            except PortalUnavailable as error:
                log.warning("batch poll: portal unavailable: %s", error)
            except Exception:  # the next poll tries again
                log.exception("batch poll failed")

    def poll(self) -> None:
        for batch_id in self.batch_ids():
            known = self.store.batch(batch_id)
            if known is None or known.state not in DONE:
                try:
                    self.process(batch_id)
                except PortalUnavailable as error:  # this batch again on the next poll
                    log.warning("batch %s: portal unavailable: %s", batch_id, error)

    def batch_ids(self) -> list[str]:
        """Every batch the portal lists for us, following cursor pages ("next")."""
        ids: list[str] = []
        url: str | None = self.portal.batches_url()
        for _ in range(MAX_LIST_PAGES):
            if not url:
                break
            answer = self.portal.call("GET", url)
            if answer.status != 200:
                raise PortalUnavailable(f"batch list: HTTP {answer.status} {answer.text[:200]}")
            entries, url = _page(answer.data)
            ids += [_batch_id(entry) for entry in entries]
        return [batch_id for batch_id in ids if batch_id]

    def process(self, batch_id: str) -> None:
        """Download, check, store and decide a batch, then upload its results."""
        known = self.store.batch(batch_id)
        if known is None or known.state != "decided":
            try:
                items = self.download(batch_id)
            except BatchRefused as error:
                self.refuse(batch_id, str(error), known.attempts if known else 0)
                return
            self.decide(batch_id, items)
        self.upload(batch_id)

    def download(self, batch_id: str) -> list[dict[str, Any]]:
        answer = self.portal.call("GET", self.portal.batches_url(batch_id))
        if answer.status != 200 or not isinstance(answer.data, dict):
            raise PortalUnavailable(f"manifest of {batch_id}: HTTP {answer.status}")
        entry = _file_entry(answer.data, ITEMS_FILE)
        url = entry.get("url") or self.portal.batches_url(batch_id) + ITEMS_FILE
        content = self.portal.download(str(url))
        check_file(entry, content)
        log.info("batch %s: %s checked (%d bytes)", batch_id, ITEMS_FILE, len(content))
        return parse_items(content)

    def refuse(self, batch_id: str, reason: str, attempts: int) -> None:
        state = "given_up" if attempts + 1 >= MAX_BATCH_ATTEMPTS else "refused"
        self.store.save_batch(batch_id, state=state, error=reason)
        log.error("batch %s refused (%s): %s", batch_id, state, reason)

    def decide(self, batch_id: str, items: list[dict[str, Any]]) -> None:
        """Store every item like a received forwarding, decide them, keep the CSV."""
        for item in items:
            self.store.receive(
                item, key=str(item["forwarding_id"]), source="batch", batch_id=batch_id
            )
        for forwarding in self.store.undecided_in_batch(batch_id):
            self.deciding.decide(forwarding, channel="batch")
        results = results_csv(self.store.batch_updates(batch_id))
        self.store.save_batch(batch_id, state="decided", results_csv=results)
        log.info("batch %s: %d items decided", batch_id, len(items))

    def upload(self, batch_id: str) -> None:
        """Upload the results kept for the batch: the same file on every retry, so the
        portal applies nothing twice."""
        known = self.store.batch(batch_id)
        assert known is not None
        answer = self.portal.call(
            "POST",
            self.portal.batches_url(batch_id) + "results/",
            data=known.results_csv.encode(),
            headers={"Content-Type": "text/csv; charset=utf-8"},
        )
        if not 200 <= answer.status < 300:
            self.store.save_batch(
                batch_id, state="given_up", error=f"HTTP {answer.status} {answer.text}"
            )
            log.error(
                "batch %s: results refused: HTTP %s %s", batch_id, answer.status, answer.text[:300]
            )
            return
        self.record_report(batch_id, answer.data)
        self.store.save_batch(batch_id, state="uploaded", report=answer.data)

    def record_report(self, batch_id: str, report: Any) -> None:
        """Close each row's update with the portal's per-row outcome."""
        updates = self.store.batch_updates(batch_id)
        entries = _report_entries(report)
        by_sequence: dict[tuple[str, int | None], Update] = {
            (u.application_id, u.sequence): u for u in updates
        }
        for index, entry in enumerate(entries):
            key = (str(entry.get("application_id", "")), _int(entry.get("sequence")))
            update = by_sequence.get(key) or (updates[index] if index < len(updates) else None)
            if update is None:
                continue
            outcome = str(entry.get("outcome", ""))
            if outcome in REPORT_SENT:
                self.store.mark_update(update.id, state="sent", outcome=outcome)
            else:
                error = str(entry.get("message") or entry.get("error") or outcome)
                self.store.mark_update(update.id, state="failed", outcome=outcome, error=error)
                log.error("batch %s row %s: %s", batch_id, entry.get("row", index + 1), error)
        log.info("batch %s: results uploaded, %d rows reported", batch_id, len(entries))


def check_file(entry: dict[str, Any], content: bytes) -> None:
    """The downloaded bytes against the manifest's SHA-256 (and size, when given)."""
    expected = str(entry.get("sha256", "")).lower()
    actual = hashlib.sha256(content).hexdigest()
    if not expected or expected != actual:
        raise BatchRefused(f"{entry.get('name')}: SHA-256 {actual}, the manifest says {expected!r}")
    size = entry.get("bytes")
    if size is not None and int(size) != len(content):
        raise BatchRefused(f"{entry.get('name')}: {len(content)} bytes, the manifest says {size}")


def parse_items(content: bytes) -> list[dict[str, Any]]:
    """One forwarding per line; a line that is not one refuses the whole batch."""
    items = []
    for number, line in enumerate(content.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as error:
            raise BatchRefused(f"line {number} is not JSON: {error}") from error
        if (
            not isinstance(item, dict)
            or not item.get("forwarding_id")
            or not item.get("application_id")
        ):
            raise BatchRefused(f"line {number} lacks forwarding_id or application_id")
        items.append(item)
    return items


def results_csv(updates: list[Update]) -> str:
    """The results file: one row per update, acknowledge then decision."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for update in updates:
        licence = update.body.get("licence") or {}
        writer.writerow(
            [
                update.application_id,
                update.sequence,
                update.type,
                update.body.get("status", ""),
                update.body.get("message", ""),
                licence.get("number", ""),
                licence.get("valid_until", ""),
                licence.get("conditions", ""),
            ]
        )
    return out.getvalue()


def _page(data: Any) -> tuple[list[Any], str | None]:
    """A list answer, or a cursor page ``{"results": [...], "next": url}``."""
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict):
        return list(data.get("results") or []), data.get("next")
    return [], None


def _batch_id(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("batch_id") or entry.get("id") or "")
    return str(entry or "")


def _file_entry(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    for entry in manifest.get("files") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise BatchRefused(f"the manifest lists no {name}")


def _report_entries(report: Any) -> list[dict[str, Any]]:
    """The per-row report, whether the answer is a list or wraps one."""
    if isinstance(report, dict):
        report = report.get("rows") or report.get("report") or report.get("results") or []
    return (
        [entry for entry in report if isinstance(entry, dict)] if isinstance(report, list) else []
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
