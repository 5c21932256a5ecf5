"""The outbox delivers after commit, once, and keeps failures for retry."""

import pytest
from django.db import transaction

from bizportal.core import outbox
from bizportal.core.models import OutboxMessage

delivered: list[str] = []


@outbox.handler("test.echo")
def _echo(message: OutboxMessage) -> None:
    delivered.append(message.payload["text"])


@outbox.handler("test.broken")
def _broken(message: OutboxMessage) -> None:
    raise RuntimeError("provider down")


@pytest.mark.django_db(transaction=True)
def test_a_message_is_delivered_after_commit_exactly_once() -> None:
    delivered.clear()
    with transaction.atomic():
        outbox.enqueue("test.echo", {"text": "สวัสดี"})
        assert delivered == []  # nothing leaves before the change is committed
    assert delivered == ["สวัสดี"]
    assert outbox.deliver_pending() == 0
    assert delivered == ["สวัสดี"]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing() -> None:
    delivered.clear()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        outbox.enqueue("test.echo", {"text": "never"})
        1 / 0  # noqa: B018
    assert delivered == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_keeps_the_message_pending_with_the_error() -> None:
    with transaction.atomic():
        outbox.enqueue("test.broken", {})
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "provider down" in message.last_error
