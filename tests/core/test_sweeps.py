"""The sweeper: tasks abandoned by a dead worker run again (or are given up on), work the
state says is due is started again, and a second sweep finds nothing left to do."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from bizportal.applications.models import Application, Status
from bizportal.core import sweeps
from bizportal.core.models import AuditEvent, OutboxMessage
from bizportal.core.tasks import deliver_outbox
from bizportal.licences.models import Licence
from tests import journeys

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings: Settings) -> None:
    settings.TASKS = DATABASE_TASKS


def _claimed(worker: str, *, minutes_ago: float, starts: int = 1) -> DBTaskResult:
    """A deliver_outbox task a worker claimed ``minutes_ago`` and never finished."""
    result = DBTaskResult.objects.get(id=deliver_outbox.enqueue().id)
    for n in range(starts):
        result.claim(f"{worker}-{n}")
    DBTaskResult.objects.filter(pk=result.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return DBTaskResult.objects.get(pk=result.pk)


def test_a_task_running_past_its_lease_is_ready_again_and_audited(
    db: None, database_tasks: None, settings: Settings
) -> None:
    settings.BIZPORTAL_TASK_LEASE_SECONDS = 600
    abandoned = _claimed("dead", minutes_ago=11)
    busy = _claimed("alive", minutes_ago=2)

    recovery = sweeps.requeue_abandoned_tasks()

    assert recovery.requeued == [str(abandoned.pk)] and recovery.failed == []
    assert DBTaskResult.objects.get(pk=abandoned.pk).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=busy.pk).status == TaskResultStatus.RUNNING
    audit = AuditEvent.objects.get(action="task.requeued")
    assert audit.object_id == str(abandoned.pk)
    assert audit.data["task"] == "bizportal.core.tasks.deliver_outbox"
    # Claimed again, it runs (the worker's own claim): and a second sweep leaves it be.
    assert DBTaskResult.objects.ready().filter(pk=abandoned.pk).exists()
    assert sweeps.requeue_abandoned_tasks().requeued == []


def test_a_task_that_killed_its_workers_too_often_is_given_up_for_an_operator(
    db: None, database_tasks: None, settings: Settings
) -> None:
    settings.BIZPORTAL_TASK_MAX_STARTS = 3
    poison = _claimed("dead", minutes_ago=30, starts=3)

    recovery = sweeps.requeue_abandoned_tasks()

    assert recovery.failed == [str(poison.pk)]
    result = DBTaskResult.objects.get(pk=poison.pk)
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "bizportal.core.sweeps.TaskAbandoned"
    assert "started 3 times" in result.traceback and result.finished_at is not None
    assert AuditEvent.objects.filter(action="task.abandoned", object_id=str(poison.pk)).exists()


def test_a_worker_finishing_as_the_sweep_judges_it_keeps_its_result(
    db: None, database_tasks: None
) -> None:
    """The sweep changes a row only if it is still the attempt it judged abandoned."""
    late = _claimed("slow", minutes_ago=20)
    late.set_successful(0)  # the worker finished after the sweep read the row

    stale = DBTaskResult.objects.filter(pk=late.pk, status=TaskResultStatus.RUNNING)
    assert not stale.exists()
    assert sweeps.requeue_abandoned_tasks().requeued == []
    assert DBTaskResult.objects.get(pk=late.pk).status == TaskResultStatus.SUCCESSFUL


def test_with_a_backend_outside_the_database_there_is_no_task_row_to_recover(
    db: None,
) -> None:
    # The tests run tasks immediately (ImmediateBackend): nothing to look at.
    assert sweeps.requeue_abandoned_tasks().requeued == []


@pytest.mark.django_db(transaction=True)
def test_an_application_waiting_for_its_licence_with_nothing_pending_is_issued_by_the_sweep(
    settings: Settings,
) -> None:
    application = journeys.approve_everything(journeys.submitted())
    settings.TASKS = DATABASE_TASKS  # from here on no worker runs: tasks only queue
    application = journeys.pay(application)
    assert application.status == Status.ISSUING
    # The announcement of the issue step is lost (as if its delivery had been marked
    # done by a faulty release): the application waits with nothing to move it.
    OutboxMessage.objects.filter(subscriber="applications.perform_system_steps").delete()

    # Too recent for the grace: left alone.
    assert sweeps.sweep(grace=dt.timedelta(minutes=5)).due["applications.system_steps"] == 0
    report = sweeps.sweep(grace=dt.timedelta(0))

    assert report.due["applications.system_steps"] == 1
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert Licence.objects.count() == 1
    assert AuditEvent.objects.filter(action="application.system_step_resumed").count() == 1
    # Nothing is due any more: a second sweep changes nothing.
    again = sweeps.sweep(grace=dt.timedelta(0))
    assert again.due["applications.system_steps"] == 0 and again.delivered == 0
    assert Licence.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_issue_is_left_to_the_operator_not_announced_every_minute(
    settings: Settings,
) -> None:
    application = journeys.approve_everything(journeys.submitted())
    settings.TASKS = DATABASE_TASKS
    application = journeys.pay(application)
    message = OutboxMessage.objects.get(subscriber="applications.perform_system_steps")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED)

    report = sweeps.sweep(grace=dt.timedelta(0))

    assert report.due["applications.system_steps"] == 0
    assert Application.objects.get(pk=application.pk).status == Status.ISSUING
    assert not Licence.objects.exists()


def test_the_sweep_command_reports_what_it_did(db: None) -> None:
    out = StringIO()
    call_command("sweep", "--json", "--grace", "0", stdout=out)
    report = json.loads(out.getvalue())
    assert report["tasks_requeued"] == 0
    assert set(report["due"]) >= {"applications.system_steps", "sandbox_bank.webhooks"}
    text = StringIO()
    call_command("sweep", stdout=text)
    assert "tasks re-queued 0" in text.getvalue()


def test_the_sweep_command_refuses_a_negative_or_non_numeric_lease(db: None) -> None:
    with pytest.raises(CommandError, match="zero or more"):
        call_command("sweep", "--lease", "-5")
    with pytest.raises(CommandError, match="not a number"):
        call_command("sweep", "--grace", "ten")


def test_a_sweeper_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):
        sweeps.due_work("applications.system_steps", "again")(lambda older_than: 0)
