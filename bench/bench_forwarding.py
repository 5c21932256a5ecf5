"""Benchmark: applications forwarded online to an agency system that goes down mid-run.

Run:  .venv/bin/python bench/bench_forwarding.py [--applications 1000] [--down-after 300]
          [--down-seconds 8] [--threads 4]                               (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_forwarding.py                      (PostgreSQL)

Makes a throw-away database (SQLite in a temp folder, or ``bizportal_bench_forwarding``
on the PostgreSQL server of DATABASE_URL, dropped at the end), loads the demo data,
registers an agency system for the BMA, switches the demo food-shop service to the
``agency_system_licence`` process (the agency decides in its own system) and publishes
an online integration whose endpoint is the sandbox agency. N applications are
submitted through the services; each submission opens a pending forwarding.

Then, as in production, in separate processes: the portal's web side (``manage.py
serve --no-worker``: the JWKS, the OAuth2 token endpoint and the agency API) and the
sandbox agency (``python -m bizportal.sandbox_agency``, its own SQLite file), which
verifies each forwarding's signature, stores it once per Idempotency-Key, decides it
after ``--delay`` and calls the portal back (acknowledge, then approve).

This process is the delivery worker: a dispatcher reads the due forwardings (the query
of ``forwarding.deliver_due``) and ``--threads`` threads each call
``forwarding.deliver(pk)`` (what the ``deliver_forwarding`` task does), each with its own
database connection. After ``--down-after`` deliveries the sandbox agency is SIGKILLed;
attempts fail (no connection) and back off; after ``--down-seconds`` it is started again
on the same port and the same database file, and delivery goes on until nothing is
pending. Then the bench waits until every application has left WAITING.

Delivery settings (environment, read by settings.py): FORWARDING_BACKOFF_SECONDS=1
(first retry after 0.5–1 s, doubling with full jitter), FORWARDING_TIMEOUT_SECONDS=3,
FORWARDING_MAX_ATTEMPTS=30: an outage of a few seconds costs each waiting forwarding
four or five attempts, far from dead-lettering; the defaults (15 s, 10 s, 8) would
survive it too but stretch the run to minutes of waiting on backoff.

Prints and writes ``bench/results/bench_forwarding-<time>.json``: forwarded, received
by the agency (unique forwarding ids), transport repeats, decided, lost, applied twice,
dead-lettered, attempts (by outcome, and failed during the outage), throughput while the
agency was up (before the kill, after the restart) and the time until every status came
back. Exits non-zero unless received == decided == N, 0 lost, 0 applied twice, 0 dead.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _server_url

sys.path.insert(0, str(ROOT / "src"))
BENCH_DB = "bizportal_bench_forwarding"
SERVICE_SLUG = "food-shop-licence"
SYSTEM_CODE = "bma-bench-licensing"
DELIVERY_ENV = {
    "FORWARDING_BACKOFF_SECONDS": "1",
    "FORWARDING_TIMEOUT_SECONDS": "3",
    "FORWARDING_MAX_ATTEMPTS": "30",
}


def _recreate_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def _drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


# --- preparation (not measured) -------------------------------------------------------


def _integrate(endpoint: str) -> tuple[str, str]:
    """The food-shop service decided by the BMA's own system; returns its OAuth2 client
    id and secret."""
    from bizportal.catalog.models import Service
    from bizportal.exchange.services import register_agency_system
    from bizportal.integrations.models import Mode
    from bizportal.integrations.services import publish_integration

    service = Service.objects.get(slug=SERVICE_SLUG)
    service.process_id = "agency_system_licence"
    service.save(update_fields=["process_id"])
    service.documents.update(required=False)  # documents are not what is measured here
    system, secret = register_agency_system(
        code=SYSTEM_CODE,
        agency=service.agency,
        name_th="ระบบอนุญาตของ กทม. (bench)",
        scopes=["integrations:read", "integrations:decide", "integrations:batch"],
    )
    publish_integration(
        service,
        mode=Mode.ONLINE,
        agency_system=system,
        endpoint_url=endpoint,
        field_mapping={"shop.name": "answers.business_name"},
    )
    return str(system.client.client_id), secret


def _submit(count: int) -> list[int]:
    """``count`` submitted food-shop applications, each with a pending forwarding."""
    from bizportal.applications import services
    from bizportal.applications.models import Status
    from bizportal.catalog.models import Service
    from bizportal.identity.models import User
    from bizportal.identity.services import ensure_person_party
    from bizportal.integrations.models import Forwarding, ForwardingState

    service = Service.objects.get(slug=SERVICE_SLUG)
    applicant = User.objects.create(
        username="bench-forwarding",
        role="applicant",
        citizen_id="1101700123456",
        full_name_th="ผู้ทดสอบ การส่งต่อ",
        identity_assurance="2.3",
        email="bench-forwarding@example.test",
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
    submitted = []
    for n in range(count):
        application = services.start_application(service, applicant)
        application = services.save_answers(
            application, {**answers, "business_name": f"ร้านทดสอบ {n}"}, actor=applicant
        )
        application = services.submit(application, actor=applicant, accept_terms=True)
        if application.status != Status.WAITING:
            raise SystemExit(f"application {n} is {application.status}, not waiting")
        submitted.append(application.pk)
    pending = Forwarding.objects.filter(state=ForwardingState.PENDING, application__in=submitted)
    if pending.count() != count:
        raise SystemExit(f"{pending.count()} pending forwardings for {count} applications")
    return submitted


# --- processes --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"{what} exited ({process.returncode}) before it answered")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


@dataclass
class AgencyProcess:
    """The sandbox agency as its own process, restartable on one port and one file."""

    args: list[str]
    env: dict[str, str]
    log: Path
    base: str
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "bizportal.sandbox_agency", *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_healthy(f"{self.base}/_sandbox/health", self.process, "the sandbox agency")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def get(self, path: str) -> Any:
        return requests.get(f"{self.base}{path}", timeout=30).json()


# --- delivery -----------------------------------------------------------------------------


@dataclass
class Delivery:
    """Delivery threads fed by one dispatcher: each forwarding is handed to one thread at
    a time (``deliver`` itself also claims it, so a second sender would be refused)."""

    threads: int
    work: queue.Queue[int | None] = field(default_factory=queue.Queue)
    in_flight: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delivered_at: list[float] = field(default_factory=list)
    finished_at: dict[int, float] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, name=f"deliver-{n}", daemon=True)
            worker.start()
            self.workers.append(worker)

    def _run(self) -> None:
        from django.db import connection

        from bizportal.integrations import forwarding

        try:
            while (pk := self.work.get()) is not None:
                try:
                    delivered = forwarding.deliver(pk)
                except Exception as error:  # counted and reported: a product failure
                    with self.lock:
                        self.calls["error"] += 1
                        self.errors.append(f"{pk}: {type(error).__name__}: {error}")
                    delivered = False
                with self.lock:
                    self.calls["delivered" if delivered else "not_delivered"] += 1
                    if delivered:
                        self.delivered_at.append(time.monotonic())
                    self.in_flight.discard(pk)
                    self.finished_at[pk] = time.monotonic()
        finally:
            connection.close()

    def dispatch(self, due: list[int], asked_at: float) -> int:
        """Queue the due forwardings not in a thread's hands; one a thread finished after
        ``asked_at`` is left out (the list was read before its attempt was recorded)."""
        queued = 0
        with self.lock:
            for pk in due:
                if pk not in self.in_flight and self.finished_at.get(pk, -1.0) < asked_at:
                    self.in_flight.add(pk)
                    self.work.put(pk)
                    queued += 1
        return queued

    @property
    def delivered(self) -> int:
        with self.lock:
            return len(self.delivered_at)

    @property
    def idle(self) -> bool:
        with self.lock:
            return not self.in_flight

    def stop(self) -> None:
        for _ in self.workers:
            self.work.put(None)
        for worker in self.workers:
            worker.join(timeout=60)


def _due(limit: int = 500) -> list[int]:
    """The due online forwardings, oldest first: ``forwarding.deliver_due``'s query."""
    from django.utils import timezone

    from bizportal.integrations.models import Forwarding, ForwardingState, Mode

    return list(
        Forwarding.objects.filter(
            state=ForwardingState.PENDING,
            mode=Mode.ONLINE,
            next_attempt_at__lte=timezone.now(),
            application__service__slug=SERVICE_SLUG,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _pending() -> int:
    from bizportal.integrations.models import Forwarding, ForwardingState

    # The bench's own: the demo data's forwardings (the FDA's) are not measured here.
    return Forwarding.objects.filter(
        state=ForwardingState.PENDING, application__service__slug=SERVICE_SLUG
    ).count()


@dataclass
class Moments:
    """When things happened (``time.monotonic``; ``*_wall``: ``time.time`` for the DB)."""

    started: float
    drained: float = 0.0
    killed: float | None = None
    killed_wall: float | None = None
    restarted: float | None = None
    restarted_wall: float | None = None


def _forward(
    delivery: Delivery, agency: AgencyProcess, down_after: int, down_seconds: float, timeout: float
) -> Moments:
    """Deliver everything, killing the agency after ``down_after`` deliveries and
    restarting it ``down_seconds`` later."""
    moments = Moments(started=time.monotonic())
    delivery.start()
    try:
        while True:
            now = time.monotonic()
            if now - moments.started > timeout:
                raise SystemExit(f"forwardings still pending after {timeout:.0f} s")
            if moments.killed is None and delivery.delivered >= down_after:
                agency.kill()
                moments.killed, moments.killed_wall = time.monotonic(), time.time()
                print(f"  SIGKILLed the sandbox agency after {delivery.delivered} deliveries")
            if (
                moments.killed is not None
                and moments.restarted is None
                and now - moments.killed >= down_seconds
            ):
                agency.start()
                moments.restarted, moments.restarted_wall = time.monotonic(), time.time()
                print(
                    f"  restarted it after {moments.restarted - moments.killed:.1f} s"
                    f" ({delivery.delivered} delivered so far)"
                )
            asked_at = time.monotonic()
            queued = delivery.dispatch(_due(), asked_at)
            outage_over = moments.killed is None or moments.restarted is not None
            if not queued and delivery.idle and outage_over and _pending() == 0:
                moments.drained = time.monotonic()
                return moments
            if not queued:
                time.sleep(0.05)
    finally:
        delivery.stop()


def _wait_decided(application_pks: list[int], timeout: float) -> float:
    from bizportal.applications.models import Application, Status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = Application.objects.filter(pk__in=application_pks, status=Status.WAITING)
        if not waiting.exists():
            return time.monotonic()
        time.sleep(0.25)
    raise SystemExit(f"applications still waiting for the agency after {timeout:.0f} s")


# --- figures ------------------------------------------------------------------------------


def _rate(times: list[float], start: float | None, end: float | None) -> tuple[int, float]:
    """Deliveries in [start, end) and their rate, from ``start`` to the last of them."""
    if start is None or end is None:
        return 0, 0.0
    inside = [t for t in times if start <= t < end]
    if not inside:
        return 0, 0.0
    span = max(inside) - start
    return len(inside), round(len(inside) / span, 1) if span > 0 else 0.0


def _peak(times: list[float], window: float = 2.0) -> float:
    """The highest delivery rate over any ``window`` seconds (after the restart this is
    what the portal and the agency manage once backoff releases a crowd)."""
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return round(best / window, 1)


def _since(start: float | None, end: float | None) -> float | None:
    return round(end - start, 1) if start is not None and end is not None else None


def _throughput(times: list[float], moments: Moments) -> dict[str, Any]:
    """Deliveries per second while the agency was up: before the kill, after the restart."""
    end = moments.drained + 1
    first_n, first_rate = _rate(times, moments.started, moments.killed or end)
    after_n, after_rate = _rate(times, moments.restarted, end)
    outage_n, _ = _rate(times, moments.killed, moments.restarted)
    after = [t for t in times if moments.restarted is not None and t >= moments.restarted]
    return {
        "before_kill": {"deliveries": first_n, "per_second": first_rate},
        "during_outage": {"deliveries": outage_n},
        "after_restart": {
            "deliveries": after_n,
            "per_second": after_rate,
            "peak_2s_per_second": _peak(after),
        },
        "overall_per_second": round(len(times) / (moments.drained - moments.started), 1),
    }


def _portal_figures(
    application_pks: list[int], killed_wall: float | None, restarted_wall: float | None
) -> dict[str, Any]:
    """What the portal's own tables say, per application and forwarding."""
    import datetime as dt

    from django.db.models import Count, Max, Min

    from bizportal.applications.models import Application, StatusChange
    from bizportal.integrations.models import (
        DECISIONS,
        Forwarding,
        ForwardingAttempt,
        ForwardingState,
        StatusUpdate,
    )

    forwardings = Forwarding.objects.filter(application__in=application_pks)
    per_application = forwardings.values("application").annotate(n=Count("id"))
    decisions = StatusChange.objects.filter(
        application__in=application_pks,
        step_type="forward-to-agency",
        action__in=[str(d) for d in DECISIONS],
    )
    decided_twice_history = (
        decisions.values("application").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    applied = StatusUpdate.objects.filter(
        application__in=application_pks,
        outcome=StatusUpdate.Outcome.APPLIED,
        type__in=[str(d) for d in DECISIONS],
    )
    applied_twice = applied.values("application").annotate(n=Count("id")).filter(n__gt=1).count()
    attempts = ForwardingAttempt.objects.filter(forwarding__in=forwardings)
    by_outcome = dict(Counter(attempts.values_list("outcome", flat=True)))
    delivered_per = (
        attempts.filter(outcome=ForwardingAttempt.Outcome.DELIVERED)
        .values("forwarding")
        .annotate(n=Count("id"))
    )
    delivered_counts = Counter(row["n"] for row in delivered_per)
    failed = attempts.exclude(outcome=ForwardingAttempt.Outcome.DELIVERED)
    outage_failed = 0
    if killed_wall is not None and restarted_wall is not None:
        utc = dt.UTC
        outage_failed = failed.filter(
            at__gte=dt.datetime.fromtimestamp(killed_wall, utc),
            at__lt=dt.datetime.fromtimestamp(restarted_wall, utc),
        ).count()
    updates = StatusUpdate.objects.filter(application__in=application_pks)
    span = updates.aggregate(first=Min("received_at"), last=Max("received_at"))
    seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
    statuses = dict(
        Counter(Application.objects.filter(pk__in=application_pks).values_list("status", flat=True))
    )
    return {
        "forwardings": forwardings.count(),
        "forwarding_states": dict(Counter(forwardings.values_list("state", flat=True))),
        "applications_with_more_than_one_forwarding": sum(
            1 for row in per_application if row["n"] > 1
        ),
        "dead": forwardings.filter(state=ForwardingState.DEAD).count(),
        "decided": forwardings.filter(state=ForwardingState.DECIDED).count(),
        "decision_history_rows": decisions.count(),
        "decided_twice_in_history": decided_twice_history,
        "decisions_applied": applied.count(),
        "decisions_applied_twice": applied_twice,
        "updates_by_outcome": dict(
            Counter(
                StatusUpdate.objects.filter(application__in=application_pks).values_list(
                    "outcome", flat=True
                )
            )
        ),
        "attempts": attempts.count(),
        "attempts_by_outcome": by_outcome,
        "failed_attempts": failed.count(),
        "failed_attempts_during_outage": outage_failed,
        "forwardings_by_delivered_attempts": {
            str(k): v for k, v in sorted(delivered_counts.items())
        },
        "application_statuses": statuses,
        "updates_applied_per_second": round(updates.count() / seconds, 1) if seconds else 0.0,
    }


def _received(agency: AgencyProcess, application_pks: list[int]) -> dict[str, Any]:
    """What the agency says it received, against the portal's forwardings."""
    from bizportal.integrations.models import Forwarding

    receipts: dict[str, int] = agency.get("/_sandbox/received")
    ours = {
        str(public_id)
        for public_id in Forwarding.objects.filter(application__in=application_pks).values_list(
            "public_id", flat=True
        )
    }
    return {
        "received_unique": len(set(receipts) & ours),
        "received_unknown": len(set(receipts) - ours),
        "never_received": len(ours - set(receipts)),
        "transport_repeats": sum(n - 1 for key, n in receipts.items() if key in ours),
        "forwardings_repeated": sum(1 for key, n in receipts.items() if key in ours and n > 1),
    }


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1000)
    parser.add_argument("--down-after", type=int, default=300, help="deliveries before the kill")
    parser.add_argument("--down-seconds", type=float, default=8.0, help="length of the outage")
    parser.add_argument("--threads", type=int, default=4, help="delivery threads")
    parser.add_argument("--delay", type=float, default=0.2, help="agency: seconds before deciding")
    parser.add_argument("--decide-interval", type=float, default=0.2, help="agency: decider round")
    parser.add_argument("--port", type=int, default=0, help="portal port (0: a free one)")
    parser.add_argument("--agency-port", type=int, default=0, help="agency port (0: a free one)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per phase")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--no-results", action="store_true", help="do not write the JSON")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bizportal-bench-forwarding-")
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        _recreate_database(url)
        database_url = _server_url(url, BENCH_DB)
    else:
        database_url = f"sqlite:///{tmp}/bench.sqlite3"
    port = args.port or _free_port()
    agency_port = args.agency_port or _free_port()
    base = f"http://127.0.0.1:{port}"
    agency_base = f"http://127.0.0.1:{agency_port}"
    env = {
        **os.environ,
        **DELIVERY_ENV,
        "DJANGO_SETTINGS_MODULE": "bizportal.settings",
        "DATABASE_URL": database_url,
        "BIZPORTAL_VAR_DIR": tmp,
        "BIZPORTAL_BASE_URL": base,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",  # queued, never run: we deliver
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("BIZPORTAL_FAULT_KILL_AT", None)
    os.environ.update(env)
    os.environ.pop("BIZPORTAL_FAULT_KILL_AT", None)

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the demo's licences: font notes
    from django.core.management import call_command
    from django.db import connections

    from bizportal.integrations.signing import current_key_id

    processes: list[subprocess.Popen[bytes]] = []
    agency: AgencyProcess | None = None
    try:
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
        current_key_id()  # the demo signing key, made once in BIZPORTAL_VAR_DIR for both
        client_id, secret = _integrate(f"{agency_base}/forwardings")
        started = time.perf_counter()
        application_pks = _submit(args.applications)
        print(
            f"prepared {len(application_pks)} submitted applications (pending forwardings) in "
            f"{time.perf_counter() - started:.1f} s ({'PostgreSQL' if postgres else 'SQLite'})"
        )
        connections.close_all()

        with (Path(tmp) / "serve.log").open("ab") as out:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "serve",
                    "--no-worker",
                    "--port",
                    str(port),
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(server)
        _wait_healthy(f"{base}/healthz", server, "the portal")
        agency = AgencyProcess(
            args=[
                "--port",
                str(agency_port),
                "--db",
                f"{tmp}/agency.sqlite3",
                "--portal",
                base,
                "--delay",
                str(args.delay),
                "--decide-interval",
                str(args.decide_interval),
                "--correction-every",
                "1000000",
                "--batch-poll",
                "0",
                "--retry-base",
                "0.5",
                "--retry-max",
                "5",
                "--max-attempts",
                "100",
                "--log-level",
                "WARNING",
            ],
            env={
                **env,
                "SANDBOX_AGENCY_CLIENT_ID": client_id,
                "SANDBOX_AGENCY_CLIENT_SECRET": secret,
            },
            log=Path(tmp) / "agency.log",
            base=agency_base,
        )
        agency.start()
        print(f"portal on {base}, sandbox agency on {agency_base}; forwarding")

        delivery = Delivery(threads=args.threads)
        moments = _forward(delivery, agency, args.down_after, args.down_seconds, args.timeout)
        drained = moments.drained - moments.started
        print(f"  nothing pending after {drained:.1f} s; waiting for the decisions")
        all_back = _wait_decided(application_pks, args.timeout)
        # The agency confirms its updates after the portal answered: let it record them.
        for _ in range(100):
            if agency.get("/_sandbox/stats").get("updates_pending", 0) == 0:
                break
            time.sleep(0.1)
        stats = agency.get("/_sandbox/stats")
        received = _received(agency, application_pks)
        portal = _portal_figures(application_pks, moments.killed_wall, moments.restarted_wall)
        connections.close_all()
        n = len(application_pks)
        lost = received["never_received"] + (n - portal["decided"])
        applied_twice = max(portal["decided_twice_in_history"], portal["decisions_applied_twice"])
        ok = (
            received["received_unique"] == n
            and portal["decided"] == n
            and stats["decided"] == n
            and lost == 0
            and applied_twice == 0
            and portal["dead"] == 0
            and portal["applications_with_more_than_one_forwarding"] == 0
            and not delivery.errors
        )
        result: dict[str, Any] = {
            "applications": n,
            "database": "postgresql" if postgres else "sqlite",
            "threads": args.threads,
            "down_after": args.down_after,
            "down_seconds": args.down_seconds,
            "agency_delay": args.delay,
            "delivery_settings": DELIVERY_ENV,
            "forwarded": portal["forwardings"],
            "received": received,
            "agency_stats": stats,
            "portal": portal,
            "lost": lost,
            "applied_twice": applied_twice,
            "deliver_calls": dict(delivery.calls),
            # deliver() calls that found the forwarding no longer due (claimed or
            # recorded since it was listed): no request was sent for them
            "claims_refused": sum(delivery.calls.values()) - portal["attempts"],
            "deliver_errors": delivery.errors[:20],
            "throughput": _throughput(delivery.delivered_at, moments),
            "seconds": {
                "outage": _since(moments.killed, moments.restarted),
                "until_nothing_pending": round(drained, 1),
                "after_restart_until_nothing_pending": _since(moments.restarted, moments.drained),
                "until_every_status_back": round(all_back - moments.started, 1),
            },
            "ok": ok,
        }
        _print(result)
        if not args.no_results:
            out_dir = ROOT / "bench" / "results"
            out_dir.mkdir(exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (out_dir / f"bench_forwarding-{stamp}.json").write_text(json.dumps(result, indent=2))
        print(
            "every application arrived once and was decided once"
            if ok
            else "FAILED: see the figures above"
        )
        return 0 if ok else 1
    finally:
        if agency is not None:
            agency.stop()
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        connections.close_all()
        if postgres:
            _drop_database(url)
        if args.keep:
            print(f"logs and files kept in {tmp}")


def _print(result: dict[str, Any]) -> None:
    received, portal, stats = result["received"], result["portal"], result["agency_stats"]
    through, seconds = result["throughput"], result["seconds"]
    print(
        f"forwarded {result['forwarded']}, received by the agency {received['received_unique']}"
        f" (transport repeats {received['transport_repeats']} on"
        f" {received['forwardings_repeated']} forwardings), decided by the agency"
        f" {stats['decided']}, decided in the portal {portal['decided']}"
    )
    print(
        f"lost {result['lost']}, applied twice {result['applied_twice']}, dead-lettered"
        f" {portal['dead']}, update outcomes {portal['updates_by_outcome']},"
        f" agency update retries {stats['update_retries']}, status updates taken at"
        f" {portal['updates_applied_per_second']}/s"
    )
    print(
        f"attempts {portal['attempts']} {portal['attempts_by_outcome']}, failed during the"
        f" outage {portal['failed_attempts_during_outage']}, forwardings by delivered"
        f" attempts {portal['forwardings_by_delivered_attempts']}, claims refused"
        f" {result['claims_refused']}"
    )
    print(
        f"throughput: {through['before_kill']['per_second']}/s before the kill"
        f" ({through['before_kill']['deliveries']}), {through['after_restart']['per_second']}/s"
        f" after the restart ({through['after_restart']['deliveries']}, peak"
        f" {through['after_restart']['peak_2s_per_second']}/s over 2 s), overall"
        f" {through['overall_per_second']}/s"
    )
    print(
        f"outage {seconds['outage']} s; nothing pending after {seconds['until_nothing_pending']} s"
        f" ({seconds['after_restart_until_nothing_pending']} s after the restart); every status"
        f" back after {seconds['until_every_status_back']} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
