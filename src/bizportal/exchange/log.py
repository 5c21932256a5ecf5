"""The exchange's message log: append, as a signed hash chain, and verify.

Like X-Road's message log, it proves afterwards who asked what of whom and what came of
it. Each entry's hash covers its content and the previous entry's hash; the hash is
signed with the platform's key (``core.anchoring``), so rewriting the chain from some
entry on needs that key too. On PostgreSQL writers take an advisory lock until commit,
so two requests never chain onto the same predecessor.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connections, router, transaction

from bizportal.core import anchoring, security_events

from .models import MessageLogEntry

#: Domain separation for the platform key's signatures over log entries.
PURPOSE = "bizportal-exchange-message/1"
LOCK = 0x62697A6578636867  # "bizexchg"
GENESIS = "0" * 64


def canonical(entry: MessageLogEntry) -> bytes:
    """What an entry's hash covers: every column but the hash and its signature."""
    content = {
        "seq": entry.seq,
        "prev_hash": entry.prev_hash,
        "message_id": str(entry.message_id),
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "consumer_agency": entry.consumer_agency,
        "consumer_system": entry.consumer_system,
        "officer": entry.officer_id,
        "officer_name": entry.officer_name,
        "data_service": entry.data_service,
        "provider": entry.provider,
        "subject_id": entry.subject_id,
        "purpose": entry.purpose,
        "basis": entry.basis,
        "basis_ref": entry.basis_ref,
        "fields_requested": entry.fields_requested,
        "fields_returned": entry.fields_returned,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "response_digest": entry.response_digest,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _signed(digest: str) -> bytes:
    return f"{PURPOSE}\n{digest}".encode()


def append(**fields: Any) -> MessageLogEntry:
    """Write one entry at the head of the chain, in its own transaction (a refusal is
    logged even though the caller then raises)."""
    using = router.db_for_write(MessageLogEntry)
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        head = MessageLogEntry.objects.using(using).order_by("-seq").only("seq", "hash").first()
        entry = MessageLogEntry(
            seq=(head.seq + 1) if head else 1, prev_hash=head.hash if head else GENESIS, **fields
        )
        entry.hash = hashlib.sha256(canonical(entry)).hexdigest()
        algorithm, key, signature = anchoring.sign(_signed(entry.hash))
        entry.algorithm, entry.key_id = algorithm, key
        entry.signature = base64.b64encode(signature).decode()
        entry.save(using=using)
    _emit(entry)
    return entry


def _emit(entry: MessageLogEntry) -> None:
    """Every exchange is traffic a SOC watches (volume per consumer); a refusal is a
    security event of its own. The subject is not named: the message id leads to it."""
    refused = entry.outcome == "refused"
    security_events.emit_on_commit(
        "exchange.refused" if refused else "exchange.request",
        severity=5 if refused else 1,
        outcome="failure" if refused else "success",
        actor=f"{entry.consumer_agency}/{entry.consumer_system}",
        target=entry.data_service,
        message_id=str(entry.message_id),
        reason=entry.reason,
    )


@dataclass(frozen=True)
class Report:
    checked: int
    problems: list[str]

    @property
    def holds(self) -> bool:
        return not self.problems


def verify(batch: int = 2000) -> Report:
    """Walk the whole chain in order; every problem in words an operator can act on."""
    problems: list[str] = []
    checked = 0
    previous = GENESIS
    expected_seq = 1
    for entry in _in_order(batch):
        checked += 1
        where = f"entry {entry.seq} (message {entry.message_id})"
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}–{entry.seq - 1} are missing before {where}")
        if entry.prev_hash != previous:
            problems.append(f"{where} does not follow the entry before it")
        if hashlib.sha256(canonical(entry)).hexdigest() != entry.hash:
            problems.append(f"{where} was changed after it was written")
        elif not _signature_valid(entry):
            problems.append(f"{where}: the signature does not verify")
        previous, expected_seq = entry.hash, entry.seq + 1
    return Report(checked, problems)


def _signature_valid(entry: MessageLogEntry) -> bool:
    try:
        signature = base64.b64decode(entry.signature, validate=True)
    except ValueError:
        return False
    return anchoring.signature_holds(entry.key_id, signature, _signed(entry.hash))


def _in_order(batch: int) -> Iterator[MessageLogEntry]:
    after = 0
    while True:
        rows = list(MessageLogEntry.objects.filter(seq__gt=after).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
