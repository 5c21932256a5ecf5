"""The sandbox trust services (TSA, OCSP, CRL) as a process beside a benchmark.

Every licence is signed PAdES B-LT, which asks the time-stamping authority and the OCSP
responder at ``LICENCE_TRUST_URL``: a bench that issues licences (in process, or in the
server and workers it starts) needs them running on the same development CA directory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

SRC = Path(__file__).resolve().parents[1] / "src"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def trust_services(key_dir: Path | str, port: int = 0) -> Iterator[str]:
    """Run ``python -m bizportal.sandbox_trust`` for the block; sets LICENCE_KEY_DIR and
    LICENCE_TRUST_URL in this process's environment (children inherit them) and yields
    the URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ["LICENCE_KEY_DIR"] = str(key_dir)
    os.environ["LICENCE_TRUST_URL"] = url
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bizportal.sandbox_trust", "--port", str(port)],
        env=dict(os.environ),
        cwd=SRC,  # python -m finds this checkout's package from here
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            if process.poll() is not None:
                raise SystemExit(f"the trust services stopped at once (port {port} busy?)")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/_sandbox/health", timeout=1).ok:
                    break
            time.sleep(0.2)
        else:
            raise SystemExit(f"the trust services did not start on {url}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
