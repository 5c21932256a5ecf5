"""Demo data, contributed by each app and loaded in order by ``manage.py load_demo``.

Why a registry: the core sits at the bottom of the app tree and must not import the
apps above it. Each app's ``demo.py`` registers its loader here; the command finds
those modules with Django's ``autodiscover_modules`` (as the admin finds ``admin.py``).

A loader is idempotent (running ``load_demo`` twice leaves the same data) and returns
the demo logins it created, which the command prints for the person starting the demo.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
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
class Command:
    """A companion's command line and what it adds to the environment (its secrets, so
    that they do not show in the process list)."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


#: A process the demo server runs beside itself (a sandbox outside system, the sweeper):
#: returns its command, or None when it has nothing to run.
Companion = Callable[[], Command | None]


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    load: Loader
    atomic: bool = True


_loaders: dict[str, _Registered] = {}


def loader(name: str, *, order: int, atomic: bool = True) -> Callable[[Loader], Loader]:
    """Register an app's demo loader; lower ``order`` runs first (catalogue before people).

    A loader runs in one transaction unless ``atomic=False``: one whose journeys wait for
    an outside process (the sandbox agency calling the portal back) must commit as it
    goes, or that process would never see what it is called about."""

    def register(func: Loader) -> Loader:
        known = _loaders.get(name)
        if known is not None and known.load is not func:
            raise ValueError(f"demo loader {name!r} is already registered")
        _loaders[name] = _Registered(name, order, func, atomic)
        return func

    return register


_companions: dict[str, Companion] = {}


def companion(name: str) -> Callable[[Companion], Companion]:
    """Register a process ``manage.py serve`` starts beside the demo (demo profile only).

    Why: outside systems the demo talks to over HTTP (an agency's own licensing system)
    must run as their own processes, as they would in production, yet one command must
    start the whole demo."""

    def register(func: Companion) -> Companion:
        _companions[name] = func
        return func

    return register


#: Something that must run while the demo data is loaded (an outside service the
#: loaders call, such as the licence trust services): a context manager factory.
Surrounding = Callable[[], contextlib.AbstractContextManager[object]]
_surroundings: dict[str, Surrounding] = {}


def while_loading(name: str) -> Callable[[Surrounding], Surrounding]:
    """Register what ``load_demo`` enters around all loaders.

    Why: ``load_demo`` runs before ``serve --companions`` starts the outside services,
    yet some loaders need them (issuing a licence asks the TSA for a time stamp). The
    app that knows the service starts it for the duration of loading."""

    def register(func: Surrounding) -> Surrounding:
        _surroundings[name] = func
        return func

    return register


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Every registered :func:`while_loading` context, entered in name order."""
    autodiscover_modules("demo")
    with contextlib.ExitStack() as stack:
        for _name, surrounding in sorted(_surroundings.items()):
            stack.enter_context(surrounding())
        yield


def companions() -> list[tuple[str, Command]]:
    """The command of every registered companion that has something to run."""
    autodiscover_modules("demo")
    commands = []
    for name, command_of in sorted(_companions.items()):
        command = command_of()
        if command:
            commands.append((name, command))
    return commands


def loaders() -> list[tuple[str, Loader]]:
    """Every registered loader, in order (importing each app's ``demo`` module first)."""
    return [(r.name, r.load) for r in registered()]


def registered() -> list[_Registered]:
    """Every registered loader with how it runs, in order."""
    autodiscover_modules("demo")
    return sorted(_loaders.values(), key=lambda r: (r.order, r.name))


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


@companion("sweeper")
def _sweeper() -> Command:
    """The demo's cron: retries that wait for their backoff, the day's batches."""
    return Command(
        [sys.executable, str(settings.PROJECT_DIR / "manage.py"), "sweep", "--every", "20"]
    )
