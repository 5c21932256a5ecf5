"""Background tasks of the core: relaying the outbox."""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def deliver_outbox() -> int:
    """Drain due outbox messages; scheduled after every commit that published events."""
    return outbox.deliver_pending()


def schedule_delivery() -> None:
    deliver_outbox.enqueue()
