"""Fault injection for crash tests: kill this process at a named point, on request only.

Why in product code: the only honest way to show that a crash at the worst moment (the
licence signed but not committed, the settlement applied but the bank's delivery not
recorded) loses and duplicates nothing is to crash a real worker exactly there. A
timer from outside rarely lands inside a transaction that lasts milliseconds.

Inert unless the environment variable ``BIZPORTAL_FAULT_KILL_AT`` is set: then
:func:`point` sends ``SIGKILL`` to its own process (no ``finally``, no rollback
handler, no atexit: what a power cut or the OOM killer does) when the named point is
reached. The value is ``point`` or ``point:N`` (the N-th time this process reaches
it; default the first). Never set it in production; the tests and
``bench/bench_faults.py`` set it on the worker processes they start. The points
are listed in :data:`POINTS` and in docs/operator-guide.md ("Crash recovery").
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "BIZPORTAL_FAULT_KILL_AT"

#: Every point the code declares, so a typo in a test or the bench is caught.
POINTS = frozenset(
    {
        # core.outbox: a subscriber's writes are done, the message not yet marked
        # delivered, nothing committed.
        "outbox.before_commit",
        # core.outbox: one message committed; the relay task still RUNNING.
        "outbox.after_commit",
        # licences.services: number taken, register row and version written with their
        # signing task, nothing committed.
        "licence.signed",
        # licences.services.sign_version: the signed PDF is stored and the version row
        # updated, nothing committed (the task stays RUNNING; the file is orphaned).
        "licence.document_stored",
        # payments sandbox bank: the portal answered the webhook (settlement
        # committed there), the bank has not recorded the answer.
        "sandbox.webhook_answered",
    }
)

_reached: Counter[str] = Counter()


def point(name: str) -> None:
    """Kill this process here if ``BIZPORTAL_FAULT_KILL_AT`` names this point."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _reached[name] += 1
    if _reached[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def check(value: str) -> str:
    """Validate a ``BIZPORTAL_FAULT_KILL_AT`` value (for the tests and the bench)."""
    target, _, nth = value.partition(":")
    if target not in POINTS or (nth and not nth.isdigit()):
        raise ValueError(f"unknown fault point {value!r}; known: {', '.join(sorted(POINTS))}")
    return value
