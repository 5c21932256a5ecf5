"""Kill a real worker at each task, at the worst moment, and show that the sweeper
brings every application to its licence exactly once.

Each test runs ``manage.py db_worker`` as a separate process against the test database
(a file on SQLite, the test database on PostgreSQL), with ``BIZPORTAL_FAULT_KILL_AT``
naming the point where that worker SIGKILLs itself (see ``bizportal.core.faults``).
Then a fresh worker is started, the sweeper runs, and the state is checked: one
licence per application, numbered without a gap, one receipt per payment, every
outbox message delivered, no task left RUNNING.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings

from bizportal.applications.models import Application, Status
from bizportal.core import sweeps
from bizportal.core.models import OutboxMessage, Sequence
from bizportal.core.tasks import deliver_outbox
from bizportal.licences.models import Licence, LicenceVersion
from bizportal.payments import services as payments
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.contrib.sandbox.models import BankTransaction
from bizportal.payments.models import Invoice, PaymentEvent, Receipt
from tests import journeys

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("crash")]


def _database_url() -> str:
    """The test database, as the worker process must be told it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{user}{password}@{host}/{db['NAME']}"


def _worker(fault: str = "", *, batch: bool, base_url: str = "") -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bizportal.settings",
        "DATABASE_URL": _database_url(),
        "BIZPORTAL_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "LICENCE_KEY_DIR": str(django_settings.LICENCE_KEY_DIR),
        # the session's sandbox TSA/OCSP (tests/conftest.py), which licence signing asks
        "LICENCE_TRUST_URL": django_settings.LICENCE_TRUST_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("BIZPORTAL_FAULT_KILL_AT", None)
    if fault:
        env["BIZPORTAL_FAULT_KILL_AT"] = fault
    if base_url:
        env["BIZPORTAL_BASE_URL"] = base_url
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-startup-delay"]
    command += ["--batch", "--interval", "0"] if batch else ["--interval", "0.1"]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _killed(worker: subprocess.Popen[bytes]) -> None:
    """The faulty worker must die by SIGKILL at its fault point, not finish."""
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == -signal.SIGKILL, output.decode(errors="replace")[-3000:]


