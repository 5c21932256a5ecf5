"""Domain events: each app announces what happened; other apps subscribe.

Why: an app low in the tree (applications) must not call apps above it (notifications,
service levels, integrations) to tell them something happened; that is how import
circles grow. Instead it *publishes* a small event in its own transaction, and every
subscriber gets its own outbox message, delivered after commit by a task
(:mod:`.outbox`). A rolled-back change publishes nothing; a subscriber that fails is
retried without repeating the others.

Each app declares its events once, in its ``events.py``::

    STATUS_CHANGED = events.declare(
        "applications.status_changed",
        "The status people see changed.",
        payload=("reference", "from_status", "to_status", "agency", "service"),
        filters=("agency", "service"),
    )

publishes them from ``services.py``::

    events.publish(STATUS_CHANGED, application, {...}, actor=officer)

and apps above subscribe, in a module their ``AppConfig.ready()`` imports::

    @events.subscriber(STATUS_CHANGED, name="notifications.status_email")
    def send_status_email(event: DomainEvent) -> None: ...

Subscriber names are stable identifiers stored on each outbox message; renaming one
orphans its pending messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from .models import DomainEvent, OutboxMessage

Subscriber = Callable[[DomainEvent], None]


@dataclass(frozen=True)
class EventType:
    """An event an app may publish: its name, what it means, and its payload keys."""

    name: str
    description: str
    payload: tuple[str, ...]
    filters: tuple[str, ...] = ()


class EventError(Exception):
    """A programming error: an undeclared event, a wrong payload, a duplicate name."""


_types: dict[str, EventType] = {}
_subscribers: dict[str, dict[str, Subscriber]] = {}
_on_publish: list[Callable[[], None]] = []


def declare(
    name: str, description: str, *, payload: tuple[str, ...], filters: tuple[str, ...] = ()
) -> EventType:
    """Declare an event once; declaring the same name differently is an error."""
    event_type = EventType(name, description, tuple(payload), tuple(filters))
    known = _types.get(name)
    if known is not None and known != event_type:
        raise EventError(f"event {name!r} is already declared differently")
    if not set(filters) <= set(payload):
        raise EventError(f"event {name!r}: filters must be payload keys")
    _types[name] = event_type
    return event_type


def declared() -> Iterator[EventType]:
    """Every declared event, by name (for generated documentation)."""
    return iter(sorted(_types.values(), key=lambda event_type: event_type.name))


def subscriber(event_type: EventType, *, name: str) -> Callable[[Subscriber], Subscriber]:
    """Register ``func`` to receive every ``event_type`` published from now on."""

    def register(func: Subscriber) -> Subscriber:
        for_event = _subscribers.setdefault(event_type.name, {})
        if for_event.get(name, func) is not func:
            raise EventError(f"subscriber {name!r} is already registered for {event_type.name}")
        for_event[name] = func
        return func

    return register


def subscribers_of(event_name: str) -> Mapping[str, Subscriber]:
    return dict(_subscribers.get(event_name, {}))


def subscriber_named(event_name: str, name: str) -> Subscriber | None:
    return _subscribers.get(event_name, {}).get(name)


def on_publish(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the commit of any transaction that published an event.

    The outbox relay uses it to schedule delivery; kept as a hook so this module does
    not need to know how delivery is scheduled.
    """
    _on_publish.append(callback)


def publish(
    event_type: EventType,
    subject: models.Model | tuple[str, str],
    payload: Mapping[str, Any],
    *,
    actor: Any = None,
    actor_label: str = "",
) -> DomainEvent:
    """Record ``event_type`` about ``subject`` and one outbox message per subscriber.

    Must run inside the transaction of the change it announces.
    """
    _check_payload(event_type, payload)
    subject_type, subject_id = _subject(subject)
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = DomainEvent.objects.create(
        name=event_type.name,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=dict(payload),
        actor=user,
        actor_label=actor_label or (str(user) if user else "system"),
    )
    names = sorted(_subscribers.get(event_type.name, {}))
    if names:
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(event=event, subscriber=name) for name in names]
        )
        for callback in _on_publish:
            transaction.on_commit(callback)
    return event


def publish_many(
    event_type: EventType,
    items: Sequence[tuple[models.Model, Mapping[str, Any]]],
    *,
    actor_label: str,
) -> list[DomainEvent]:
    """:func:`publish` for batch work done by the system: one insert for the events and
    one for their outbox messages, whatever the number of subjects."""
    for _subject_of, payload in items:
        _check_payload(event_type, payload)
    rows = []
    for subject, payload in items:
        subject_type, subject_id = _subject(subject)
        rows.append(
            DomainEvent(
                name=event_type.name,
                subject_type=subject_type,
                subject_id=subject_id,
                payload=dict(payload),
                actor_label=actor_label,
            )
        )
    created = DomainEvent.objects.bulk_create(rows)
    names = sorted(_subscribers.get(event_type.name, {}))
    if names and created:
        OutboxMessage.objects.bulk_create(
            [OutboxMessage(event=event, subscriber=name) for event in created for name in names]
        )
        for callback in _on_publish:
            transaction.on_commit(callback)
    return created


def _check_payload(event_type: EventType, payload: Mapping[str, Any]) -> None:
    if _types.get(event_type.name) != event_type:
        raise EventError(f"event {event_type.name!r} is not declared")
    missing = set(event_type.payload) - set(payload)
    extra = set(payload) - set(event_type.payload)
    if missing or extra:
        raise EventError(
            f"event {event_type.name}: payload missing {sorted(missing)}, "
            f"unexpected {sorted(extra)}"
        )


def _subject(subject: models.Model | tuple[str, str]) -> tuple[str, str]:
    if isinstance(subject, tuple):
        return subject
    return subject._meta.label_lower, str(getattr(subject, "public_id", None) or subject.pk)
