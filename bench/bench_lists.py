"""Benchmark: the lists people open most, at 10k, 100k and 1M applications on PostgreSQL.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_lists.py [--sizes 10000 100000 1000000]

Creates (and at the end drops) a database ``bizportal_bench`` on that server, migrates
it, and grows it to each size with ``INSERT … SELECT generate_series`` (parties and
entrepreneurs: one per ten applications; applications spread over the five demo
agencies, 5 % drafts). At each size it serves, through Django's full request stack in
this process (middleware, sessions, authentication, templates, DRF), beside a
hello-world view (``/healthz``: one database round trip):

* the officer worklist API, first page and a page in the middle (keyset cursor);
* the officer worklist page (HTML);
* "my applications" over the API for an entrepreneur with ten applications.

It prints p50/p99 per size and the growth from the smallest to the largest size, writes
the figures to ``bench/results/bench_lists-<time>.json``, and exits non-zero when a
target is missed. Targets: every list ≤ 15 ms p50 at the largest size and ≤ 1.5×
growth from the smallest.
"""

from __future__ import annotations

import argparse
import functools
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
BENCH_DB = "bizportal_bench"
TARGET_P50_MS = 15.0
TARGET_GROWTH = 1.5


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _recreate_database(url: str, database: str = BENCH_DB) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")


def _drop_database(url: str, database: str = BENCH_DB) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


GROW_SQL = [
    """
INSERT INTO identity_party (public_id, kind, key, name_th, name_en, active,
    registry_status, signing_rule, registered_address, created_at)
SELECT gen_random_uuid(), 'person', '2' || lpad(p::text, 12, '0'), 'ผู้ประกอบการ ' || p,
    'Entrepreneur ' || p, true, '', 'any', '{}'::jsonb, now()
FROM generate_series(%(first_party)s, %(last_party)s) AS p
""",
    """
INSERT INTO identity_user (password, is_superuser, username, first_name, last_name, email,
    is_staff, is_active, date_joined, public_id, role, citizen_id, full_name_th,
    full_name_en, phone, address, identity_assurance, nationality, passport_no, party_id)
SELECT '!', false, 'bench-' || p, '', '', '', false, true, now(), gen_random_uuid(),
    'applicant', '2' || lpad(p::text, 12, '0'), 'ผู้ประกอบการ ' || p, 'Entrepreneur ' || p,
    '', '{}'::jsonb, '2.3', '', '', party.id
FROM generate_series(%(first_party)s, %(last_party)s) AS p
JOIN identity_party AS party ON party.key = '2' || lpad(p::text, 12, '0')
""",
    """
INSERT INTO applications_application (public_id, reference, status, data, prefill,
    terms_accepted_at, correction_note, decision_reason, created_at, updated_at,
    submitted_at, agency_id, applicant_id, service_id, current_step, holder_id, holder_kind,
    holder_name_en, holder_name_th, kind, party_id)
SELECT gen_random_uuid(),
    CASE WHEN i %% 20 = 0 THEN NULL ELSE 'BP-B-' || i END,
    CASE WHEN i %% 20 = 0 THEN 'draft' WHEN i %% 10 = 1 THEN 'correction'
         WHEN i %% 10 IN (2, 3) THEN 'awaiting_payment'
         WHEN i %% 10 IN (4, 5, 6) THEN 'issued' ELSE 'review' END,
    jsonb_build_object('business_name', 'ร้าน ' || i, 'phone', '0812345678'),
    '{}'::jsonb,
    CASE WHEN i %% 20 = 0 THEN NULL ELSE now() END, '', '',
    now() - make_interval(secs => %(total)s - i), now(),
    CASE WHEN i %% 20 = 0 THEN NULL ELSE now() - make_interval(secs => %(total)s - i) END,
    service.agency_id, u.id, service.id, '', u.citizen_id, 'person',
    u.full_name_en, u.full_name_th, 'new', u.party_id
FROM generate_series(%(first)s, %(last)s) AS i
JOIN identity_user AS u ON u.username = 'bench-' || ((i - 1) / 10 + 1)
JOIN LATERAL (
    SELECT id, agency_id FROM catalog_service ORDER BY id OFFSET (i %% 5) LIMIT 1
) AS service ON true
""",
]


