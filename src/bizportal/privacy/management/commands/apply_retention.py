"""Apply the retention rules: delete or anonymise personal data past its period.

Cron (daily, 02:30 Bangkok)::

    30 2 * * * cd /srv/bizportal && .venv/bin/python manage.py apply_retention
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bizportal.privacy import services


class Command(BaseCommand):
    help = "Delete or anonymise personal data past its retention period (--dry-run to count)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what is due; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry = options["dry_run"]
        for result in services.apply_retention(dry_run=dry):
            verb = "due" if dry else "done"
            self.stdout.write(
                f"{result.rule:<30} {result.action:<9} after {result.days:>5} days: "
                f"{result.count} {verb}"
            )
