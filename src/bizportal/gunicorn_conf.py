"""gunicorn settings for `manage.py serve --workers N` and the container image.

Kept in a module (``--config python:bizportal.gunicorn_conf``) so the command line, the
Dockerfile and the Kubernetes manifests start the same server.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.http import wsgi as _gunicorn_wsgi

# Access log lines on stdout, with the request id the reverse proxy or Django assigned.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# A request slower than this is a bug to fix, not a wait to extend.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
proc_name = "bizportal"


def prepare_worker() -> None:
    """Load what every request shares, then hide it from the garbage collector.

    A worker holds some 650,000 long-lived objects (Django, the Thai word dictionary
    PyThaiNLP loads on the first search, templates); each full collection walked them
    all and stalled a request for 250–450 ms about once in a hundred (the search
    benchmark's p99). ``gc.freeze()`` moves them out of the collector's generations;
    what requests allocate is still collected."""
    from bizportal.catalog.search import warm_up

    warm_up()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    prepare_worker()


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead process's live gauges from the shared Prometheus directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _without_server_banner(default_headers: Any) -> Any:
    def headers(self: Any) -> list[str]:
        return [h for h in default_headers(self) if not h.lower().startswith("server:")]

    return headers


# gunicorn writes "Server: gunicorn" into every response and has no setting to stop it
# (its Response.default_headers builds the line); naming the server software helps
# nobody but a scanner (ASVS 14.3.3). Loaded once in the master, before workers fork.
_gunicorn_wsgi.Response.default_headers = _without_server_banner(  # type: ignore[method-assign]
    _gunicorn_wsgi.Response.default_headers
)
