"""Benchmark: browsing and filtering the catalogue by category at 90,000 services.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_browse.py [--services 90000]

Makes (and drops) its own database ``bizportal_bench_browse``, migrates it (the shipped
categories come with ``migrate``), seeds the demo catalogue, adds ``--services``
published services exactly as ``bench_search.py`` does, and files each under one
lifecycle stage, one target group and one or two TSIC divisions (every tenth is for
every kind of business instead), with ``INSERT … SELECT`` on the link table.

Then, through Django's full request stack in this process beside a hello-world view, it
times the browse index (counts per category), category pages (first page, and a page
deep in the keyset), the search page with facets and the API with filters, and prints
p50/p95/p99. Target: p95 ≤ 50 ms for each.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _ok, _samples, in_own_database
from bench_search import _figures, _line, load_services

DATABASE = "bizportal_bench_browse"
TARGET_P95_MS = 50.0

CLASSIFY_SQL = """
WITH bench AS (
    SELECT id, row_number() OVER (ORDER BY id) AS i FROM catalog_service
    WHERE slug LIKE 'bench-%%'
),
numbered AS (
    SELECT id, kind, row_number() OVER (PARTITION BY kind ORDER BY code) AS n,
        count(*) OVER (PARTITION BY kind) AS total
    FROM catalog_category
    WHERE kind IN ('lifecycle', 'target_group') OR parent_id IS NOT NULL
)
INSERT INTO catalog_servicecategory (service_id, category_id)
SELECT DISTINCT bench.id, numbered.id FROM bench JOIN numbered ON
    (numbered.kind = 'lifecycle' AND numbered.n = 1 + bench.i %% numbered.total)
    OR (numbered.kind = 'target_group' AND numbered.n = 1 + (bench.i / 4) %% numbered.total)
    OR (numbered.kind = 'industry' AND bench.i %% 10 <> 0
        AND (numbered.n = 1 + (bench.i / 3) %% numbered.total
             OR (bench.i %% 3 = 0 AND numbered.n = 1 + (bench.i / 7) %% numbered.total)))
"""


def classify(connection: Any) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Parameters (none) so that "%%" reads as "%", as in the statement above.
        cursor.execute(CLASSIFY_SQL, [])
        cursor.execute(
            "UPDATE catalog_service SET all_industries = true "
            "WHERE slug LIKE 'bench-%%' AND id %% 10 = 0",
            [],
        )
        cursor.execute("VACUUM ANALYZE catalog_servicecategory")
        cursor.execute("VACUUM ANALYZE catalog_service")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=90_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    return in_own_database(DATABASE, lambda: _run(args), keep=args.keep)


def _deep_cursor(client: Any, path: str, pages: int) -> str:
    """The ``after`` cursor of page ``pages`` of a category page, by following the links."""
    url = path
    for _ in range(pages):
        page = _ok(client, url).content.decode()
        match = re.search(r'rel="next" href="\?after=([^"]+)"', page)
        assert match, url
        url = f"{path}?after={match.group(1)}"
    return url


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bizportal.catalog import demo as catalog
    from bizportal.catalog.models import Service, ServiceCategory

    call_command("migrate", verbosity=0)
    catalog.seed()
    loaded = load_services(connection, args.services)
    filed = classify(connection)
    published = Service.objects.filter(is_published=True).count()
    links = ServiceCategory.objects.count()
    print(f"{published:,} published services, {links:,} category links")
    print(f"(services loaded in {loaded:.1f} s, filed in {filed:.1f} s)")
    load = os.getloadavg()
    client = Client()
    deep = _deep_cursor(client, "/browse/lifecycle/start/", 20)
    three = {"lifecycle": "operate", "target_group": "sme", "industry": "G"}
    cases = [
        ("hello (/healthz)", "/healthz", {}),
        ("browse index (counts)", "/browse/", {}),
        ("lifecycle page, first", "/browse/lifecycle/start/", {}),
        ("lifecycle page, 21st (keyset)", deep, {}),
        ("target group page", "/browse/target_group/sme/", {}),
        ("industry section page (C)", "/browse/industry/C/", {}),
        ("industry division page (56)", "/browse/industry/56/", {}),
        ("search page, 2 facets", "/services/", {"lifecycle": "start", "target_group": "sme"}),
        ("search page, words + facets", "/services/", {"q": "อาหาร", "industry": "C"}),
        ("search page, industry=all", "/services/", {"industry": "all"}),
        ("API, 3 filters", "/api/v1/catalog/services/", three),
        ("API, words + filter", "/api/v1/catalog/services/", {"q": "food", "lifecycle": "start"}),
    ]  # fmt: skip
    results: dict[str, Any] = {}
    missed = []
    for label, path, params in cases:

        def call(path: str = path, params: dict[str, str] = params) -> Any:
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.status_code)
            return response

        figures = _figures(_samples(functools.partial(call), args.repeat))
        results[label] = figures
        print(f"  {label:<36} {_line(figures)}", flush=True)
        if figures["p95_ms"] > TARGET_P95_MS and label != "hello (/healthz)":
            missed.append(f"{label}: p95 {figures['p95_ms']} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench_browse-{stamp}.json").write_text(
        json.dumps(
            {
                "services": published,
                "links": links,
                "load_average_at_start": load,
                "load_average_at_end": os.getloadavg(),
                "results": results,
                "missed": missed,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"load average {load[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    print("targets met" if not missed else "TARGETS MISSED:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
