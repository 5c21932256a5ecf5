"""Benchmark: officer worklist and catalogue search at volume.

Run:  .venv/bin/python bench/bench_worklist.py [--applications 20000]

Creates a throw-away database (SQLite in a temp folder unless DATABASE_URL is set),
bulk-loads applications for one agency, then times the first worklist page, a page
deep in the list (keyset cursor), and a Thai catalogue search. Targets (2-core
machine): each worklist page under 25 ms median on SQLite, and the deep page within
3x the first (keyset pagination: no OFFSET scan).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bizportal-bench-")
    os.environ.setdefault("BIZPORTAL_VAR_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from bizportal.applications import selectors
    from bizportal.applications.models import Application
    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog
    from bizportal.catalog.models import Service
    from bizportal.catalog.search import search
    from bizportal.identity.models import User
    from bizportal.identity.services import ensure_person_party

    catalog.seed()
    staff.seed()
    service = Service.objects.get(slug="food-shop-licence")
    officer = User.objects.get(username="officer.bma")
    applicant = User.objects.create(
        username="bench-applicant", role="applicant", citizen_id="2000000000001"
    )
    party = ensure_person_party(applicant)
    now = timezone.now()
    batch = [
        Application(
            service=service, agency_id=service.agency_id, applicant=applicant, party=party,
            status="review",
            reference=f"BP-BENCH-{i:07d}", submitted_at=now - timezone.timedelta(seconds=args.applications - i),
            terms_accepted_at=now, data={"business_name": f"ร้าน {i}"},
        )
        for i in range(args.applications)
    ]
    started = time.perf_counter()
    Application.objects.bulk_create(batch, batch_size=2000)
    print(f"bulk-loaded {args.applications} applications in {time.perf_counter() - started:.2f}s")

    def timed(label: str, func) -> list[float]:  # type: ignore[no-untyped-def]
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            func()
            samples.append((time.perf_counter() - t0) * 1000)
        print(f"{label:<34} median {statistics.median(samples):7.2f} ms   p95 {sorted(samples)[int(0.95 * len(samples)) - 1]:7.2f} ms")
        return samples

    first = timed("worklist first page", lambda: selectors.worklist(officer))
    cursor = ""
    for _ in range(args.applications // 25 // 2):  # walk to the middle of the list
        cursor = selectors.worklist(officer, cursor=cursor).next_cursor
    deep = timed("worklist page in the middle", lambda: selectors.worklist(officer, cursor=cursor))
    timed("search 'จำหน่ายอาหาร'", lambda: list(search("จำหน่ายอาหาร")))
    ok = statistics.median(first) < 25 and statistics.median(deep) < 3 * max(statistics.median(first), 1)
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
