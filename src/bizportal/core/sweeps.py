"""The sweeper: after a crash, re-start whatever was in flight and whatever is due.

Why: a worker killed mid-task (OOM, deploy, power) leaves its database task result
``RUNNING`` for ever (``django_tasks_db`` has no heartbeat), and work that a lost task
was meant to start is never started. Every task and every outbox subscriber is
idempotent, so running something twice is safe; running it never is the failure. The
sweeper therefore errs on the side of "again":

1. **Abandoned tasks** (:func:`requeue_abandoned_tasks`): a database task ``RUNNING``
   for longer than ``BIZPORTAL_TASK_LEASE_SECONDS`` (10 minutes) is taken to belong
   to a dead worker and is set back to ``READY``, to be claimed again by any worker.
   A task that has been started ``BIZPORTAL_TASK_MAX_STARTS`` times (3) without
   finishing is killing its workers: it is marked ``FAILED`` (``TaskAbandoned``) for
   an operator instead of looping.
2. **Due work** (:func:`due_work`): each app registers a function that finds, from the
   state of its own rows, work that should be under way and is not (an application
   waiting for the system to issue its licence with no delivery pending; a bank
   notification never sent) and re-enqueues it. Apps register here so that the core
   needs to know none of them.
3. **The outbox**: due messages are delivered (:func:`bizportal.core.outbox.deliver_pending`),
   in the sweeping process itself, so licences are issued even while no worker runs.

``manage.py sweep`` runs all three; cron runs it every minute. Each step is a
conditional update or an idempotent enqueue, so overlapping sweeps are harmless.
With the RQ backend step 1 does nothing: RQ's own ``StartedJobRegistry`` clean-up
plays its part (see docs/operator-guide.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import audit, outbox

log = logging.getLogger(__name__)

DueWork = Callable[[dt.datetime], int]


class TaskAbandoned(Exception):
    """Recorded on a task that workers started too often without finishing it."""


@dataclass(frozen=True)
class Sweeper:
    name: str
    description: str
    func: DueWork


_sweepers: dict[str, Sweeper] = {}


def due_work(name: str, description: str) -> Callable[[DueWork], DueWork]:
    """Register ``func(older_than) -> count``: re-enqueue work due since before
    ``older_than`` that nothing is doing; return how many it re-enqueued."""

    def register(func: DueWork) -> DueWork:
        known = _sweepers.get(name)
        if known is not None and known.func is not func:
            raise ValueError(f"sweeper {name!r} is already registered")
        _sweepers[name] = Sweeper(name, description, func)
        return func

    return register


def sweepers() -> list[Sweeper]:
    return sorted(_sweepers.values(), key=lambda sweeper: sweeper.name)


def lease_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BIZPORTAL_TASK_LEASE_SECONDS)


def sweep_grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.BIZPORTAL_SWEEP_GRACE_SECONDS)


def _database_backends() -> list[str]:
    """Aliases of the configured task backends that keep their queue in our database."""
    if not apps.is_installed("django_tasks_db"):
        return []
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return [alias for alias in settings.TASKS if isinstance(task_backends[alias], DatabaseBackend)]


@dataclass
class TaskRecovery:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def requeue_abandoned_tasks(
    *, lease: dt.timedelta | None = None, max_starts: int | None = None
) -> TaskRecovery:
    """Set database tasks RUNNING past their lease back to READY (or FAILED after
    ``max_starts`` starts). Each row changes only if it is still the RUNNING attempt
    that was judged abandoned, so a worker finishing at that moment wins."""
    recovery = TaskRecovery()
    backends = _database_backends()
    if not backends:
        return recovery
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    lease = lease if lease is not None else lease_timeout()
    max_starts = max_starts or settings.BIZPORTAL_TASK_MAX_STARTS
    cutoff = timezone.now() - lease
    stuck = DBTaskResult.objects.filter(
        backend_name__in=backends, status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "task_path", "worker_ids", "started_at")
    for result in stuck:
        starts = len(result.worker_ids or [])
        give_up = starts >= max_starts
        with transaction.atomic():
            this_attempt = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
            )
            if give_up:
                changed = this_attempt.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=timezone.now(),
                    exception_class_path=f"{__name__}.TaskAbandoned",
                    traceback=(
                        f"TaskAbandoned: started {starts} times (workers {result.worker_ids}) "
                        f"and never finished within the lease of {lease}; the worker was "
                        "killed or lost each time. See docs/operator-guide.md, "
                        "'Crash recovery'."
                    ),
                )
            else:
                changed = this_attempt.update(status=TaskResultStatus.READY)
            if not changed:
                continue
            audit.record(
                "task.abandoned" if give_up else "task.requeued",
                ("django_tasks_db.dbtaskresult", str(result.pk)),
                actor_label="Biz Portal sweeper",
                task=result.task_path,
                starts=starts,
                workers=list(result.worker_ids or []),
                running_since=result.started_at.isoformat() if result.started_at else "",
            )
        (recovery.failed if give_up else recovery.requeued).append(str(result.pk))
        log.warning(
            "task %s (%s) %s after %d start(s)",
            result.pk,
            result.task_path,
            "given up" if give_up else "re-queued",
            starts,
        )
    return recovery


@dataclass
class SweepReport:
    tasks: TaskRecovery
    due: dict[str, int]
    delivered: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "tasks_requeued": len(self.tasks.requeued),
            "tasks_failed": len(self.tasks.failed),
            "due": dict(self.due),
            "outbox_delivered": self.delivered,
        }


def sweep(
    *,
    lease: dt.timedelta | None = None,
    grace: dt.timedelta | None = None,
    deliver: bool = True,
    limit: int = 1000,
) -> SweepReport:
    """Recover abandoned tasks, re-enqueue due work, then deliver the due outbox.

    A sweeper that raises is logged and skipped: one app's fault must not stop the
    others' recovery.
    """
    tasks = requeue_abandoned_tasks(lease=lease)
    older_than = timezone.now() - (grace if grace is not None else sweep_grace())
    due: dict[str, int] = {}
    for sweeper in sweepers():
        try:
            due[sweeper.name] = sweeper.func(older_than)
        except Exception:
            log.exception("sweeper %s failed", sweeper.name)
            due[sweeper.name] = -1
    delivered = 0
    while deliver and delivered < limit:  # deliveries publish events of their own
        batch = outbox.deliver_pending(limit=limit - delivered)
        if not batch:
            break
        delivered += batch
    return SweepReport(tasks=tasks, due=due, delivered=delivered)
