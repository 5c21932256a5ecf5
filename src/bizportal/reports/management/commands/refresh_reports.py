"""``manage.py refresh_reports [--full] [--every N]``: bring the report aggregates up to date.

Run from cron every minute, beside ``manage.py sweep``. Not one of the sweeper's due
work: the sweeper recovers work that stalled and reports zero when nothing stalled,
while the aggregates always have the last minute's changes to take in.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bizportal.reports import refresh


class Command(BaseCommand):
    help = "Take the changes since last time into the report tables (--full: rebuild them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild every table")
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="refresh again every so many seconds until stopped (the demo's cron)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options["every"]
        if every < 0:
            raise CommandError("--every must be zero or more")
        full = options["full"]
        while True:
            taken = refresh.refresh(full=full)
            if not every or taken:
                self.stdout.write(f"took in {taken} changes")
            if not every:
                return
            full = False
            time.sleep(every)