@pytest.fixture
def live_worker() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Workers started by a test, stopped (SIGTERM, then SIGKILL) at its end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _wait_until_quiet(applications: list[Application], timeout: float = 90) -> None:
    """Until every application is issued and no task is queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = DBTaskResult.objects.filter(
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
        ).exists()
        waiting = Application.objects.filter(
            pk__in=[a.pk for a in applications], status=Status.ISSUING
        ).exists()
        if not busy and not waiting:
            return
        time.sleep(0.2)
    raise AssertionError("the restarted worker and the sweeper did not finish in time")


def _assert_reached_once(applications: list[Application]) -> None:
    for application in applications:
        application.refresh_from_db()
        assert application.status == Status.ISSUED, application.status
        assert (
            LicenceVersion.objects.filter(application_reference=application.reference).count() == 1
        )
        invoice = Invoice.objects.get(application=application)
        assert invoice.status == Invoice.Status.PAID
        assert Receipt.objects.filter(invoice=invoice).count() == 1
    licences = Licence.objects.order_by("number")
    assert licences.count() == len(applications)
    # Gap-free: the crashed attempt gave its number back.
    assert [n.number[-6:] for n in licences] == [
        f"{i:06d}" for i in range(1, len(applications) + 1)
    ]
    prefix = licences[0].service.licence_prefix
    assert Sequence.objects.get(prefix=prefix).last == len(applications)
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED).exists()
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()


def _paid(count: int, settings: Settings) -> list[Application]:
    """``count`` approved applications, then paid while no worker runs: the payment
    commits, and the licence issue waits in the queue (database tasks)."""
    approved = [journeys.approve_everything(journeys.submitted()) for _ in range(count)]
    settings.TASKS = DATABASE_TASKS
    return [journeys.pay(application) for application in approved]


RELAY_TASK_PATH = "bizportal.core.tasks.deliver_outbox"


def _only_one_relay_task_queued() -> DBTaskResult:
    """Drop the queued relay tasks but one, so the test shows that the sweeper, and
    nothing else left in the queue, recovers the killed one."""
    DBTaskResult.objects.all().delete()
    return DBTaskResult.objects.get(id=deliver_outbox.enqueue().id)


@pytest.mark.parametrize(
    "fault",
    [
        "licence.signed",  # numbered, signed, stored; not committed
        "outbox.before_commit",  # the first subscriber's writes done; not committed
        "outbox.after_commit",  # one delivery committed; the relay task still RUNNING
    ],
)
def test_a_worker_killed_in_the_relay_task_is_recovered_by_the_sweeper_exactly_once(
    fault: str, settings: Settings, live_worker: list[subprocess.Popen[bytes]]
) -> None:
    applications = _paid(2, settings)
    assert {a.status for a in applications} == {Status.ISSUING}
    task = _only_one_relay_task_queued()

    _killed(_worker(fault, batch=True))
    killed_at = timezone.now()

    # What the crash left: the task RUNNING for ever, nothing issued, no number used.
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
    # (Notification sends queued by deliveries that committed before the kill may wait;
    # no other relay task does, so only the sweeper can recover the killed one.)
    relays = DBTaskResult.objects.filter(task_path=RELAY_TASK_PATH)
    assert not relays.filter(status=TaskResultStatus.READY).exists()
    if fault != "outbox.after_commit":  # that one may have committed a first delivery
        assert not Licence.objects.exists()
        prefix = applications[0].service.licence_prefix
        assert not Sequence.objects.filter(prefix=prefix, last__gt=0).exists()

    live_worker.append(_worker(batch=False))
    # The sweeper, as cron would run it once the lease has passed (the lease is the
    # time since the kill here, so the fresh worker's own tasks are left alone).
    report = sweeps.sweep(lease=timezone.now() - killed_at, grace=dt.timedelta(0), deliver=False)
    assert report.tasks.requeued == [str(task.pk)]
    _wait_until_quiet(applications)

    _assert_reached_once(applications)
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert len(task.worker_ids) == 2  # the killed worker, then the fresh one
    # A further sweep (cron a minute later) finds nothing to do and changes nothing.
    again = sweeps.sweep(grace=dt.timedelta(0))
    assert again.as_dict() == {
        "tasks_requeued": 0,
        "tasks_failed": 0,
        "due": dict.fromkeys(again.due, 0),
        "outbox_delivered": 0,
    }
    _assert_reached_once(applications)


def test_a_bank_worker_killed_after_the_portal_settled_is_resent_once_and_settled_once(
    live_server: Any, settings: Settings, live_worker: list[subprocess.Popen[bytes]]
) -> None:
    """The bank's task delivered the payment notice, the portal settled it and queued
    the licence, and the bank's worker died before recording the answer."""
    settings.BASE_URL = live_server.url
    application = journeys.approve_everything(journeys.submitted())
    settings.TASKS = DATABASE_TASKS
    invoice = Invoice.objects.get(application=application)
    txn = bank.pay(payments.instruction(invoice).qr_payload)
    assert DBTaskResult.objects.filter(task_path__endswith="send_webhook").count() == 1

    _killed(_worker("sandbox.webhook_answered", batch=True, base_url=live_server.url))

    txn.refresh_from_db()
    assert txn.webhook_status == BankTransaction.Webhook.PENDING  # the bank never heard
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID  # the portal settled it

    live_worker.append(_worker(batch=False, base_url=live_server.url))
    report = sweeps.sweep(lease=dt.timedelta(0), grace=dt.timedelta(0))
    assert report.due["sandbox_bank.webhooks"] == 1
    _wait_until_quiet([application])

    _assert_reached_once([application])
    txn.refresh_from_db()
    assert txn.webhook_status == BankTransaction.Webhook.DELIVERED
    outcomes = sorted(
        PaymentEvent.objects.filter(provider_txn_id=txn.txn_id).values_list("outcome", flat=True)
    )
    # Settled once; the resend (and the re-queued task, if it ran first) heard
    # "already processed".
    assert outcomes.count("accepted") == 1 and set(outcomes) == {"accepted", "duplicate"}
