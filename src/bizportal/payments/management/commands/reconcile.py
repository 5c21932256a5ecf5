"""``manage.py reconcile import FILE [--provider sandbox]``: import a bank statement
(camt.053 XML or the CSV form) and match it, as the back office's upload page does;
``manage.py reconcile status [--days 7]``: the daily status per channel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bizportal.payments import reconciliation
from bizportal.payments.providers import providers


class Command(BaseCommand):
    help = "Import a bank statement file and match it; or show the daily reconciliation status."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importing = sub.add_parser("import", help="import a camt.053 (.xml) or CSV statement")
        importing.add_argument("file", type=Path)
        importing.add_argument("--provider", default=None, help="channel (default: the active)")
        status = sub.add_parser("status", help="daily reconciliation status per channel")
        status.add_argument("--days", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            today = timezone.localdate()
            days = [today - dt.timedelta(days=i) for i in range(max(1, options["days"]))]
            for row in reconciliation.daily_status(days):
                self.stdout.write(
                    f"{row.day} {row.provider}: {row.status} (payments {row.payments}, "
                    f"matched {row.matched}, open {row.open_lines}, missing {row.missing})"
                )
            return
        path: Path = options["file"]
        provider = options["provider"] or settings.PAYMENT_PROVIDER
        if provider not in providers:
            raise CommandError(f"unknown channel {provider!r}")
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if path.stat().st_size > settings.PAYMENT_STATEMENT_MAX_BYTES:
            raise CommandError(f"larger than PAYMENT_STATEMENT_MAX_BYTES: {path}")
        try:
            statement = reconciliation.import_statement(
                path.read_bytes(), filename=path.name, provider=provider
            )
        except reconciliation.StatementError as error:
            raise CommandError(str(error)) from None
        lines = list(statement.lines.values_list("status", flat=True))
        counts = ", ".join(f"{s} {lines.count(s)}" for s in ("matched", "mismatched", "unmatched"))
        missing = reconciliation.missing_payments(statement).count()
        self.stdout.write(
            f"{statement.filename}: {len(lines)} lines ({counts}); missing at the bank {missing}"
        )
