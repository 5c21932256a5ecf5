"""``python -m bizportal.sandbox_agency``: start the sandbox agency system.

Every option can also come from the environment as ``SANDBOX_AGENCY_<OPTION>`` (for
instance ``SANDBOX_AGENCY_CLIENT_SECRET``, ``SANDBOX_AGENCY_DELAY``), so a secret need
not appear in a process list; the command line wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .app import Agency
from .config import FAULT_MODES, Config

ENV_PREFIX = "SANDBOX_AGENCY_"

REQUIRED = None
# (option, type, default, help); a REQUIRED default must come from the line or the env.
OPTIONS: list[tuple[str, Callable[[str], Any], Any, str]] = [
    ("portal", str, REQUIRED, "the portal's base URL, e.g. http://127.0.0.1:8000"),
    ("client-id", str, REQUIRED, "this agency system's OAuth2 client id"),
    ("client-secret", str, REQUIRED, "its client secret"),
    ("db", Path, Path("var/sandbox-agency.sqlite3"), "the SQLite file"),
    ("host", str, "127.0.0.1", "address to listen on"),
    ("port", int, 8766, "port to listen on (0: any free port)"),
    ("jwks-file", Path, "", "read the portal's public keys from this JWKS file"),
    ("delay", float, 5.0, "seconds a forwarding waits before it is decided"),
    ("decide-interval", float, 0.5, "seconds between decider rounds"),
    ("correction-every", int, 5, "send back every n-th forwarding for correction (0: never)"),
    ("reject-area-over", float, 1000.0, "reject an area answer above this (m²)"),
    ("batch-poll", float, 60.0, "seconds between looks for new batches (0: no batches)"),
    ("retry-base", float, 2.0, "first callback retry after this many seconds (doubling)"),
    ("retry-max", float, 300.0, "longest wait between callback retries"),
    ("max-attempts", int, 20, "callback attempts before it is recorded as failed"),
    ("max-signature-age", float, 300.0, "oldest signature 'created' accepted, in seconds"),
    ("fault", str, "none", "fault mode: " + " | ".join(FAULT_MODES)),
    ("fault-rate", float, 1.0, "share of forwardings the fault affects (0..1)"),
    ("fault-seed", int, 9421, "seed of the fault draw (same seed, same failures)"),
    ("slow-seconds", float, 2.0, "how long 'slow' waits"),
    ("timeout-seconds", float, 30.0, "how long 'timeout' waits"),
    ("eservice-key-file", Path, "", "the e-service's private JWK (agency service at the portal)"),
    ("eservice-client-id", str, "", "its client id (default: 'client_id' in the key file)"),
    ("log-level", str, "INFO", "DEBUG, INFO, WARNING or ERROR"),
]


def parser() -> argparse.ArgumentParser:
    """The command line, each default taken from the environment when set there."""
    parse = argparse.ArgumentParser(
        prog="python -m bizportal.sandbox_agency",
        description="A sandbox agency system that speaks the portal's integration contract.",
    )
    for name, kind, default, text in OPTIONS:
        env = ENV_PREFIX + name.upper().replace("-", "_")
        value = os.environ.get(env, default)
        parse.add_argument(
            f"--{name}",
            type=kind,
            default=None if value in (None, "") else kind(value),
            required=value is None,
            choices=FAULT_MODES if name == "fault" else None,
            help=f"{text} (env {env})",
        )
    return parse


def config_from(args: argparse.Namespace) -> Config:
    values = vars(args).copy()
    values.pop("log_level")
    return Config(**values)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["accounting"]:  # the demo vendor's accounting software (a system user)
        from . import accounting

        return accounting.main(argv[1:])
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = config_from(args)
    config.db.parent.mkdir(parents=True, exist_ok=True)
    agency = Agency(config)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    agency.start()
    while not stop.wait(1.0):
        pass
    agency.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
