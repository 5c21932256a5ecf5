"""Write the record of processing activities (PDPA s. 39) as CSV or JSON to stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bizportal.privacy import services


class Command(BaseCommand):
    help = "Record of processing activities for the DPO, from the PersonalDataLabel declarations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(services.export_ropa(options["format"]), ending="")
