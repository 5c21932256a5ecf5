"""``manage.py import_payment_file FILE`` or ``manage.py import_payment_file --fetch
[YYYY-MM-DD]``: settle the counter channel's payments from the bank's daily
bill-payment file, as the back office's upload does. ``--fetch`` downloads the file of
the day (default: yesterday) from the bank and checks its signature first; run it each
morning from cron. Safe to repeat: a row already settled is reported as a duplicate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bizportal.payments import billpay
from bizportal.payments.providers import DailyFileProvider, providers


class Command(BaseCommand):
    help = "Settle counter bill payments from the bank's daily file (a path, or --fetch a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--fetch", nargs="?", const="", default=None, metavar="YYYY-MM-DD")
        parser.add_argument("--provider", default="sandbox_counter")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = options["provider"]
        if provider not in settings.PAYMENT_PROVIDERS:
            raise CommandError(f"the channel {provider!r} is not enabled (PAYMENT_PROVIDERS)")
        try:
            content, name = self._content(options)
            imported = billpay.import_file(content, filename=name, provider=provider)
        except billpay.PaymentFileError as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{k} {v}" for k, v in sorted(imported.counts.items())) or "none"
        self.stdout.write(f"{imported.filename}: {imported.rows} payments ({counts})")
        for row in billpay.refused_rows(imported):
            self.stdout.write(
                f"  line {row['line']}: {row['outcome']} {row['ref1']}/{row['ref2']} "
                f"{row['amount']}: {row['detail']}"
            )

    def _content(self, options: dict[str, Any]) -> tuple[bytes, str]:
        if options["fetch"] is not None:
            try:
                day = (
                    dt.date.fromisoformat(options["fetch"])
                    if options["fetch"]
                    else timezone.localdate() - dt.timedelta(days=1)
                )
            except ValueError:
                raise CommandError(f"not a date (YYYY-MM-DD): {options['fetch']!r}") from None
            provider = providers[options["provider"]]
            if not isinstance(provider, DailyFileProvider):
                raise CommandError(f"{options['provider']!r} cannot fetch daily files")
            return provider.fetch_daily_file(day), f"billpay-{day:%Y%m%d}.txt"
        path: Path | None = options["file"]
        if path is None or not path.is_file():
            raise CommandError(f"no such file: {path} (or use --fetch)")
        if path.stat().st_size > settings.PAYMENT_STATEMENT_MAX_BYTES:
            raise CommandError(f"larger than PAYMENT_STATEMENT_MAX_BYTES: {path}")
        return path.read_bytes(), path.name
