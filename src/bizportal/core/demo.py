"""Demo data, contributed by each app and loaded in order by ``manage.py load_demo``.

Why a registry: the core sits at the bottom of the app tree and must not import the
apps above it. Each app's ``demo.py`` registers its loader here; the command finds
those modules with Django's ``autodiscover_modules`` (as the admin finds ``admin.py``).

A loader is idempotent (running ``load_demo`` twice leaves the same data) and returns
the demo logins it created, which the command prints for the person starting the demo.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class DemoLogin:
    """One account to print: which user group, where to sign in, with what."""

    group: str
    login: str
    password: str
    note: str = ""


Loader = Callable[[], list[DemoLogin]]


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    load: Loader


_loaders: dict[str, _Registered] = {}


def loader(name: str, *, order: int) -> Callable[[Loader], Loader]:
    """Register an app's demo loader; lower ``order`` runs first (catalogue before people)."""

    def register(func: Loader) -> Loader:
        known = _loaders.get(name)
        if known is not None and known.load is not func:
            raise ValueError(f"demo loader {name!r} is already registered")
        _loaders[name] = _Registered(name, order, func)
        return func

    return register


def loaders() -> list[tuple[str, Loader]]:
    """Every registered loader, in order (importing each app's ``demo`` module first)."""
    autodiscover_modules("demo")
    return [(r.name, r.load) for r in sorted(_loaders.values(), key=lambda r: (r.order, r.name))]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@contextlib.contextmanager
def serving() -> Iterator[str]:
    """Serve this portal on a free local port while demo data is loaded.

    Why: demo journeys cross provider boundaries (the juristic registry) over HTTP, as
    every journey does, but ``load_demo`` runs before the web server starts. Yields the
    base URL; the server stops when the block ends.
    """
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
