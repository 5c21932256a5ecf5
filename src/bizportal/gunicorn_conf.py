"""gunicorn settings for `manage.py serve --workers N` and the container image.

Kept in a module (``--config python:bizportal.gunicorn_conf``) so the command line, the
Dockerfile and the Kubernetes manifests start the same server.
"""

from __future__ import annotations

import os
from typing import Any

# Access log lines on stdout, with the request id the reverse proxy or Django assigned.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# A request slower than this is a bug to fix, not a wait to extend.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
proc_name = "bizportal"


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead process's live gauges from the shared Prometheus directory."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
