"""Serve the web application and, alongside it, the background task worker.

One process with waitress threads by default (any platform, ``make demo``); with
``--workers N`` (N > 1, Linux and macOS) gunicorn runs N processes of ``--threads`` threads
each (gthread workers), which is how a production node uses all its cores.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from waitress import serve


class Command(BaseCommand):
    help = "Serve Biz Portal with waitress (threaded) and run the task worker next to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--workers", type=int, default=1, help="web processes (more than 1: gunicorn)"
        )
        parser.add_argument("--no-worker", action="store_true", help="serve the web only")

    def handle(self, *args: Any, **options: Any) -> None:
        application = get_wsgi_application()
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [
                    sys.executable,
                    str(settings.PROJECT_DIR / "manage.py"),
                    "db_worker",
                    "--interval",
                    "0.5",
                ],
            )

        def stop(*_: Any) -> None:
            if worker is not None:
                worker.terminate()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Serving on http://{options['host']}:{options['port']}/ (Ctrl-C to stop)"
        )
        try:
            if options["workers"] > 1:
                self._gunicorn(options)
            else:
                # Several threads: the sign-in callback calls the embedded Digital ID
                # sandbox on this same server over HTTP.
                serve(
                    application,
                    host=options["host"],
                    port=options["port"],
                    threads=options["threads"],
                    # No Server banner: what runs here is nobody else's business.
                    ident="",
                )
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

    @staticmethod
    def _gunicorn(options: dict[str, Any]) -> None:
        """Run gunicorn in the foreground (it handles its own signals and workers)."""
        subprocess.run(  # noqa: S603 - our own interpreter and gunicorn's module
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bizportal.wsgi:application",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                str(options["workers"]),
                "--worker-class",
                "gthread",
                "--threads",
                str(options["threads"]),
                "--access-logfile",
                "-",
            ],
            check=False,
        )
