"""Writing the audit trail, as a hash chain, and auditing staff reads of personal data.

Call :func:`record` inside the transaction of the change it describes, so the change
and its record commit or roll back together.

**The chain.** Each row gets the next ``seq``, the previous row's hash as ``prev_hash``
and ``hash`` = SHA-256 over a canonical JSON of its content and ``prev_hash``
(:func:`canonical`). Appending must be serialised or two writers would both link to
the same predecessor and fork the chain: on PostgreSQL :func:`record` takes a
transaction-level advisory lock (released at commit or rollback, so the chain follows
commit order); on SQLite every write transaction already holds the database's write
lock (``transaction_mode = IMMEDIATE``). The unique ``seq`` turns any fork that slipped
through into an error instead of a silent branch. ``manage.py verify_audit`` walks the
chain (:func:`verify_chain`) and ``manage.py anchor_audit`` signs checkpoints.

**Reads.** Every read of personal data by staff is an event too (PDPA): one row per
request, naming the objects shown (a list's ids and its filter, never one row per
item). Views declare it in one of three ways, all ending in :func:`record_read`:
:func:`audited_read` for function views, :class:`AuditedReadMixin` for REST views and
``core.admin.AuditedReadsAdmin`` for admin screens. A view that shows a list says
which objects with :func:`saw`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models, router, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from . import security_events
from .models import AuditEvent

#: ``prev_hash`` of the first row.
GENESIS = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises appends ("bizaudit" in ASCII).
CHAIN_LOCK = 0x62697A6175646974
#: A read's filter is what the person typed; keep a query string from bloating the log.
MAX_FILTER_KEYS = 20
MAX_FILTER_VALUE = 200
MAX_IDS = 500


def record(
    action: str,
    target: models.Model | tuple[str, str],
    *,
    actor: Any = None,
    actor_label: str = "",
    on_behalf_of: str = "",
    mandate: str = "",
    **data: Any,
) -> AuditEvent:
    """Append one event. ``target`` is a model instance or an ``(type, id)`` pair.

    ``on_behalf_of`` (a party key) and ``mandate`` (a mandate's public id) say for whom
    the actor acted, so that both the delegate and the represented party can list every
    act done under a mandate.
    """
    if isinstance(target, tuple):
        object_type, object_id = target
    else:
        object_type = target._meta.label_lower
        object_id = str(getattr(target, "public_id", None) or target.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        at=timezone.now(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor=user,
        actor_label=actor_label or (str(user) if user else "system"),
        on_behalf_of=on_behalf_of,
        mandate=mandate,
        # Stored as the database will give it back, so the hash verifies after a read.
        data=json.loads(json.dumps(data)),
    )
    using = router.db_for_write(AuditEvent)
    # No savepoint: a failed append must fail the change it records, not be skipped.
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(using)
        last = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event.hash = row_hash(event)
        event.save(force_insert=True, using=using)
    security_events.from_audit(action, object_id, event.actor_label, event.data, user is not None)
    return event


def record_many(
    action: str,
    entries: Iterable[tuple[models.Model, dict[str, Any]]],
    *,
    actor_label: str,
) -> list[AuditEvent]:
    """Append one event per ``(target, data)`` by the system, in one insert.

    For batch work (a day's expiries): the chain is locked and read once and the rows
    linked in order, exactly as the same number of :func:`record` calls would."""
    events = [
        AuditEvent(
            at=timezone.now(),
            action=action,
            object_type=target._meta.label_lower,
            object_id=str(getattr(target, "public_id", None) or target.pk),
            actor_label=actor_label,
            data=json.loads(json.dumps(data)),
        )
        for target, data in entries
    ]
    if not events:
        return []
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(using)
        last = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = last if last else (0, GENESIS)
        for event in events:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = row_hash(event)
        AuditEvent.objects.using(using).bulk_create(events)
    return events


def hold_chain() -> None:
    """Take the chain's lock now, at the start of a transaction that will lock rows and
    audit. Writers that audit first and lock rows later (a request handled while this
    one runs) would otherwise wait for a row this transaction holds while it waits for
    the chain: a deadlock. Chain first, then rows, in every such transaction."""
    lock_chain(router.db_for_write(AuditEvent))


def lock_chain(using: str) -> None:
    """Hold the chain's lock until this transaction ends (PostgreSQL); SQLite's write
    lock, taken at BEGIN IMMEDIATE, already serialises writers."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def _normalise(value: Any) -> Any:
    """Integral floats as integers: PostgreSQL's jsonb gives ``1e16`` back as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    return value


def canonical(event: AuditEvent) -> bytes:
    """The bytes a row's hash covers: every column but ``hash``, as sorted, compact
    UTF-8 JSON with the time in UTC to the microsecond."""
    at: datetime = event.at
    content = {
        "seq": event.seq,
        "id": str(event.id),
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": _normalise(event.data),
        "on_behalf_of": event.on_behalf_of,
        "mandate": event.mandate,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def history(target: models.Model) -> models.QuerySet[AuditEvent]:
    object_id = str(getattr(target, "public_id", None) or target.pk)
    return AuditEvent.objects.filter(
        object_type=target._meta.label_lower, object_id=object_id
    ).select_related("actor")


# --- Verifying the chain ------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold, in words an operator can act on."""

    seq: int
    kind: str  # "edited", "deleted", "inserted"
    detail: str


def verify_chain(
    *, start: tuple[int, str] = (0, GENESIS), batch: int = 2000
) -> tuple[int, Break | None]:
    """Walk every row in ``seq`` order; return how many were checked and the first break.

    * **edited**: a row's content no longer gives its stored hash;
    * **deleted**: ``seq`` jumps (rows missing), or the first row is not ``seq`` 1;
    * **inserted**: a row's ``prev_hash`` does not name the row before it (a row put
      in, or a row whose hash was recomputed after an edit).
    """
    checked = 0
    previous_seq, previous_hash = start
    for event in _in_order(previous_seq, batch):
        checked += 1
        if event.seq != previous_seq + 1:
            missing = f"{previous_seq + 1}" + (
                f"–{event.seq - 1}" if event.seq - 1 > previous_seq + 1 else ""
            )
            return checked, Break(
                event.seq, "deleted", f"row(s) {missing} missing before row {event.seq}"
            )
        if row_hash(event) != event.hash:
            return checked, Break(
                event.seq,
                "edited",
                f"row {event.seq} (id {event.id}, {event.action}) does not match its hash",
            )
        if event.prev_hash != previous_hash:
            return checked, Break(
                event.seq,
                "inserted",
                f"row {event.seq} (id {event.id}) does not link to row {previous_seq}: "
                f"a row was inserted here, or row {previous_seq} was edited and re-hashed",
            )
        previous_seq, previous_hash = event.seq, event.hash
    return checked, None


def _in_order(after: int, batch: int) -> Iterator[AuditEvent]:
    """Keyset pages by ``seq``: constant memory over millions of rows."""
    while True:
        page = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:batch])
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq


