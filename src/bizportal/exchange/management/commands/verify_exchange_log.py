"""``manage.py verify_exchange_log``: check the exchange's message log end to end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bizportal.exchange import log


class Command(BaseCommand):
    help = "Verify the exchange message log's hash chain and signatures; fails on any break."

    def handle(self, *args: Any, **options: Any) -> None:
        report = log.verify()
        if not report.holds:
            for problem in report.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"the message log does not verify: {len(report.problems)} problem(s) in "
                f"{report.checked} entries"
            )
        self.stdout.write(f"message log verified: {report.checked} entries")
