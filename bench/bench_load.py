"""Benchmark: mixed load for ten minutes at 200 requests/s (``bench/locustfile.py``).

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_load.py [--users 200 --time 10m]

Needs the ``bench`` extra (``pip install -e ".[bench]"``: locust). Makes (and drops) its
own database ``bizportal_bench_load``: the demo catalogue and staff, 90,000 services,
100,000 applications (the worklists' load, as in ``bench_lists.py``), 20 issued
licences and a signed-in session per demo officer. Starts ``manage.py serve --workers 2``
(gunicorn gthread, psycopg pool) and runs locust headless against it; users each make
one request per second, so ``--users 200`` offers 200 requests/s. Samples the load
average every 15 s while it runs (the machine is shared), writes locust's CSVs and
``bench/results/bench_load-<time>.json``. Targets: p99 < 200 ms over all requests,
0 errors.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _drop_database, _grow, _recreate_database, _server_url
from bench_submissions import _start_server
from trust_services import trust_services

sys.path.insert(0, str(ROOT / "src"))
DATABASE = "bizportal_bench_load"
TARGET_P99_MS = 200.0


def _officer_sessions() -> list[str]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    from bizportal.identity import services
    from bizportal.identity.models import User

    keys = []
    for officer in User.objects.filter(username__startswith="officer."):
        # Signed in with the second factor, as an officer's browser session is.
        device = services.staff_totp_device(officer) or services.totp_device_to_enrol(officer)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        session = SessionStore()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[SESSION_KEY] = str(officer.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = officer.get_session_auth_hash()
        session.create()
        keys.append(session.session_key or "")
    return keys


def _prepare(services: int, applications: int) -> dict[str, str]:
    from bench_licences import issue_licences
    from bench_search import load_services
    from django.core.management import call_command
    from django.db import connection

    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog

    call_command("migrate", verbosity=0)
    catalog.seed()
    staff.seed()
    load_services(connection, services)
    _grow(connection, 0, applications)
    numbers = [licence.number for licence in issue_licences(20)]
    return {
        "BENCH_LICENCES": ",".join(numbers),
        "BENCH_OFFICER_SESSIONS": ",".join(_officer_sessions()),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--time", default="10m")
    parser.add_argument("--services", type=int, default=90_000)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8937)
    parser.add_argument("--exclude-tags", default="", help="locust tags to leave out, e.g. home")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server (the bench makes its own database)")
        return 2
    _recreate_database(url, DATABASE)
    scratch = tempfile.TemporaryDirectory(prefix="bench-load-")
    bench_url = _server_url(url, DATABASE)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["BIZPORTAL_MEDIA_ROOT"] = str(Path(scratch.name) / "media")
    os.environ["LICENCE_KEY_DIR"] = str(Path(scratch.name) / "dev_ca")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    # licences are signed B-LT: the sandbox TSA/OCSP for this bench's dev CA
    trust = contextlib.ExitStack()
    trust.enter_context(trust_services(os.environ["LICENCE_KEY_DIR"]))
    import django

    django.setup()
    from django.db import connections

    server = None
    try:
        started = time.perf_counter()
        prepared = _prepare(args.services, args.applications)
        print(f"prepared in {time.perf_counter() - started:.0f} s")
        connections.close_all()
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "DATABASE_POOL_SIZE": str(args.threads),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Every simulated user comes from this one address: the per-address limit on
            # licence lookups (60/min) would refuse the load itself.
            "RATE_LIMIT_VERIFY": "1000000/m",
        }
        server = _start_server(args.port, args.workers, args.threads, env)
        return _run_locust(args, {**os.environ, **prepared})
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        trust.close()
        connections.close_all()
        _drop_database(url, DATABASE)
        scratch.cleanup()


def _run_locust(args: argparse.Namespace, env: dict[str, str]) -> int:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    prefix = out / f"locust-{stamp}"
    loads: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        begun = time.time()
        while not done.wait(15):
            loads.append((round(time.time() - begun), os.getloadavg()[0]))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        args.time,
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--csv",
        str(prefix),
        "--only-summary",
    ]
    if args.exclude_tags:
        command += ["--exclude-tags", *args.exclude_tags.split(",")]
    print("running:", " ".join(command))
    subprocess.run(command, env=env, check=False)  # noqa: S603 - our own locust
    done.set()
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    per_name = {
        row["Name"]: {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "per_second": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }
        for row in rows
    }
    total = per_name["Aggregated"]
    averages = [load for _, load in loads]
    ok = total["p99_ms"] < TARGET_P99_MS and total["failures"] == 0
    result: dict[str, Any] = {
        "users": args.users,
        "excluded_tags": args.exclude_tags,
        "duration": args.time,
        "results": per_name,
        "load_average": {
            "samples": loads,
            "mean": round(sum(averages) / len(averages), 2) if averages else None,
            "max": max(averages, default=None),
        },
        "target_met": ok,
    }
    (out / f"bench_load-{stamp}.json").write_text(json.dumps(result, indent=2))
    for name, figures in per_name.items():
        print(
            f"  {name:<24} {figures['per_second']:6.1f}/s  p50 {figures['p50_ms']:6.0f}  "
            f"p95 {figures['p95_ms']:6.0f}  p99 {figures['p99_ms']:6.0f} ms  "
            f"failures {figures['failures']}"
        )
    print(f"load average: mean {result['load_average']['mean']}, max {max(averages, default=0)}")
    print(
        "targets met"
        if ok
        else f"TARGETS MISSED: p99 {total['p99_ms']} ms (target < {TARGET_P99_MS}), "
        f"{total['failures']} failures"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