def chain_existing(events: Iterable[Any]) -> Iterator[tuple[Any, int, str, str]]:
    """``(event, seq, prev_hash, hash)`` for rows chained after the fact, in the given
    order (the data migration uses it with historical models)."""
    previous = GENESIS
    for seq, event in enumerate(events, start=1):
        event.seq, event.prev_hash = seq, previous
        event.hash = row_hash(event)
        previous = event.hash
        yield event, seq, event.prev_hash, event.hash


# --- Auditing reads -----------------------------------------------------------------


def is_staff_reader(user: Any) -> bool:
    """Staff accounts (back office, counter, executives, admins) and Django admin users."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "role", "") == "staff" or getattr(user, "is_staff", False))
    )


def _django_request(request: Any) -> HttpRequest:
    """The Django request under a REST framework one (which keeps attributes apart)."""
    return getattr(request, "_request", request)


def saw(request: Any, objects: Iterable[models.Model]) -> None:
    """Note the objects a view is about to show, for the request's read event."""
    seen: list[models.Model] = _django_request(request).__dict__.setdefault("_audit_seen", [])
    seen.extend(objects)


def record_read(
    request: Any,
    action: str,
    *,
    via: str,
    object_type: str = "",
    object_id: str = "",
    filters: Iterable[str] | None = (),
    **data: Any,
) -> AuditEvent | None:
    """One event for one request by staff that showed personal data; nothing for others.

    The objects are those noted with :func:`saw` (a list: their ids in ``data["ids"]``
    and the request's filter) or else ``object_type``/``object_id``. ``filters`` names
    the query parameters worth keeping (``None``: all of them, as the admin's are).
    """
    django_request = _django_request(request)
    user = django_request.user
    if not is_staff_reader(user):
        return None
    seen: list[models.Model] = django_request.__dict__.pop("_audit_seen", [])
    if seen:
        object_type = object_type or seen[0]._meta.label_lower
        ids = [str(getattr(o, "public_id", None) or o.pk) for o in seen][:MAX_IDS]
        data = {"ids": ids, "count": len(seen), **data}
        if len(seen) == 1 and not object_id:
            object_id = ids[0]
    elif not object_id:
        data = {"ids": [], "count": 0, **data}
    query = _filter_of(django_request, filters)
    if query:
        data["filter"] = query
    if object_id:
        # One record opened: what the rule on officers reading unusually many people's
        # records counts (lists are not "opening" a record).
        security_events.emit_on_commit(
            "record.opened",
            severity=1,
            outcome="success",
            actor=str(user.get_username()),
            target=f"{object_type}:{object_id}",
            via=via,
        )
    return record(action, (object_type, object_id), actor=user, via=via, **data)


def _filter_of(request: HttpRequest, names: Iterable[str] | None) -> dict[str, str]:
    keys = list(request.GET.keys()) if names is None else [n for n in names if n in request.GET]
    return {
        key[:MAX_FILTER_VALUE]: ",".join(request.GET.getlist(key))[:MAX_FILTER_VALUE]
        for key in keys[:MAX_FILTER_KEYS]
    }


def _shown(response: HttpResponseBase) -> bool:
    return 200 <= response.status_code < 300


def audited_read(
    action: str,
    object_type: str = "",
    *,
    id_kwarg: str = "public_id",
    filters: Iterable[str] = (),
) -> Callable[[Any], Any]:
    """Decorate a page that shows personal data: a successful GET by staff is recorded
    (after the view, so only what was actually shown; a failure to record fails the
    request, so nothing is shown unrecorded)."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD") and _shown(response):
                record_read(
                    request,
                    action,
                    via="page",
                    object_type=object_type,
                    object_id=str(kwargs.get(id_kwarg, "")),
                    filters=filters,
                )
            return response

        wrapper.audited_read = action  # type: ignore[attr-defined]
        return wrapper

    return decorate


class AuditedReadMixin:
    """REST views whose GET shows personal data: set ``audit_read_action`` (and the
    object type, the URL keyword of the object's id, the list's filter parameters)."""

    audit_read_action: str = ""
    audit_read_type: str = ""
    audit_read_id_kwarg: str = "public_id"
    audit_read_filters: tuple[str, ...] = ()

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method == "GET" and self.audit_read_action and _shown(response):
            record_read(
                request,
                self.audit_read_action,
                via="api",
                object_type=self.audit_read_type,
                object_id=str(kwargs.get(self.audit_read_id_kwarg, "")),
                filters=self.audit_read_filters,
            )
        return response
