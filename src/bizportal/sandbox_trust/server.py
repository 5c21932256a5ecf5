"""Serving the trust services: a threading WSGI server, in a thread or as a process."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import TrustServices


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per connection; daemon threads so a stop never waits for a client."""

    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr, and no Nagle delay on the small answers."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return


def make(host: str, port: int, key_dir: Path, trust_url: str | None = None) -> WSGIServer:
    """A bound server; with port 0 the OS picks one and ``trust_url`` defaults to it."""
    server = make_server(
        host,
        port,
        # The base URL is known only once bound (port 0); it is set just below.
        TrustServices(key_dir, trust_url or ""),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    application = server.get_app()
    assert isinstance(application, TrustServices)
    application.trust_url = (trust_url or f"http://{host}:{server.server_port}").rstrip("/")
    return server


@contextlib.contextmanager
def running(
    key_dir: Path, trust_url: str | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """The trust services in a background thread for the block; yields the base URL."""
    server = make(host, port, key_dir, trust_url)
    application = server.get_app()
    assert isinstance(application, TrustServices)
    thread = threading.Thread(target=server.serve_forever, name="sandbox-trust", daemon=True)
    thread.start()
    try:
        yield application.trust_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
