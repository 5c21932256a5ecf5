"""Benchmark: the report dashboards at 1,000,000 applications on PostgreSQL.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/reports_dashboard.py [--applications 1000000] [--keep] [--reuse]

Creates a database ``bench_reports`` on that server (``--reuse``: keeps the one a
``--keep`` run left, skipping the load), migrates it and loads, with ``INSERT … SELECT
generate_series`` (a fixed ``setseed``), the applications and the few rows the
aggregates read: the demo catalogue (23 agencies, 45 services) and staff, 20,000
entrepreneurs, applications spread over twelve months, kinds, channels (counter ones
filed by a hundred counter officers, the demo's among them), 42 provinces and statuses
(93 % final, decided 1–45 days after submission), a service-level clock each, one or two
agency step clocks per decided application and a paid invoice per issued one. The bench
database drops the check that a change names its licence (amend, renew and cancel
applications need no licence rows here): the aggregates count kinds, they do not read
licences.

Then it times:

* ``reports.refresh.refresh(full=True)`` over the whole year;
* an incremental ``refresh()`` after 1,000 applications are decided;
* each report of ``reports.definitions.registry`` run for the national scope and for one
  agency's scope with the default filters, nationally for the busiest province, and for
  the demo's counter officer (p50/p95 of ``--repeat`` runs);
* GET ``/backoffice/reports/<slug>/`` through the full request stack (executive and the
  agency's supervisor), when the dashboard URL exists.

It prints the figures, writes ``bench/results/reports_dashboard-<time>.json`` and exits
non-zero when a p95 misses the target (200 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_REPORTS_DB", "bench_reports")
TARGET_P95_MS = 200.0
USERS = 20_000
COUNTERS = 100

PROVIDERS = ["sandbox_promptpay", "sandbox_promptpay", "sandbox", "sandbox_card", "sandbox_counter"]
FEES = ["50.00", "200.00", "500.00", "1000.00", "1100.00", "2000.00", "5500.00"]


def _server_url(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def _database_exists(url: str, database: str) -> bool:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        return row is not None


def _recreate(url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")


def _drop(url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _province_array() -> list[str]:
    """The demo's provinces, each repeated by its weight (a uniform draw from the array
    is then a weighted draw)."""
    from bizportal.reports.demo import PROVINCES

    return [name for name, weight in PROVINCES for _ in range(max(1, weight // 2))]


LOAD_SQL = [
    "SELECT setseed(0.2569)",
    "ALTER TABLE applications_application DROP CONSTRAINT IF EXISTS change_names_its_licence",
    """
INSERT INTO identity_party (public_id, kind, key, name_th, name_en, active, registry_status,
    signing_rule, registered_address, created_at)
SELECT gen_random_uuid(), 'person', '8' || lpad(p::text, 12, '0'), 'ผู้ประกอบการ ' || p,
    'Entrepreneur ' || p, true, '', 'any', '{}'::jsonb, now()
FROM generate_series(1, %(users)s) AS p
""",
    """
INSERT INTO identity_user (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, public_id, role, citizen_id, full_name_th,
    full_name_en, phone, address, identity_assurance, nationality, passport_no, party_id)
SELECT '!', false, 'rb-' || p, '', '', '', false, true, now(), gen_random_uuid(),
    'applicant', party.key, party.name_th, party.name_en, '', '{}'::jsonb, '2.3', '', '',
    party.id
FROM generate_series(1, %(users)s) AS p
JOIN identity_party AS party ON party.key = '8' || lpad(p::text, 12, '0')
""",
    """
CREATE TEMP TABLE bench_service AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id, agency_id,
    greatest(processing_days, 1) AS sla
FROM catalog_service
""",
    """
CREATE TEMP TABLE bench_user AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id, party_id, citizen_id,
    full_name_th, full_name_en
FROM identity_user WHERE username LIKE 'rb-%%'
""",
    # Counter officers: a hundred (the demo's and 99 more), each filing a realistic few a
    # day; one officer filing every counter application of the country would not be.
    """
