"""Write the record of processing activities (PDPA s. 39), with the data-sharing
agreements, as CSV or JSON to stdout, or as Excel or PDF to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bizportal.privacy import services


class Command(BaseCommand):
    help = "Record of processing activities for the DPO, from the PersonalDataLabel declarations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(services.ROPA_FORMATS), default="csv")
        parser.add_argument(
            "--output", type=Path, help="the file to write (needed for xlsx and pdf)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path | None = options["output"]
        if options["format"] in ("xlsx", "pdf") and output is None:
            raise CommandError("--output FILE is needed for xlsx and pdf")
        body = services.export_ropa(options["format"])
        if output is None:
            self.stdout.write(str(body), ending="")
            return
        if isinstance(body, str):
            output.write_text(body, encoding="utf-8")
        else:
            output.write_bytes(body)
        self.stdout.write(f"{output}: {output.stat().st_size} bytes")
