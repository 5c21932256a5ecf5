"""Benchmark: applications through payment to licence while the worker is SIGKILLed.

Run:  .venv/bin/python bench/bench_faults.py [--applications 500]   (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_faults.py                      (PostgreSQL)

Makes a throw-away database (SQLite in a temp folder, or ``bizportal_bench_faults`` on
the PostgreSQL server of DATABASE_URL, dropped at the end), submits N food-shop
applications and has an officer approve them (through the services), then starts the
real web server (``manage.py serve --no-worker``) and pays every invoice at the sandbox
bank. From there on everything runs in separate processes as in production: the task
worker (``manage.py db_worker``) sends the bank's signed webhook over HTTP, the server
settles the payment, the worker relays the outbox and issues the licence.

The worker is killed with SIGKILL and restarted once per ``--kills`` entry: each names a
fault point and the how-manieth time the worker reaches it (``bizportal.core.faults``;
by default mid-webhook after the portal settled, mid-licence-issue before commit,
mid-signing of the licence document before commit, and mid-delivery before commit).
After the last restart the worker runs clean until it is idle; then ``manage.py sweep``
runs (the real command, as cron would), and the worker finishes what the sweep re-queued.

Prints and writes to ``bench/results/bench_faults-<time>.json``: issued count, lost
(paid without a licence), duplicated (more than one licence, version or receipt per
application), licence numbers not gap-free, versions still without their signed PDF, and
the time taken. Exits non-zero unless every application is issued with 0 lost, 0
duplicated and 0 unsigned.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _server_url
from trust_services import trust_services

sys.path.insert(0, str(ROOT / "src"))
BENCH_DB = "bizportal_bench_faults"
DEFAULT_KILLS = (
    "sandbox.webhook_answered:120",
    "licence.signed:60",
    "licence.document_stored:30",
    "outbox.before_commit:400",
)


def _recreate_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def _drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _prepare(count: int) -> list[int]:
    """``count`` approved applications awaiting their fee; returns their invoice ids."""
    from bizportal.applications import services
    from bizportal.applications.models import Status
    from bizportal.catalog.models import Service
    from bizportal.identity.models import User
    from bizportal.identity.services import ensure_person_party
    from bizportal.payments.models import Invoice

    service = Service.objects.get(slug="food-shop-licence")
    service.documents.update(required=False)  # documents are not what is measured here
    officer = User.objects.get(username="officer.bma")
    applicant = User.objects.create(
        username="bench-faults",
        role="applicant",
        citizen_id="3101700123452",
        full_name_th="ผู้ทดสอบ ความทนทาน",
        identity_assurance="2.3",
        email="bench-faults@example.test",
    )
    ensure_person_party(applicant)
    answers = {
        "email": applicant.email,
        "phone": "0812345678",
        "business_address": "1 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร",
        "area_sqm": 120,
        "seats": 20,
        "manager_citizen_id": "3101700123452",
        "premises": "owned",
    }
    invoices = []
    for n in range(count):
        application = services.start_application(service, applicant)
        application = services.save_answers(
            application, {**answers, "business_name": f"ร้านทดสอบ {n}"}, actor=applicant
        )
        application = services.submit(application, actor=applicant, accept_terms=True)
        for _ in range(10):
            offered = services.actions_for(application, officer)
            if not offered:
                break
            application = services.decide(
                application, officer=officer, action="approve", step=offered[0].step.task_id
            )
        if application.status != Status.AWAITING_PAYMENT:
            raise SystemExit(f"application {n} is {application.status}, not awaiting payment")
        invoices.append(Invoice.objects.get(application=application).pk)
    return invoices


def _pay(invoice_ids: list[int]) -> None:
    """The payer pays each invoice at the sandbox bank; the bank queues its webhook."""
    from bizportal.payments import services as payments
    from bizportal.payments.contrib.sandbox import services as bank
    from bizportal.payments.models import Invoice

    for invoice in Invoice.objects.filter(pk__in=invoice_ids):
        bank.pay(payments.instruction(invoice).qr_payload)


def _wait_ok(url: str, what: str) -> None:
    for _ in range(150):
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start ({url})")


def _manage(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, **kwargs
    )


def _worker(env: dict[str, str], worker_id: str, fault: str = "") -> subprocess.Popen[bytes]:
    worker_env = {k: v for k, v in env.items() if k != "BIZPORTAL_FAULT_KILL_AT"}
    if fault:
        worker_env["BIZPORTAL_FAULT_KILL_AT"] = fault
    return _manage(
        "db_worker",
        "--no-startup-delay",
        "--interval",
        "0.1",
        "--worker-id",
        worker_id,
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _busy(worker_id: str) -> bool:
    """Tasks are queued, or the live worker is running one."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists():
        return True
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    return any(ids and ids[-1] == worker_id for ids in running.values_list("worker_ids", flat=True))


