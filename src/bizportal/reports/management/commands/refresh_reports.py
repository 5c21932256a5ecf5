"""``manage.py refresh_reports [--full]``: bring the report aggregates up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bizportal.reports import refresh


class Command(BaseCommand):
    help = "Recompute the report aggregates for the days that changed (--full: every day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="recompute every day")

    def handle(self, *args: Any, **options: Any) -> None:
        days = refresh.refresh(full=options["full"])
        self.stdout.write(f"recomputed {days} days")
