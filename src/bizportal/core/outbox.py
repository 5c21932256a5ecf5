"""The outbox relay: delivers each pending message to its subscriber, once.

After a transaction that published events commits, a task drains the outbox
(:func:`deliver_pending`). Each message is delivered in its own transaction together
with the subscriber's writes, so "delivered" and the subscriber's effect commit
together. A failure is recorded on the message (attempts, last error) and retried
with exponential backoff by the next drain; :data:`MAX_ATTEMPTS` failures mark it
failed for an operator to look at (``manage.py outbox --retry-failed``).

The relay never trusts that the post-commit task was enqueued (a broker can lose it)
or finished (a worker can be killed): ``manage.py sweep`` run from cron delivers
whatever is still pending (:mod:`.sweeps`). Delivery is therefore at least once, and
every subscriber must be idempotent: a crash after the subscriber's effect but before
commit undoes both, and one after an effect outside the database (an e-mail sent)
repeats that effect.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import events, faults
from .models import OutboxMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_BACKOFF = dt.timedelta(seconds=15)


def deliver_pending(limit: int = 200) -> int:
    """Deliver up to ``limit`` due messages, oldest first; return how many succeeded."""
    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("created_at")
    delivered = 0
    for message_id in list(due.values_list("id", flat=True)[:limit]):
        if deliver_one(message_id):
            delivered += 1
    return delivered


def deliver_one(message_id: Any) -> bool:
    """Deliver one message if it is still pending; False if it failed or was taken."""
    with transaction.atomic():
        pending = OutboxMessage.objects.select_related("event").filter(
            id=message_id, status=OutboxMessage.Status.PENDING
        )
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        message = pending.first()
        if message is None:  # delivered meanwhile, or another worker holds it
            return False
        message.attempts += 1
        func = events.subscriber_named(message.event.name, message.subscriber)
        try:
            if func is None:
                raise LookupError(
                    f"no subscriber {message.subscriber!r} for event {message.event.name!r}"
                )
            with transaction.atomic():
                func(message.event)
        except Exception as error:
            log.exception(
                "outbox delivery failed: %s -> %s", message.event.name, message.subscriber
            )
            _record_failure(message, error)
            return False
        message.status = OutboxMessage.Status.DELIVERED
        message.delivered_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "status", "delivered_at", "last_error"])
        faults.point("outbox.before_commit")
    faults.point("outbox.after_commit")
    return True


def _record_failure(message: OutboxMessage, error: Exception) -> None:
    message.last_error = repr(error)[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.FAILED
    else:
        message.next_attempt_at = timezone.now() + BASE_BACKOFF * 2 ** (message.attempts - 1)
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def now() -> dt.datetime:
    return timezone.now()


def retry_failed() -> int:
    """Give failed messages a fresh set of attempts (after an operator fixed the cause)."""
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