INSERT INTO identity_user (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, public_id, role, citizen_id, full_name_th,
    full_name_en, phone, address, identity_assurance, nationality, passport_no, party_id,
    agency_id)
SELECT '!', false, 'rb-counter-' || c, '', '', '', true, true, now(), gen_random_uuid(),
    o.role, o.citizen_id, 'เจ้าหน้าที่ ' || c, 'Counter officer ' || c, '', '{}'::jsonb,
    o.identity_assurance, '', '', NULL, o.agency_id
FROM generate_series(1, %(counters)s - 1) AS c
CROSS JOIN identity_user AS o WHERE o.id = %(counter)s
""",
    """
CREATE TEMP TABLE bench_counter AS
SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id
FROM identity_user WHERE id = %(counter)s OR username LIKE 'rb-counter-%%'
""",
    "CREATE INDEX ON bench_counter (idx)",
    "CREATE INDEX ON bench_user (idx)",
    "CREATE INDEX ON bench_service (idx)",
    "ANALYZE bench_user",
    "ANALYZE bench_service",
    """
CREATE TEMP TABLE bench_draw AS
SELECT i, random() AS r_service, random() AS r_status, random() AS r_channel,
    random() AS r_kind, random() AS r_days, random() AS r_province,
    floor(random() * %(users)s)::int AS who,
    now() - make_interval(secs => 365 * 86400 * power(random(), 0.8)) AS submitted_at
FROM generate_series(1, %(applications)s) AS i
""",
    "ANALYZE bench_draw",
    """
INSERT INTO applications_application (public_id, reference, kind, service_id, agency_id,
    applicant_id, party_id, filed_by_id, channel, province, holder_kind, holder_id,
    holder_name_th, holder_name_en, status, current_step, data, prefill, correction_note,
    decision_reason, terms_accepted_at, created_at, updated_at, submitted_at, decided_at)
SELECT gen_random_uuid(), 'RB-' || d.i,
    CASE WHEN d.r_kind < 0.80 THEN 'new' WHEN d.r_kind < 0.92 THEN 'renew'
         WHEN d.r_kind < 0.98 THEN 'amend' ELSE 'cancel' END,
    s.id, s.agency_id, u.id, u.party_id,
    CASE WHEN d.r_channel >= 0.75 AND d.r_channel < 0.92 THEN c.id END,
    CASE WHEN d.r_channel < 0.75 THEN 'online' WHEN d.r_channel < 0.92 THEN 'counter'
         ELSE 'agency' END,
    (%(provinces)s::text[])[1 + floor(d.r_province * cardinality(%(provinces)s::text[]))::int],
    'person', u.citizen_id, u.full_name_th, u.full_name_en,
    st.status, '', '{}'::jsonb, '{}'::jsonb, '', '',
    d.submitted_at, d.submitted_at - interval '20 minutes',
    coalesce(st.decided_at, d.submitted_at), d.submitted_at, st.decided_at
FROM bench_draw AS d
JOIN bench_service AS s ON s.idx = floor(power(d.r_service, 1.6) * %(services)s)::int
JOIN bench_user AS u ON u.idx = d.who
JOIN bench_counter AS c ON c.idx = d.i %% %(counters)s
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN d.submitted_at > now() - interval '30 days' AND d.r_status < 0.5 THEN
            (ARRAY['review', 'correction', 'inspection', 'awaiting_payment'])[
                1 + floor(d.r_status * 8)::int]
        WHEN d.r_status < 0.78 THEN CASE WHEN d.r_kind < 0.98 THEN 'issued' ELSE 'completed' END
        WHEN d.r_status < 0.87 THEN 'rejected'
        WHEN d.r_status < 0.94 THEN 'withdrawn'
        ELSE 'completed' END AS status
) AS st0
CROSS JOIN LATERAL (
    SELECT st0.status,
        CASE WHEN st0.status IN ('issued', 'completed', 'rejected', 'withdrawn') THEN
            least(now() - interval '1 minute',
                  d.submitted_at + make_interval(secs => 86400 * (0.2 + s.sla * 2.2 * d.r_days)))
        END AS decided_at
) AS st
""",
    # An application reached the agency: its clock (due after the promised days, counted
    # here as calendar days x 1.4 for the weekends).
    """