def _wait_idle(worker: subprocess.Popen[bytes], worker_id: str, timeout: float) -> bool:
    """Until the worker has nothing to do (True), dies (False), or the time is up."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            return False
        quiet = 0 if _busy(worker_id) else quiet + 1
        if quiet >= 3:
            return True
        time.sleep(0.5)
    raise SystemExit(f"worker {worker_id} still busy after {timeout:.0f} s")


def _state() -> dict[str, int]:
    """What the register and the ledgers say, per application."""
    from django.db.models import Count
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from bizportal.applications.models import Application, Status
    from bizportal.core.models import OutboxMessage
    from bizportal.licences.models import Licence, LicenceVersion
    from bizportal.payments.contrib.sandbox.models import BankTransaction
    from bizportal.payments.models import Invoice, Receipt

    paid = Invoice.objects.filter(status=Invoice.Status.PAID)
    references = set(paid.values_list("application__reference", flat=True))
    licensed = set(LicenceVersion.objects.values_list("application_reference", flat=True))
    versions_over = (
        LicenceVersion.objects.values("application_reference")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    linked = Application.objects.filter(licence__isnull=False).values("licence").distinct()
    receipts_over = (
        Receipt.objects.values("invoice").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    numbers = sorted(int(n[-6:]) for n in Licence.objects.values_list("number", flat=True))
    return {
        "paid": len(references),
        "issued": Application.objects.filter(status=Status.ISSUED).count(),
        "lost": len(references - licensed),
        "duplicated": versions_over + receipts_over + (Licence.objects.count() - linked.count()),
        "number_gaps": (numbers[-1] - len(numbers)) if numbers else 0,
        # Registered versions whose signed PDF was never stored (signing runs after commit).
        "unsigned": LicenceVersion.objects.filter(signed_at__isnull=True).count(),
        "tasks_running": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
        "tasks_failed": DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count(),
        "webhooks_pending": BankTransaction.objects.filter(
            webhook_status=BankTransaction.Webhook.PENDING
        ).count(),
        "outbox_undelivered": OutboxMessage.objects.exclude(
            status=OutboxMessage.Status.DELIVERED
        ).count(),
    }


def _sweep(env: dict[str, str], lease: float) -> dict[str, Any]:
    sweep = _manage(
        "sweep",
        "--lease",
        f"{lease:.1f}",
        "--grace",
        "0",
        "--json",
        env=env,
        stdout=subprocess.PIPE,
    )
    out, _ = sweep.communicate(timeout=600)
    if sweep.returncode != 0:
        raise SystemExit(f"manage.py sweep failed ({sweep.returncode})")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=500)
    parser.add_argument(
        "--kills",
        nargs="*",
        default=list(DEFAULT_KILLS),
        help="fault point[:N] per worker generation (each generation is SIGKILLed there)",
    )
    parser.add_argument("--port", type=int, default=8933)
    parser.add_argument(
        "--trust-port", type=int, default=8934, help="port of the sandbox TSA/OCSP/CRL"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per phase")
    parser.add_argument("--no-results", action="store_true", help="do not write the JSON")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bizportal-bench-faults-")
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        _recreate_database(url)
        database_url = _server_url(url, BENCH_DB)
    else:
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bizportal.settings",
        "DATABASE_URL": database_url,
        "BIZPORTAL_VAR_DIR": tmp,
        "BIZPORTAL_BASE_URL": base,
        # Licences are signed PAdES B-LT: the workers reach the sandbox trust services
        # (TSA, OCSP, CRL), which answer for the same development CA directory.
        "LICENCE_KEY_DIR": f"{tmp}/dev_ca",
        "LICENCE_TRUST_URL": f"http://127.0.0.1:{args.trust_port}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("BIZPORTAL_FAULT_KILL_AT", None)
    os.environ.update(env)
    os.environ.pop("BIZPORTAL_FAULT_KILL_AT", None)
    from bizportal.core import faults

    for fault in args.kills:
        faults.check(fault)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog

    processes: list[subprocess.Popen[bytes]] = []
    processes_stack: list[contextlib.ExitStack] = []
    try:
        call_command("migrate", verbosity=0)
        catalog.seed()
        staff.seed()
        started = time.perf_counter()
        invoices = _prepare(args.applications)
        print(
            f"prepared {len(invoices)} approved applications in "
            f"{time.perf_counter() - started:.1f} s ({'PostgreSQL' if postgres else 'SQLite'})"
        )
        connections.close_all()

        trust = contextlib.ExitStack()
        trust.enter_context(trust_services(env["LICENCE_KEY_DIR"], args.trust_port))
        processes_stack.append(trust)
        server = _manage(
            "serve",
            "--no-worker",
            "--port",
            str(args.port),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        _wait_ok(f"{base}/healthz", "the server")

        started = time.perf_counter()
        _pay(invoices)
        connections.close_all()
        kills = []
        last_kill = time.time()
        for generation, fault in enumerate(args.kills, start=1):
            worker_id = f"bench-{generation}"
            worker = _worker(env, worker_id, fault)
            processes.append(worker)
            if _wait_idle(worker, worker_id, args.timeout):
                worker.terminate()
                worker.wait(timeout=30)
                print(f"worker {generation}: {fault} never reached; stopped idle")
                kills.append({"fault": fault, "killed": False})
                continue
            last_kill = time.time()
            killed = worker.returncode == -signal.SIGKILL
            at = round(time.perf_counter() - started, 1)
            kills.append({"fault": fault, "killed": killed, "at_s": at})
            print(
                f"worker {generation}: {'SIGKILL' if killed else worker.returncode} at "
                f"{fault} after {at} s; restarting"
            )
        worker_id = "bench-clean"
        worker = _worker(env, worker_id)
        processes.append(worker)
        if not _wait_idle(worker, worker_id, args.timeout):
            raise SystemExit("the clean worker died")
        before = _state()
        print(f"before the sweep: {before}")
        swept = _sweep(env, lease=time.time() - last_kill)
        print(f"sweep: {swept}")
        if not _wait_idle(worker, worker_id, args.timeout):
            raise SystemExit("the clean worker died")
        again = _sweep(env, lease=time.time() - last_kill)
        _wait_idle(worker, worker_id, args.timeout)
        elapsed = time.perf_counter() - started
        after = _state()
        ok = (
            after["issued"] == len(invoices)
            and after["lost"] == 0
            and after["duplicated"] == 0
            and after["number_gaps"] == 0
            and after["unsigned"] == 0
            and after["tasks_running"] == 0
        )
        print(
            f"issued {after['issued']}/{len(invoices)}, lost {after['lost']}, "
            f"duplicated {after['duplicated']}, number gaps {after['number_gaps']}, "
            f"kills {sum(1 for k in kills if k['killed'])}, time {elapsed:.1f} s"
        )
        result = {
            "applications": len(invoices),
            "database": "postgresql" if postgres else "sqlite",
            "kills": kills,
            "before_sweep": before,
            "sweep": swept,
            "second_sweep": again,
            "after": after,
            "seconds": round(elapsed, 1),
            "ok": ok,
        }
        if not args.no_results:
            out = ROOT / "bench" / "results"
            out.mkdir(exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (out / f"bench_faults-{stamp}.json").write_text(json.dumps(result, indent=2))
        print("every application issued exactly once" if ok else "FAILED: see the figures above")
        return 0 if ok else 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        for stack in processes_stack:
            stack.close()
        connections.close_all()
        if postgres:
            _drop_database(url)


if __name__ == "__main__":
    raise SystemExit(main())
