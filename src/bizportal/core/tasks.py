"""Background tasks of the core: relaying the outbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task
from django_tasks.backends.dummy import DummyBackend
from django_tasks.backends.immediate import ImmediateBackend

from . import outbox


@task()
def deliver_outbox() -> int:
    """Drain due outbox messages; scheduled after every commit that published events."""
    return outbox.deliver_pending()


def schedule_delivery() -> None:
    deliver_outbox.enqueue()


def _stores_in_database(backend: Any) -> bool:
    # Imported here: django_tasks_db's models need the app registry ready.
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(backend, DatabaseBackend | ImmediateBackend | DummyBackend)


def enqueue_with_commit(task_: Any, *args: Any) -> None:
    """Enqueue ``task_`` so that it runs only if the caller's transaction commits.

    The database backend writes the task row in the caller's transaction: an outbox by
    construction (FIELD-NOTES 2), and a worker cannot see it before the data it needs.
    The immediate backend (tests) runs it at once, inside that transaction, as a
    synchronous call would. Other backends (RQ on Redis) are not transactional, so the
    task is handed over after the commit; a crash in between is what the sweeper is for.
    """
    if _stores_in_database(task_.get_backend()):
        task_.enqueue(*args)
    else:
        transaction.on_commit(lambda: task_.enqueue(*args))
