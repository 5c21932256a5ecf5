"""Transactional outbox.

``enqueue`` stores the message in the caller's transaction and, after commit, asks the
task worker to deliver. Handlers register per topic with :func:`handler`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)
Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}
MAX_ATTEMPTS = 8


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of ``topic``."""

    def register(func: Handler) -> Handler:
        _handlers[topic] = func
        return func

    return register


def enqueue(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage.objects.create(topic=topic, payload=payload)
    transaction.on_commit(_schedule_delivery)
    return message


def _schedule_delivery() -> None:
    from .tasks import deliver_outbox

    deliver_outbox.enqueue()


def deliver_pending(limit: int = 100) -> int:
    """Deliver up to ``limit`` pending messages; return how many were delivered."""
    delivered = 0
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).order_by(
        "created_at"
    )
    for message_id in list(pending.values_list("id", flat=True)[:limit]):
        if _deliver_one(message_id):
            delivered += 1
    return delivered


def _deliver_one(message_id: Any) -> bool:
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().filter(
            id=message_id, status=OutboxMessage.Status.PENDING
        )
        message = locked.first()
        if message is None:  # another worker got there first
            return False
        func = _handlers.get(message.topic)
        message.attempts += 1
        try:
            if func is None:
                raise LookupError(f"no outbox handler for topic {message.topic!r}")
            with transaction.atomic():
                func(message)
        except Exception as exc:
            log.exception("outbox delivery failed: %s", message.topic)
            message.last_error = repr(exc)[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            return False
        message.status = OutboxMessage.Status.DELIVERED
        message.delivered_at = timezone.now()
        message.save(update_fields=["attempts", "status", "delivered_at", "last_error"])
        return True
