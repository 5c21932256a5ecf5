"""Recover from crashes: re-queue abandoned tasks, re-enqueue due work, deliver the outbox.

Run from cron every minute (it replaces ``manage.py outbox`` there). See
:mod:`bizportal.core.sweeps` and docs/operator-guide.md, "Crash recovery".
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bizportal.core import sweeps


def _seconds(value: str) -> dt.timedelta:
    try:
        seconds = float(value)
    except ValueError:
        raise CommandError(f"not a number of seconds: {value!r}") from None
    if seconds < 0:
        raise CommandError("seconds must be zero or more")
    return dt.timedelta(seconds=seconds)


class Command(BaseCommand):
    help = (
        "Set tasks RUNNING past their lease back to READY, re-enqueue work that the state "
        "says is due, and deliver due outbox messages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lease",
            help="seconds a task may run before it counts as abandoned "
            "(default BIZPORTAL_TASK_LEASE_SECONDS)",
        )
        parser.add_argument(
            "--grace",
            help="seconds due work may wait before it is re-enqueued "
            "(default BIZPORTAL_SWEEP_GRACE_SECONDS)",
        )
        parser.add_argument(
            "--no-deliver",
            action="store_true",
            help="only re-enqueue; leave outbox delivery to the workers",
        )
        parser.add_argument("--limit", type=int, default=1000, help="outbox messages at most")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="sweep again every so many seconds until stopped (the demo's stand-in for cron)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every < 0:
            raise CommandError("--every must be zero or more")
        while True:
            self._sweep_once(options, quiet_when_idle=bool(every))
            if not every:
                return
            time.sleep(every)

    def _sweep_once(self, options: dict[str, Any], *, quiet_when_idle: bool) -> None:
        report = sweeps.sweep(
            lease=_seconds(options["lease"]) if options["lease"] is not None else None,
            grace=_seconds(options["grace"]) if options["grace"] is not None else None,
            deliver=not options["no_deliver"],
            limit=options["limit"],
        )
        summary = report.as_dict()
        busy = summary["tasks_requeued"] or summary["tasks_failed"] or summary["outbox_delivered"]
        if quiet_when_idle and not (busy or any(summary["due"].values())):
            return
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"tasks re-queued {summary['tasks_requeued']}, given up {summary['tasks_failed']}; "
            + ", ".join(f"{name} {count}" for name, count in summary["due"].items())
            + f"; outbox delivered {summary['outbox_delivered']}"
        )
