"""Serve the web application and, alongside it, the background task worker.

One process with waitress threads by default (any platform, ``make demo``); with
``--workers N`` (N > 1, Linux and macOS) gunicorn runs N processes of ``--threads`` threads
each (gthread workers), which is how a production node uses all its cores. With
``--asgi`` (or ``SERVE_ASGI=1``) daphne serves the ASGI application instead: the same
pages plus the live chat's WebSockets.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.core.wsgi import get_wsgi_application
from waitress import serve

from bizportal.core import demo


class Command(BaseCommand):
    help = "Serve Biz Portal with waitress (threaded) and run the task worker next to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=settings.WEB_THREADS)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_CONCURRENCY,
            help="web processes (more than 1: gunicorn); default WEB_CONCURRENCY or 1",
        )
        parser.add_argument("--no-worker", action="store_true", help="serve the web only")
        parser.add_argument(
            "--asgi",
            action="store_true",
            default=settings.SERVE_ASGI,
            help="serve with daphne (ASGI): the pages and the live chat's WebSockets; "
            "default SERVE_ASGI or off (waitress: pages only, chat pages reload instead)",
        )
        parser.add_argument(
            "--companions",
            action="store_true",
            help="demo profile: also start the sandbox outside systems and a sweeper (make demo)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        application = get_wsgi_application()
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(worker_command())  # noqa: S603 - our own manage.py
        companions = self._start_companions() if options["companions"] else []

        self._gunicorn_process: subprocess.Popen[bytes] | None = None

        def stop(*_: Any) -> None:
            for process in companions:
                process.terminate()
            if worker is not None:
                worker.terminate()
            if self._gunicorn_process is not None:
                # A container or pod stopping sends SIGTERM: pass it on, so gunicorn
                # finishes the requests in flight instead of being killed mid-response;
                # handle() returns once it has exited.
                self._gunicorn_process.terminate()
                return
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Serving on http://{options['host']}:{options['port']}/ (Ctrl-C to stop)"
        )
        try:
            if options["asgi"]:
                self._daphne(options)
            elif options["workers"] > 1:
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
            for process in companions:
                process.terminate()
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)

    def _start_companions(self) -> list[subprocess.Popen[bytes]]:
        """The demo's outside systems and cron stand-in, each its own process."""
        if not getattr(settings, "BIZPORTAL_DEMO", False):
            return []
        started = []
        for name, command in demo.companions():
            self.stdout.write(f"Starting {name}: {' '.join(command.args[1:4])} ...")
            environment = {**os.environ, **command.env}
            started.append(subprocess.Popen(command.args, env=environment))  # noqa: S603
        return started

    def _gunicorn(self, options: dict[str, Any]) -> None:
        """Run gunicorn in the foreground (it handles its own signals and workers).

        The processes share their Prometheus samples through a directory that is emptied
        at start, so /metrics adds up every process, not whichever one answered.
        """
        metrics_dir = Path(settings.VAR_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        self._gunicorn_process = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn
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
                "--config",
                "python:bizportal.gunicorn_conf",
            ],
            env=environment,
        )
        self._gunicorn_process.wait()

    def _daphne(self, options: dict[str, Any]) -> None:
        """Run daphne in the foreground: HTTP and WebSockets from ``bizportal.asgi``.
        Several of them (behind a load balancer) share chat pushes through
        ``CHANNEL_LAYER_URL`` (Redis)."""
        self._gunicorn_process = subprocess.Popen(  # noqa: S603 - our interpreter, daphne
            [
                sys.executable,
                "-m",
                "daphne",
                "--bind",
                options["host"],
                "--port",
                str(options["port"]),
                "--no-server-name",
                "bizportal.asgi:application",
            ],
        )
        self._gunicorn_process.wait()


def worker_command() -> list[str]:
    """The task worker for the configured backend: the database poller or an RQ worker."""
    manage = [sys.executable, str(settings.PROJECT_DIR / "manage.py")]
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
        command = [*manage, "rqworker", "default", "--job-class", "django_tasks_rq.Job"]
        if settings.RQ_WORKER_CLASS:
            command += ["--worker-class", settings.RQ_WORKER_CLASS]
        return command
    return [*manage, "db_worker", "--interval", "0.5"]