def _grow(connection: Any, current: int, size: int) -> None:
    values = {
        "first_party": current // 10 + 1,
        "last_party": size // 10,
        "first": current + 1,
        "last": size,
        "total": size,
    }
    with connection.cursor() as cursor:
        for statement in GROW_SQL:
            cursor.execute(statement, values)
        cursor.execute("VACUUM ANALYZE")


def _ok(client: Any, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response


def _samples(func: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(5):
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


def in_own_database(database: str, run: Callable[[], int], *, keep: bool = False) -> int:
    """Run a benchmark in a throw-away ``database`` made on the DATABASE_URL server.

    Django is pointed at it before ``run`` sets Django up, and the database is dropped
    afterwards (unless ``keep``), so benchmarks never touch each other's data.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server (the bench makes its own database)")
        return 2
    _recreate_database(url, database)
    os.environ["DATABASE_URL"] = _server_url(url, database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    try:
        return run()
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            _drop_database(url, database)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    return in_own_database(BENCH_DB, lambda: _run(args), keep=args.keep)


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bizportal.applications import selectors
    from bizportal.applications.models import BEFORE_AGENCY, Application
    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog
    from bizportal.identity.models import User

    call_command("migrate", verbosity=0)
    catalog.seed()
    staff.seed()
    officer = User.objects.get(username="officer.bma")

    results: dict[str, dict[str, dict[str, float]]] = {}
    current = 0
    for size in sorted(args.sizes):
        started = time.perf_counter()
        _grow(connection, current, size)
        current = size
        loaded = time.perf_counter() - started
        reached = Application.objects.filter(agency=officer.agency).exclude(
            status__in=BEFORE_AGENCY
        )
        at_agency = reached.count()
        middle = reached.order_by("submitted_at", "id")[at_agency // 2]
        cursor = selectors._encode(middle)
        entrepreneur = User.objects.get(username=f"bench-{size // 20}")

        officer_client, applicant_client, anonymous = Client(), Client(), Client()
        officer_client.force_login(officer)
        # Officers reach the worklist only after their second factor, as in a browser.
        sys.path.insert(0, str(ROOT))
        from tests.factories import verify_second_factor

        verify_second_factor(officer_client, officer)
        applicant_client.force_login(entrepreneur)

        def get(client: Client, path: str) -> Callable[[], Any]:
            return functools.partial(_ok, client, path)

        timings = {
            "hello (/healthz)": get(anonymous, "/healthz"),
            "worklist API, first page": get(officer_client, "/api/v1/applications/worklist/"),
            "worklist API, middle page": get(
                officer_client, f"/api/v1/applications/worklist/?after={cursor}"
            ),
            "worklist page (HTML)": get(officer_client, "/backoffice/worklist/"),
            "my applications API": get(applicant_client, "/api/v1/applications/"),
        }
        results[str(size)] = {}
        print(f"\n{size:,} applications (loaded in {loaded:.1f} s; {at_agency:,} at the BMA)")
        for label, call in timings.items():
            samples = _samples(call, args.repeat)
            p50, p99 = statistics.median(samples), _p(samples, 0.99)
            results[str(size)][label] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
            print(f"  {label:<28} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")

    return _report(results, args.sizes)


def _report(results: dict[str, dict[str, dict[str, float]]], sizes: list[int]) -> int:
    smallest, largest = str(min(sizes)), str(max(sizes))
    missed = []
    print(f"\ngrowth {int(smallest):,} → {int(largest):,} (p50):")
    for label, figures in results[largest].items():
        growth = figures["p50_ms"] / max(results[smallest][label]["p50_ms"], 0.01)
        figures["growth"] = round(growth, 2)
        verdict = ""
        if not label.startswith("hello"):
            if figures["p50_ms"] > TARGET_P50_MS:
                missed.append(f"{label}: p50 {figures['p50_ms']} ms > {TARGET_P50_MS} ms")
            if growth > TARGET_GROWTH:
                missed.append(f"{label}: growth {growth:.2f}× > {TARGET_GROWTH}×")
            verdict = "ok" if not any(m.startswith(label) for m in missed) else "MISSED"
        print(f"  {label:<28} {growth:5.2f}×  {verdict}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench_lists-{stamp}.json").write_text(
        json.dumps({"results": results, "missed": missed}, ensure_ascii=False, indent=2)
    )
    print("targets met" if not missed else "TARGETS MISSED:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
