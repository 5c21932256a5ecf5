"""Domain events reach every subscriber after commit, once each; failures are retried."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from bizportal.core import events, outbox
from bizportal.core.models import DomainEvent, OutboxMessage

ECHOED = events.declare(
    "tests.echoed", "A test event two subscribers hear.", payload=("text",), filters=("text",)
)
BROKEN = events.declare("tests.broken", "A test event whose subscriber fails.", payload=())
UNHEARD = events.declare("tests.unheard", "A test event nobody subscribes to.", payload=())

heard: list[tuple[str, str]] = []


@events.subscriber(ECHOED, name="tests.first")
def _first(event: DomainEvent) -> None:
    heard.append(("first", event.payload["text"]))


@events.subscriber(ECHOED, name="tests.second")
def _second(event: DomainEvent) -> None:
    heard.append(("second", event.payload["text"]))


@events.subscriber(BROKEN, name="tests.broken_subscriber")
def _broken(event: DomainEvent) -> None:
    raise RuntimeError("provider down")


SUBJECT = ("tests.thing", "42")


@pytest.fixture(autouse=True)
def _clear() -> None:
    heard.clear()


@pytest.mark.django_db(transaction=True)
def test_each_subscriber_hears_an_event_once_after_commit() -> None:
    with transaction.atomic():
        events.publish(ECHOED, SUBJECT, {"text": "สวัสดี"})
        assert heard == []  # nothing leaves before the change is committed
    assert sorted(heard) == [("first", "สวัสดี"), ("second", "สวัสดี")]
    assert outbox.deliver_pending() == 0
    assert len(heard) == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    event = DomainEvent.objects.get()
    assert (event.subject_type, event.subject_id) == SUBJECT


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_announces_nothing() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.publish(ECHOED, SUBJECT, {"text": "never"})
        1 / 0  # noqa: B018
    assert heard == []
    assert not DomainEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_keeps_its_message_pending_with_the_error_and_a_backoff() -> None:
    with transaction.atomic():
        events.publish(BROKEN, SUBJECT, {})
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "provider down" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert outbox.deliver_pending() == 0  # not due yet: nothing is retried in a tight loop
    assert OutboxMessage.objects.get().attempts == 1


@pytest.mark.django_db
def test_a_subscriber_that_fails_every_time_ends_failed_and_can_be_rearmed() -> None:
    events.publish(BROKEN, SUBJECT, {})
    message = OutboxMessage.objects.get()
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
        )
        outbox.deliver_pending()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == outbox.MAX_ATTEMPTS
    assert outbox.retry_failed() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)


@pytest.mark.django_db
def test_an_event_without_subscribers_is_still_recorded_for_the_timeline() -> None:
    events.publish(UNHEARD, SUBJECT, {})
    assert DomainEvent.objects.filter(name="tests.unheard").exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_payload_must_match_the_declaration() -> None:
    with pytest.raises(events.EventError, match="missing"):
        events.publish(ECHOED, SUBJECT, {})
    with pytest.raises(events.EventError, match="unexpected"):
        events.publish(ECHOED, SUBJECT, {"text": "x", "secret": "y"})
    assert not DomainEvent.objects.exists()


def test_an_event_cannot_be_declared_twice_differently() -> None:
    with pytest.raises(events.EventError):
        events.declare("tests.echoed", "something else", payload=("other",))
    assert (
        events.declare(
            ECHOED.name, ECHOED.description, payload=ECHOED.payload, filters=ECHOED.filters
        )
        == ECHOED
    )
