"""Benchmark: the task queue on the database backend against RQ on Redis.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_tasks.py [--tasks 2000 --workers 2]

Makes (and drops) the database ``bizportal_bench_tasks`` and uses Redis database 14
(``REDIS_URL``, default ``redis://127.0.0.1:6379/14``, emptied first). For each backend it
enqueues N real tasks (the outbox relay, which reads the outbox once) through django-tasks,
then starts W workers exactly as ``manage.py serve`` would (``db_worker`` / ``rqworker``)
and times the drain; then it measures pick-up latency, enqueue to finished, for single
tasks on an idle queue. Prints enqueues/s, tasks/s and latency p50/p95 per backend and
writes ``bench/results/bench_tasks-<time>.json``. There is no pass/fail target: this is
the measurement behind the choice of backend in docs/operator-guide.md ("Task queue").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "bizportal_bench_tasks"
BACKENDS = {
    "database": ("django_tasks_db.DatabaseBackend", ""),
    "rq": ("django_tasks_rq.RQBackend", ""),
    "rq-simple": ("django_tasks_rq.RQBackend", "rq.worker.SimpleWorker"),
}


def _database_url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--child", choices=sorted(BACKENDS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args)))
        return 0
    return _orchestrate(args)


def _orchestrate(args: argparse.Namespace) -> int:
    import psycopg

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL server (the bench makes its own database).")
        return 2
    admin = _database_url(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(server, BENCH_DB),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=environment,
        check=True,
    )
    results: dict[str, Any] = {"tasks": args.tasks, "workers": args.workers}
    try:
        for name, (backend, worker_class) in BACKENDS.items():
            child = subprocess.run(  # noqa: S603 - this script, re-run per backend
                [
                    sys.executable,
                    __file__,
                    "--child",
                    name,
                    "--tasks",
                    str(args.tasks),
                    "--workers",
                    str(args.workers),
                    "--latency-samples",
                    str(args.latency_samples),
                ],
                env={**environment, "TASKS_BACKEND": backend, "RQ_WORKER_CLASS": worker_class},
                check=True,
                capture_output=True,
                text=True,
            )
            results[name] = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _report(results)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench_tasks-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps({**results, "load_average": os.getloadavg()}, indent=2)
    )
    return 0


def _measure(args: argparse.Namespace) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    import django

    django.setup()
    from bizportal.core.management.commands.serve import worker_command
    from bizportal.core.tasks import deliver_outbox

    _empty_queue(args.child)
    started = time.perf_counter()
    for _ in range(args.tasks):
        deliver_outbox.enqueue()
    enqueue_seconds = time.perf_counter() - started

    workers = _start_workers(worker_command(), args.workers)
    try:
        started = time.perf_counter()
        _wait_until(lambda: _finished(args.child) >= args.tasks)
        drain_seconds = time.perf_counter() - started
        latencies = []
        for _ in range(args.latency_samples):
            began = time.perf_counter()
            result = deliver_outbox.enqueue()
            _wait_until(lambda r=result: _done(r), poll=0.002)
            latencies.append((time.perf_counter() - began) * 1000)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=20)
    return {
        "enqueues_per_second": round(args.tasks / enqueue_seconds, 1),
        "tasks_per_second": round(args.tasks / drain_seconds, 1),
        "latency_p50_ms": round(statistics.median(latencies), 1),
        "latency_p95_ms": round(_p(latencies, 0.95), 1),
    }


def _start_workers(command: list[str], count: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        for _ in range(count)
    ]


def _empty_queue(kind: str) -> None:
    if kind.startswith("rq"):
        import django_rq

        django_rq.get_connection("default").flushdb()
    else:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


def _finished(kind: str) -> int:
    if kind.startswith("rq"):
        import django_rq

        queue = django_rq.get_queue("default")
        return queue.finished_job_registry.count + queue.failed_job_registry.count
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.finished().count()


def _done(result: Any) -> bool:
    result.refresh()
    return bool(result.is_finished)


def _wait_until(condition: Any, poll: float = 0.05, limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not finish in time")
        time.sleep(poll)


def _report(results: dict[str, Any]) -> None:
    print(f"{results['tasks']} tasks, {results['workers']} workers")
    print(f"{'backend':10} {'enqueue/s':>10} {'tasks/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for name in BACKENDS:
        row = results[name]
        print(
            f"{name:10} {row['enqueues_per_second']:>10} {row['tasks_per_second']:>9} "
            f"{row['latency_p50_ms']:>8} {row['latency_p95_ms']:>8}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
