"""The agency's own records, in SQLite: what was received, what was decided, and every
update owed to the portal until the portal has confirmed it.

Everything that must survive a crash lives here, not in memory: the benchmark kills the
process, and after a restart the agency must neither decide an application twice nor
forget a callback it still owes. One connection is shared by the threads behind a lock;
SQLite serialises writes anyway and the volumes are a sandbox's.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .rules import Decision

SCHEMA = """
CREATE TABLE IF NOT EXISTS forwardings (
    key TEXT PRIMARY KEY,                 -- the Idempotency-Key: the forwarding id
    application_id TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,                 -- online | batch
    batch_id TEXT,
    body TEXT NOT NULL,                   -- the forwarding as first received
    received_at TEXT NOT NULL,
    received_ts REAL NOT NULL,
    times_received INTEGER NOT NULL DEFAULT 1,
    decision TEXT,                        -- approve | reject | correct, once decided
    decision_ordinal INTEGER
);
CREATE TABLE IF NOT EXISTS applications (
    application_id TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL DEFAULT 0,   -- our counter, kept across corrections
    corrected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id TEXT NOT NULL,
    forwarding_key TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,                   -- resent byte for byte after a lost answer
    channel TEXT NOT NULL,                -- api | batch
    state TEXT NOT NULL,                  -- pending | sent | failed | stopped
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ts REAL NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (application_id, sequence)
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,                  -- refused | decided | uploaded | given_up
    attempts INTEGER NOT NULL DEFAULT 0,
    results_csv TEXT NOT NULL DEFAULT '',
    report TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


def now_iso() -> str:
    """UTC, to the second: what a repeat is told about its first arrival."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Receipt:
    """The outcome of storing a forwarding: first arrival or a transport repeat."""

    first: bool
    received_at: str


@dataclass(frozen=True)
class Forwarding:
    key: str
    application_id: str
    reference: str
    body: dict[str, Any]
    received_ts: float


@dataclass(frozen=True)
class Update:
    id: int
    application_id: str
    sequence: int
    type: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Batch:
    batch_id: str
    state: str
    attempts: int
    results_csv: str


class Store:
    """The sandbox agency's database. Every method is one short transaction."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so two threads never interleave."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- receiving ------------------------------------------------------------------

    def receive(
        self, forwarding: dict[str, Any], *, key: str, source: str, batch_id: str | None = None
    ) -> Receipt:
        """Store a forwarding once per key; a repeat only counts the transport repeat.

        A retry may carry fresh document links, so a repeat's body is not compared: the
        key alone says it is the same hand-over, and the first body is kept."""
        with self._tx() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO forwardings (key, application_id, reference, source,"
                " batch_id, body, received_at, received_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    str(forwarding["application_id"]),
                    str(forwarding.get("reference", "")),
                    source,
                    batch_id,
                    json.dumps(forwarding, ensure_ascii=False),
                    now_iso(),
                    time.time(),
                ),
            ).rowcount
            if not inserted:
                db.execute(
                    "UPDATE forwardings SET times_received = times_received + 1 WHERE key = ?",
                    (key,),
                )
            row = db.execute("SELECT received_at FROM forwardings WHERE key = ?", (key,)).fetchone()
        return Receipt(first=bool(inserted), received_at=row["received_at"])

    def undecided(self, *, received_before: float) -> list[Forwarding]:
        """Online forwardings waiting for a decision, oldest first (the order makes every
        n-th correction deterministic)."""
        rows = self._query(
            "SELECT * FROM forwardings WHERE decision IS NULL AND source = 'online'"
            " AND received_ts <= ? ORDER BY rowid",
            (received_before,),
        )
        return [_forwarding(row) for row in rows]

    def undecided_in_batch(self, batch_id: str) -> list[Forwarding]:
        rows = self._query(
            "SELECT * FROM forwardings WHERE decision IS NULL AND batch_id = ? ORDER BY rowid",
            (batch_id,),
        )
        return [_forwarding(row) for row in rows]

    # -- deciding -------------------------------------------------------------------

    def decision_context(self, application_id: str) -> tuple[int, bool]:
        """The ordinal the next decision will get, and whether the application was ever
        sent back: the two facts the correction rule needs."""
        counter = self._query("SELECT value FROM counters WHERE name = 'decisions'")
        app = self._query(
            "SELECT corrected FROM applications WHERE application_id = ?", (application_id,)
        )
        return (counter[0]["value"] if counter else 0) + 1, bool(app and app[0]["corrected"])

    def record_decision(
        self, forwarding: Forwarding, decision: Decision, *, ordinal: int, channel: str
    ) -> list[Update]:
        """Owe the portal an acknowledge (N+1) and the decision (N+2), atomically with
        marking the forwarding decided: after a crash it is either all or nothing."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO counters (name, value) VALUES ('decisions', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (ordinal,),
            )
            db.execute(
                "INSERT OR IGNORE INTO applications (application_id) VALUES (?)",
                (forwarding.application_id,),
            )
            last = db.execute(
                "SELECT last_sequence FROM applications WHERE application_id = ?",
                (forwarding.application_id,),
            ).fetchone()["last_sequence"]
            bodies = [{"sequence": last + 1, "type": "acknowledge"}, decision.body(last + 2)]
            updates = [_insert_update(db, forwarding, body, channel) for body in bodies]
            db.execute(
                "UPDATE applications SET last_sequence = ?, corrected = corrected OR ?"
                " WHERE application_id = ?",
                (last + 2, decision.type == "correct", forwarding.application_id),
            )
            db.execute(
                "UPDATE forwardings SET decision = ?, decision_ordinal = ? WHERE key = ?",
                (decision.type, ordinal, forwarding.key),
            )
        return updates

    # -- callbacks ------------------------------------------------------------------

    def due_updates(self, now: float) -> list[Update]:
        """Pending API updates whose time has come, only the lowest sequence of each
        application: the decision never overtakes its acknowledge."""
        rows = self._query(
            "SELECT * FROM updates u WHERE state = 'pending' AND channel = 'api'"
            " AND next_attempt_ts <= ? AND sequence = (SELECT MIN(sequence) FROM updates"
            " WHERE application_id = u.application_id AND state = 'pending' AND channel = 'api')"
            " ORDER BY id",
            (now,),
        )
        return [_update(row) for row in rows]

    def batch_updates(self, batch_id: str) -> list[Update]:
        rows = self._query(
            "SELECT u.* FROM updates u JOIN forwardings f ON f.key = u.forwarding_key"
            " WHERE f.batch_id = ? AND u.channel = 'batch' ORDER BY u.id",
            (batch_id,),
        )
        return [_update(row) for row in rows]

    def mark_update(
        self, update_id: int, *, state: str, outcome: str = "", error: str = ""
    ) -> None:
        """Close an update: sent (with the portal's outcome), failed or stopped."""
        with self._tx() as db:
            db.execute(
                "UPDATE updates SET state = ?, outcome = ?, last_error = ?,"
                " attempts = attempts + 1 WHERE id = ?",
                (state, outcome, error[:500], update_id),
            )

    def retry_update(self, update_id: int, *, error: str, at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE updates SET attempts = attempts + 1, last_error = ?, next_attempt_ts = ?"
                " WHERE id = ?",
                (error[:500], at, update_id),
            )

    # -- batches --------------------------------------------------------------------

    def batch(self, batch_id: str) -> Batch | None:
        rows = self._query("SELECT * FROM batches WHERE batch_id = ?", (batch_id,))
        if not rows:
            return None
        row = rows[0]
        return Batch(row["batch_id"], row["state"], row["attempts"], row["results_csv"])

    def save_batch(
        self,
        batch_id: str,
        *,
        state: str,
        results_csv: str | None = None,
        report: Any = None,
        error: str = "",
    ) -> None:
        """Record where a batch stands; each call counts as one attempt at it."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO batches (batch_id, state, attempts, error, updated_at)"
                " VALUES (?, ?, 1, ?, ?) ON CONFLICT (batch_id) DO UPDATE SET state ="
                " excluded.state, attempts = attempts + 1, error = excluded.error,"
                " updated_at = excluded.updated_at",
                (batch_id, state, error[:500], now_iso()),
            )
            if results_csv is not None:
                db.execute(
                    "UPDATE batches SET results_csv = ? WHERE batch_id = ?", (results_csv, batch_id)
                )
            if report is not None:
                db.execute(
                    "UPDATE batches SET report = ? WHERE batch_id = ?",
                    (json.dumps(report, ensure_ascii=False), batch_id),
                )

    # -- numbers --------------------------------------------------------------------

    def receipts(self) -> dict[str, int]:
        """How many times each forwarding id arrived (1: never repeated)."""
        rows = self._query("SELECT key, times_received FROM forwardings ORDER BY rowid")
        return {row["key"]: row["times_received"] for row in rows}

    def stats(self) -> dict[str, int]:
        """The counts the benchmark compares with the portal's own."""
        one = self._query(
            "SELECT COUNT(*) AS received, COALESCE(SUM(times_received - 1), 0) AS repeats,"
            " COUNT(decision) AS decided FROM forwardings"
        )[0]
        states = {
            row["state"]: row["n"]
            for row in self._query("SELECT state, COUNT(*) AS n FROM updates GROUP BY state")
        }
        retries = self._query(
            "SELECT COALESCE(SUM(MAX(attempts - 1, 0)), 0) AS n FROM updates WHERE channel = 'api'"
        )[0]["n"]
        batches = {
            row["state"]: row["n"]
            for row in self._query("SELECT state, COUNT(*) AS n FROM batches GROUP BY state")
        }
        return {
            "received": one["received"],
            "transport_repeats": one["repeats"],
            "decided": one["decided"],
            "updates_sent": states.get("sent", 0),
            "updates_failed": states.get("failed", 0),
            "updates_stopped": states.get("stopped", 0),
            "updates_pending": states.get("pending", 0),
            "update_retries": retries,
            "batches_uploaded": batches.get("uploaded", 0),
            "batches_refused": batches.get("refused", 0) + batches.get("given_up", 0),
        }


def _insert_update(
    db: sqlite3.Connection, forwarding: Forwarding, body: dict[str, Any], channel: str
) -> Update:
    cursor = db.execute(
        "INSERT INTO updates (application_id, forwarding_key, sequence, type, body, channel,"
        " state) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
        (
            forwarding.application_id,
            forwarding.key,
            body["sequence"],
            body["type"],
            json.dumps(body, ensure_ascii=False),
            channel,
        ),
    )
    return Update(
        int(cursor.lastrowid or 0),
        forwarding.application_id,
        body["sequence"],
        body["type"],
        body,
        0,
    )


def _forwarding(row: sqlite3.Row) -> Forwarding:
    return Forwarding(
        row["key"],
        row["application_id"],
        row["reference"],
        json.loads(row["body"]),
        row["received_ts"],
    )


def _update(row: sqlite3.Row) -> Update:
    return Update(
        row["id"],
        row["application_id"],
        row["sequence"],
        row["type"],
        json.loads(row["body"]),
        row["attempts"],
    )
