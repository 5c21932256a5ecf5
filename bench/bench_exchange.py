"""Benchmark: the exchange gateway against calling the sandbox civil registry directly.

Run:  .venv/bin/python bench/bench_exchange.py [--requests 2000] [--workers 4]   (SQLite)
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_exchange.py                             (PostgreSQL)

Makes a throw-away database (SQLite in a temp folder, or ``bizportal_bench_exchange`` on
the PostgreSQL server of DATABASE_URL, dropped at the end), seeds the demo catalogue, the
demo officers and the sandbox civil registry, and describes the civil registry as a data
service with a BMA mission rule for the food-shop licence (as tests/exchange do). The
provider is the sandbox registry served by the real web server in its own process
(``manage.py serve --no-worker``), reached over HTTP with its bearer token, exactly as
``registries.client`` reaches a real registry.

The same request is then made ``--requests`` times, one at a time and from ``--workers``
threads at once, two ways side by side:

* **direct**: ``registries.client.fetch_person`` (HTTP, parse, audit row);
* **gateway**: ``exchange.gateway.fetch`` for two fields on the mission basis (settle the
  consumer and basis, the same client call through the ``civil_registry`` connector,
  filter the fields, append a signed entry to the hash-chained message log).

Each is run in ``--rounds`` alternating rounds so a change in the machine's load falls
on both. Prints requests/s and p50/p99 per way, the throughput ratio gateway ÷ direct
and the gateway's added latency (p50 and p99 of gateway minus those of direct), checks
the message log (``exchange.log.verify()`` holds, one answered entry per gateway request)
and writes ``bench/results/bench_exchange-<time>.json``. ``--profile`` adds a cProfile of
gateway requests. Exits non-zero when the ratio is below 0.5 (sequential or concurrent)
or the log does not verify. X-Road deployments report about 0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import ROOT, _drop_database, _p, _recreate_database, _server_url

sys.path.insert(0, str(ROOT / "src"))
DATABASE = "bizportal_bench_exchange"
TARGET_RATIO = 0.5
DATA_SERVICE = "civil-person"
FIELDS = ["address", "full_name_th"]  # sorted, as an answer lists them
WARM_UP = 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per way and mode")
    parser.add_argument("--workers", type=int, default=4, help="threads in the concurrent mode")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per mode")
    parser.add_argument("--port", type=int, default=8947)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N requests")
    parser.add_argument("--no-results", action="store_true", help="do not write the JSON")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bizportal-bench-exchange-")
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgres")
    if postgres:
        _recreate_database(url, DATABASE)
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bizportal.settings",
        "DATABASE_URL": _server_url(url, DATABASE) if postgres else f"sqlite:///{tmp}/b.sqlite3",
        "BIZPORTAL_VAR_DIR": tmp,
        "BIZPORTAL_BASE_URL": base,
        "BIZPORTAL_PROFILE": "demo",  # the sandbox registry and a generated signing key
        "CIVIL_REGISTRY_URL": f"{base}/sandbox/registries/civil",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    server: subprocess.Popen[bytes] | None = None
    try:
        import django

        django.setup()
        consumer, citizen_id = _seed()
        server = _serve(env, args.port)
        return _run(args, consumer, citizen_id, postgres)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        from django.db import connections

        connections.close_all()
        if postgres:
            _drop_database(url, DATABASE)
        shutil.rmtree(tmp, ignore_errors=True)


def _seed() -> tuple[Any, str]:
    """The demo catalogue and officers, the sandbox registry's people, the civil registry
    as a data service and the BMA's mission to read two of its fields for a food shop."""
    from django.core.management import call_command

    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog
    from bizportal.catalog.models import Agency, Service
    from bizportal.exchange.gateway import Consumer
    from bizportal.exchange.models import DataService, MissionRule
    from bizportal.identity.models import User
    from bizportal.registries import demo as registry
    from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

    call_command("migrate", verbosity=0)
    catalog.seed()
    staff.seed()
    registry.seed()
    civil = DataService.objects.create(
        code=DATA_SERVICE,
        provider=Agency.objects.get(code="dopa"),
        name_th="ข้อมูลทะเบียนราษฎร",
        name_en="Civil registry person record",
        subject_kind="person",
        fields=[
            {"name": name, "label_th": name, "pdpa": "personal"}
            for name in ("citizen_id", "full_name_th", "birth_date", "address")
        ],
        legal_basis_th="พระราชบัญญัติการทะเบียนราษฎร พ.ศ. 2534",
        connector="civil_registry",
    )
    officer = User.objects.get(username="officer.bma")
    MissionRule.objects.create(
        agency=officer.agency,
        data_service=civil,
        service=Service.objects.get(slug="food-shop-licence"),
        fields=FIELDS,
        legal_basis_th="พระราชบัญญัติการสาธารณสุข พ.ศ. 2535 มาตรา 56",
    )
    return Consumer(officer.agency.code, "bench", officer), DEMO_IDENTITIES[0].citizen_id


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The sandbox registry behind the real web server, in its own process."""
    from django.db import connections

    connections.close_all()  # the server opens its own; SQLite sees our committed seed
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "serve", "--no-worker", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the sandbox registry's server did not start")


def _run(args: argparse.Namespace, consumer: Any, citizen_id: str, postgres: bool) -> int:
    from bizportal.exchange import gateway, log
    from bizportal.exchange.gateway import Purpose
    from bizportal.exchange.models import MessageLogEntry, Outcome
    from bizportal.registries import client

    def direct(n: int) -> None:
        client.fetch_person(citizen_id, actor=consumer.officer, purpose=f"application=BENCH-{n}")

    def through_gateway(n: int) -> None:
        purpose = Purpose(service="food-shop-licence", application=f"BENCH-{n}", step="review")
        answer = gateway.fetch(consumer, DATA_SERVICE, citizen_id, FIELDS, purpose)
        assert sorted(answer.data) == FIELDS, answer.data

    ways: dict[str, Callable[[int], None]] = {"direct": direct, "gateway": through_gateway}
    for n in range(WARM_UP):
        for call in ways.values():
            call(n)
    load = os.getloadavg()
    results: dict[str, Any] = {}
    for mode, workers in (("sequential", 1), (f"{args.workers} threads", args.workers)):
        results[mode] = _measure(ways, args.requests, workers, args.rounds)
        _print(mode, results[mode])
    profile = _profile(through_gateway, args.profile) if args.profile else ""
    if profile:
        print(profile)
    expected = WARM_UP + 2 * args.requests + args.profile
    report = log.verify()
    answered = MessageLogEntry.objects.filter(outcome=Outcome.ANSWERED).count()
    log_ok = report.holds and report.checked == expected and answered == expected
    print(
        f"message log: {report.checked} entries checked ({expected} expected, {answered} "
        f"answered), {'verifies' if report.holds else 'DOES NOT VERIFY'}"
    )
    for problem in report.problems[:10]:
        print(f"  {problem}")
    missed = [
        f"{mode}: ratio {figures['ratio']} < {TARGET_RATIO}"
        for mode, figures in results.items()
        if figures["ratio"] < TARGET_RATIO
    ]
    if not log_ok:
        missed.append("message log")
    print(f"load average {load[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    if not args.no_results:
        _write(
            {
                "database": "postgresql" if postgres else "sqlite",
                "requests": args.requests,
                "workers": args.workers,
                "rounds": args.rounds,
                "load_average_at_start": load,
                "load_average_at_end": os.getloadavg(),
                "results": results,
                "message_log": {
                    "checked": report.checked,
                    "expected": expected,
                    "answered": answered,
                    "problems": report.problems[:10],
                },
                "profile": profile,
                "missed": missed,
            }
        )
    print("target met" if not missed else "TARGET MISSED:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


def _measure(
    ways: dict[str, Callable[[int], None]], count: int, workers: int, rounds: int
) -> dict[str, Any]:
    """``count`` calls of each way from ``workers`` threads, in alternating rounds."""
    samples: dict[str, list[float]] = {way: [] for way in ways}
    elapsed = dict.fromkeys(ways, 0.0)
    per_round = [count // rounds + (1 if r < count % rounds else 0) for r in range(rounds)]
    for size in per_round:
        for way, call in ways.items():
            seconds, latencies = _batch(call, size, workers)
            elapsed[way] += seconds
            samples[way] += latencies
    figures: dict[str, Any] = {
        way: {
            "requests": len(samples[way]),
            "per_second": round(len(samples[way]) / elapsed[way], 1),
            "p50_ms": round(statistics.median(samples[way]), 2),
            "p99_ms": round(_p(samples[way], 0.99), 2),
        }
        for way in ways
    }
    direct, gateway = figures["direct"], figures["gateway"]
    figures["ratio"] = round(gateway["per_second"] / direct["per_second"], 3)
    figures["added_p50_ms"] = round(gateway["p50_ms"] - direct["p50_ms"], 2)
    figures["added_p99_ms"] = round(gateway["p99_ms"] - direct["p99_ms"], 2)
    return figures


def _batch(call: Callable[[int], None], count: int, workers: int) -> tuple[float, list[float]]:
    """Wall-clock seconds for ``count`` calls shared by ``workers`` threads, and each
    call's latency in ms. Every thread closes its own database connection at the end."""
    from django.db import connections

    numbers = iter(range(count))
    lock = threading.Lock()
    latencies: list[float] = []

    def worker() -> None:
        try:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                started = time.perf_counter()
                call(n)
                latency = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(latency)
        finally:
            if workers > 1:
                connections.close_all()

    started = time.perf_counter()
    if workers == 1:
        worker()
    else:
        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(worker) for _ in range(workers)]:
                future.result()
    return time.perf_counter() - started, latencies


def _profile(call: Callable[[int], None], count: int) -> str:
    """Where a gateway request's time goes: the top functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(count):
        call(n)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def _print(mode: str, figures: dict[str, Any]) -> None:
    print(f"{mode}:")
    for way in ("direct", "gateway"):
        f = figures[way]
        print(
            f"  {way:<8} {f['per_second']:8.1f} req/s   p50 {f['p50_ms']:7.2f}  "
            f"p99 {f['p99_ms']:7.2f} ms"
        )
    print(
        f"  ratio {figures['ratio']:.3f} (target ≥ {TARGET_RATIO})   added latency "
        f"p50 {figures['added_p50_ms']:+.2f}  p99 {figures['added_p99_ms']:+.2f} ms",
        flush=True,
    )


def _write(result: dict[str, Any]) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"bench_exchange-{stamp}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2)
    )


if __name__ == "__main__":
    raise SystemExit(main())