INSERT INTO service_levels_clock (application_id, agency_id, sla_days, started_at,
    paused_days, due_on, stopped_at, state, recount, updated_at)
SELECT a.id, a.agency_id, s.sla, a.submitted_at, 0,
    (a.submitted_at AT TIME ZONE 'Asia/Bangkok')::date + ceil(s.sla * 1.4)::int,
    a.decided_at,
    CASE WHEN a.decided_at IS NULL THEN 'on_track'
         WHEN (a.decided_at AT TIME ZONE 'Asia/Bangkok')::date
              <= (a.submitted_at AT TIME ZONE 'Asia/Bangkok')::date + ceil(s.sla * 1.4)::int
         THEN 'met' ELSE 'breached' END,
    false, a.updated_at
FROM applications_application AS a JOIN bench_service AS s ON s.id = a.service_id
WHERE a.reference LIKE 'RB-%%'
""",
    # The agency's review of each decided application (not withdrawn), and an inspection
    # of three in ten.
    """
INSERT INTO service_levels_stepclock (clock_id, step, step_name, step_type, started_at,
    ola_days, due_on, completed_at)
SELECT c.id, 'review', 'พิจารณาคำขอ / Review the application', 'officer-review',
    a.submitted_at, c.sla_days, c.due_on,
    a.submitted_at + (a.decided_at - a.submitted_at) * 0.6
FROM applications_application AS a JOIN service_levels_clock AS c ON c.application_id = a.id
WHERE a.reference LIKE 'RB-%%' AND a.status IN ('issued', 'completed', 'rejected')
""",
    """
INSERT INTO service_levels_stepclock (clock_id, step, step_name, step_type, started_at,
    ola_days, due_on, completed_at)
SELECT c.id, 'inspection', 'ตรวจสถานที่ / Inspect the premises', 'inspection',
    a.submitted_at + (a.decided_at - a.submitted_at) * 0.6, c.sla_days, c.due_on,
    a.submitted_at + (a.decided_at - a.submitted_at) * 0.85
FROM applications_application AS a JOIN service_levels_clock AS c ON c.application_id = a.id
WHERE a.reference LIKE 'RB-%%' AND a.status IN ('issued', 'completed', 'rejected')
    AND a.id %% 10 < 3
""",
    """
INSERT INTO payments_invoice (public_id, number, application_id, amount, lines, currency,
    ref1, ref2, status, created_at, paid_at, provider, provider_txn_id, stage, close_reason,
    expires_at)
SELECT gen_random_uuid(), 'INVB-' || a.id, a.id,
    (%(fees)s::numeric[])[1 + a.id %% cardinality(%(fees)s::numeric[])], '[]'::jsonb, 'THB',
    'RB' || a.id, 'INVB' || a.id, 'paid',
    a.submitted_at + (a.decided_at - a.submitted_at) * 0.85,
    a.submitted_at + (a.decided_at - a.submitted_at) * 0.95,
    (%(providers)s::text[])[1 + a.id %% cardinality(%(providers)s::text[])],
    'TXB' || a.id, '', '', a.decided_at + interval '15 days'
