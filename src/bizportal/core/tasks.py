"""Background tasks of the core: delivering the outbox."""

from __future__ import annotations

from django_tasks import task

from . import outbox


@task()
def deliver_outbox() -> int:
    return outbox.deliver_pending()
