"""A container stop (SIGTERM to `manage.py serve`) lets gunicorn shut down gracefully,
finishing requests in flight, instead of killing it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.live
def test_sigterm_reaches_gunicorn_which_stops_gracefully(tmp_path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")},
        "BIZPORTAL_VAR_DIR": str(tmp_path),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
    }
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--no-worker", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    assert code == 0, output
    assert "Using worker: gthread" in output
    assert "Handling signal: term" in output
    assert "Shutting down: Master" in output
