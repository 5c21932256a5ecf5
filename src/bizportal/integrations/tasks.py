"""Background tasks: one forwarding's delivery, scheduled after the commit that opened it
(or replayed it). The sweeper sends whatever is due besides (see :mod:`.sweepers`)."""

from __future__ import annotations

from django_tasks import task

from . import forwarding


@task()
def deliver_forwarding(forwarding_pk: int) -> bool:
    return forwarding.deliver(forwarding_pk)
