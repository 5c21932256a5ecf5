"""Benchmark: submissions per second end to end, at 1, 4 and 16 concurrent clients.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/bench_submissions.py [--workers 2 --threads 8]

Makes (and drops) the database ``bizportal_bench``, prepares complete drafts through the
services (one entrepreneur each: answers and a PDF attached), then starts the real server
(``manage.py serve --workers N``: gunicorn, gthread) and lets C clients submit them over
HTTP (``POST /api/v1/applications/<id>/submit/``, session cookie and CSRF header, as a
browser's script would). Beside it, the same clients call ``/healthz``. Prints
submissions/s, p50/p99 and errors per client count, writes
``bench/results/bench_submissions-<time>.json``; targets: ≥ 150 submissions/s at 16
clients with 0 errors.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lists import BENCH_DB, ROOT, _drop_database, _recreate_database, _server_url

sys.path.insert(0, str(ROOT / "src"))
TARGET_PER_SECOND = 150
CLIENTS = (1, 4, 16)


def _prepare(count: int) -> list[tuple[str, str]]:
    """``count`` complete drafts, each with its own entrepreneur and session key."""
    import io

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from stdnum.th import pin

    from bizportal.applications import services
    from bizportal.catalog.models import Service
    from bizportal.identity.models import User
    from bizportal.identity.services import ensure_person_party

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PDF")
    pdf = buffer.getvalue()
    service = Service.objects.get(slug="food-shop-licence")
    drafts = []
    for n in range(count):
        first12 = f"3{n:011d}"
        citizen = first12 + str(pin.calc_check_digit(first12))
        user = User.objects.create(
            username=f"bench-{n}",
            role="applicant",
            citizen_id=citizen,
            full_name_th=f"ผู้ประกอบการ {n}",
            email=f"bench{n}@example.test",
            identity_assurance="2.3",
        )
        ensure_person_party(user)
        draft = services.start_application(service, user)
        services.save_answers(
            draft,
            {
                "phone": "0812345678",
                "email": user.email,
                "business_name": f"ร้าน {n}",
                "business_address": "12 ซอยอารีย์ 1 แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร",
                "area_sqm": 80,
                "seats": 20,
                "premises": "owned",
                "manager_citizen_id": "3101700123452",
            },
            actor=user,
        )
        upload = SimpleUploadedFile("plan.pdf", pdf, content_type="application/pdf")
        services.attach_document(draft, "floor_plan", upload, actor=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        drafts.append((str(draft.public_id), session.session_key or ""))
    return drafts


def _start_server(port: int, workers: int, threads: int, env: dict[str, str]) -> Any:
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--no-worker",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def _submit(base: str, draft: tuple[str, str]) -> tuple[float, int]:
    public_id, session_key = draft
    token = secrets.token_hex(16)
    started = time.perf_counter()
    answer = requests.post(
        f"{base}/api/v1/applications/{public_id}/submit/",
        json={"accept_terms": True},
        cookies={"sessionid": session_key, "csrftoken": token},
        headers={"X-CSRFToken": token, "Referer": base + "/"},
        timeout=30,
    )
    if answer.status_code != 200 and not FIRST_ERROR:
        FIRST_ERROR.append(f"{answer.status_code} {answer.text[:300]}")
    return (time.perf_counter() - started) * 1000, answer.status_code


FIRST_ERROR: list[str] = []


def _hello(base: str, _: Any) -> tuple[float, int]:
    started = time.perf_counter()
    answer = requests.get(f"{base}/healthz", timeout=30)
    return (time.perf_counter() - started) * 1000, answer.status_code


def _run_clients(func: Any, base: str, items: list[Any], clients: int) -> dict[str, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(lambda item: func(base, item), items))
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for ms, _ in outcomes)
    errors = sum(1 for _, status in outcomes if status != 200)
    return {
        "per_second": round(len(items) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
        "errors": errors,
        "requests": len(items),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-client", type=int, default=40, help="submissions per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server (the bench makes its own database)")
        return 2
    _recreate_database(url)
    bench_url = _server_url(url, BENCH_DB)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bizportal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bizportal.catalog import demo as catalog

    server = None
    try:
        call_command("migrate", verbosity=0)
        catalog.seed()
        total = sum(clients * args.per_client for clients in CLIENTS)
        started = time.perf_counter()
        drafts = _prepare(total)
        print(f"prepared {total} drafts in {time.perf_counter() - started:.1f} s")
        connections.close_all()
        env = {
            **os.environ,
            "DATABASE_URL": bench_url,
            "DATABASE_POOL_SIZE": str(args.threads),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        server = _start_server(args.port, args.workers, args.threads, env)
        base = f"http://127.0.0.1:{args.port}"
        results: dict[str, dict[str, dict[str, float]]] = {}
        print(f"server: {args.workers} processes × {args.threads} threads (gunicorn gthread)")
        for clients in CLIENTS:
            batch, drafts = drafts[: clients * args.per_client], drafts[clients * args.per_client :]
            hello = _run_clients(_hello, base, list(range(len(batch))), clients)
            submitted = _run_clients(_submit, base, batch, clients)
            results[str(clients)] = {"hello": hello, "submit": submitted}
            print(
                f"{clients:>2} clients: submit {submitted['per_second']:6.1f}/s "
                f"p50 {submitted['p50_ms']:6.1f} ms p99 {submitted['p99_ms']:6.1f} ms "
                f"errors {submitted['errors']}   (hello {hello['per_second']:6.1f}/s)"
            )
        if FIRST_ERROR:
            print("first error:", FIRST_ERROR[0])
        top = results[str(max(CLIENTS))]["submit"]
        errors = sum(r["submit"]["errors"] for r in results.values())
        ok = top["per_second"] >= TARGET_PER_SECOND and errors == 0
        out = ROOT / "bench" / "results"
        out.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (out / f"bench_submissions-{stamp}.json").write_text(
            json.dumps({"results": results, "target_met": ok}, indent=2)
        )
        print(
            "targets met"
            if ok
            else f"TARGETS MISSED: {top['per_second']}/s at {max(CLIENTS)} clients "
            f"(target {TARGET_PER_SECOND}/s), {errors} errors"
        )
        return 0 if ok else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        connections.close_all()
        _drop_database(url)


if __name__ == "__main__":
    raise SystemExit(main())