FROM applications_application AS a
WHERE a.reference LIKE 'RB-%%' AND a.status = 'issued'
""",
]


def _load(applications: int) -> dict[str, float]:
    from django.db import connection

    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog
    from bizportal.catalog.models import Service
    from bizportal.identity.models import User

    catalog.seed()
    staff.seed()
    values = {
        "users": USERS,
        "applications": applications,
        "services": Service.objects.count(),
        "counter": User.objects.get(username="counter.osc").pk,
        "counters": COUNTERS,
        "provinces": _province_array(),
        "fees": FEES,
        "providers": PROVIDERS,
    }
    timings = {}
    with connection.cursor() as cursor:
        for statement in LOAD_SQL:
            started = time.perf_counter()
            cursor.execute(statement, values)
            label = " ".join(statement.split()[:3])[:50]
            timings[label] = round(time.perf_counter() - started, 1)
            print(f"  {timings[label]:7.1f} s  {label}", flush=True)
        cursor.execute("DROP TABLE bench_draw")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = round(time.perf_counter() - started, 1)
    return timings


def _samples(func: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(3):
        func()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left (no load)"
    )
    parser.add_argument("--skip-full", action="store_true", help="with --reuse: no full refresh")
    parser.add_argument("--load-only", action="store_true", help="load, keep the database, stop")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server (the bench makes its own database)")
        return 2
    reuse = args.reuse and _database_exists(url, BENCH_DB)
    if not reuse:
        _recreate(url, BENCH_DB)
    os.environ["DATABASE_URL"] = _server_url(url, BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    try:
        return _run(args, reuse)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse or args.load_only):
            _drop(url, BENCH_DB)


def _run(args: argparse.Namespace, reuse: bool) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bizportal.applications.models import Application
    from bizportal.reports import refresh
    from bizportal.reports.models import ApplicationFact, PaymentFact, StepFact

    results: dict[str, Any] = {"applications": args.applications}
    if not reuse:
        call_command("migrate", verbosity=0)
        print(f"loading {args.applications:,} applications …", flush=True)
        started = time.perf_counter()
        results["load_steps_s"] = _load(args.applications)
        results["load_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded in {results['load_s']} s", flush=True)
    if args.load_only:
        return 0
    results["rows"] = {
        "applications": Application.objects.count(),
    }
    if not (reuse and args.skip_full):
        started = time.perf_counter()
        days = _timed_full_refresh()
        results["refresh_full_s"] = round(time.perf_counter() - started, 1)
        print(f"full refresh: {days} changes in {results['refresh_full_s']} s", flush=True)
        _vacuum_report_tables()
    results["facts"] = {
        model.__name__: model.objects.count()
        for model in (ApplicationFact, StepFact, PaymentFact, *(r.model for r in refresh.ROLLUPS))
    }
    print(f"fact rows: {results['facts']}", flush=True)

    # 1,000 applications decided now: the incremental refresh moves their counts.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE applications_application SET status = 'issued', decided_at = now(),
                updated_at = now()
            WHERE id IN (SELECT id FROM applications_application
                         WHERE status IN ('review', 'inspection') ORDER BY id LIMIT 1000)
            """
        )
        changed = cursor.rowcount
    started = time.perf_counter()
    taken = refresh.refresh(now=timezone.now())
    results["refresh_incremental_s"] = round(time.perf_counter() - started, 2)
    results["refresh_incremental_changes"] = taken
    print(
        f"incremental refresh after {changed} decisions: {taken} changes in "
        f"{results['refresh_incremental_s']} s",
        flush=True,
    )
    started = time.perf_counter()
    refresh.refresh()
    results["refresh_quiet_s"] = round(time.perf_counter() - started, 2)
    print(f"refresh with nothing changed: {results['refresh_quiet_s']} s", flush=True)

    results["reports"] = _time_reports(args.repeat)
    results["pages"] = _time_pages(args.repeat)
    return _report(results)


def _timed_full_refresh() -> int:
    """``refresh(full=True)``: every application's row, every day of steps and payments
    and every monthly roll-up, from nothing."""
    from bizportal.reports import refresh

    return refresh.refresh(full=True)


def _vacuum_report_tables() -> None:
    """What autovacuum does after a rebuild's inserts: statistics for the planner and
    the visibility map that lets an index answer alone."""
    from django.db import connection

    from bizportal.reports import refresh
    from bizportal.reports.models import ApplicationFact, PaymentFact, StepFact

    models = [ApplicationFact, StepFact, PaymentFact, *(r.model for r in refresh.ROLLUPS)]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _time_reports(repeat: int) -> dict[str, dict[str, float]]:
    from bizportal.catalog.models import Agency
    from bizportal.identity.models import StaffRole
    from bizportal.reports.definitions import Filters, Scope, registry

    agency = Agency.objects.get(code="bma")
    scopes = {
        "national": Scope(roles=frozenset({StaffRole.EXECUTIVE})),
        "agency (bma)": Scope(
            agency_id=agency.pk, roles=frozenset({StaffRole.AGENCY_SUPERVISOR, StaffRole.FINANCE})
        ),
    }
    found: dict[str, dict[str, float]] = {}
    reports = list(registry)
    if not reports:
        print("no reports registered (reports/library.py not merged yet): report runs skipped")
    national = scopes["national"]
    # The slices the roll-ups do not cut, read from the per-application rows: the
    # busiest province, and a counter officer's own filings.
    busiest = _busiest_province()
    counter = _counter_officer()
    cases = [
        (slug, report, label, scope, Filters.default())
        for slug, report in reports
        for label, scope in scopes.items()
    ] + [
        (
            slug,
            report,
            f"national, {busiest}",
            national,
            Filters.default().narrowed(province=busiest),
        )
        for slug, report in reports
    ]
    if counter is not None:
        cases += [
            (slug, report, "counter officer", counter, Filters.default())
            for slug, report in reports
            if report.visible_to(counter)
        ]
    for slug, report, label, scope, chosen in cases:
        filters = chosen
        if scope.agency_id is not None:
            filters = filters.narrowed(agency_id=scope.agency_id)
        samples = _samples(lambda r=report, s=scope, f=filters: r.run(s, f), repeat)
        key = f"run {slug} · {label}"
        found[key] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(_p(samples, 0.95), 1),
        }
        p50, p95 = found[key]["p50_ms"], found[key]["p95_ms"]
        print(f"  {key:<40} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
    return found


def _busiest_province() -> str:
    from django.db.models import Count

    from bizportal.reports.models import ApplicationFact

    row = ApplicationFact.objects.values("province").annotate(n=Count("pk")).order_by("-n").first()
    return row["province"] if row else ""


def _counter_officer() -> Any:
    from bizportal.identity.models import User
    from bizportal.reports.definitions import Scope

    user = (
        User.objects.filter(username="counter").first()
        or User.objects.filter(groups__name="counter_officer").first()
    )
    return Scope.of(user) if user is not None else None


def _time_pages(repeat: int) -> dict[str, dict[str, float]]:
    from django.test import Client
    from django.urls import NoReverseMatch, Resolver404, resolve
    from tests.factories import verify_second_factor

    from bizportal.identity.models import User
    from bizportal.reports.definitions import registry

    found: dict[str, dict[str, float]] = {}
    viewers = {"executive": "executive", "supervisor (bma)": "supervisor.bma"}
    for slug, _report in registry:
        path = f"/backoffice/reports/{slug}/"
        try:
            resolve(path)
        except (Resolver404, NoReverseMatch):
            print(f"  {path} does not exist yet (views not merged): page timings skipped")
            return found
        for label, username in viewers.items():
            user = User.objects.get(username=username)
            client = Client()
            client.force_login(user)
            verify_second_factor(client, user)

            def get(c: Client = client, p: str = path) -> None:
                response = c.get(p)
                assert response.status_code == 200, (p, response.status_code)

            samples = _samples(get, repeat)
            key = f"GET {path} · {label}"
            found[key] = {
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(_p(samples, 0.95), 1),
            }
            p50, p95 = found[key]["p50_ms"], found[key]["p95_ms"]
            print(f"  {key:<52} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
    return found


def _report(results: dict[str, Any]) -> int:
    missed = [
        f"{key}: p95 {figures['p95_ms']} ms > {TARGET_P95_MS} ms"
        for group in ("reports", "pages")
        for key, figures in results[group].items()
        if figures["p95_ms"] > TARGET_P95_MS
    ]
    results["missed"] = missed
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"reports_dashboard-{stamp}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2)
    )
    print("targets met" if not missed else "TARGETS MISSED:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
