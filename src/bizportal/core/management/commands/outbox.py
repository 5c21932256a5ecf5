"""Sweep the outbox: deliver what is due (run from cron), or retry failed messages."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bizportal.core import outbox
from bizportal.core.models import OutboxMessage


class Command(BaseCommand):
    help = "Deliver pending outbox messages that are due; --retry-failed re-arms failed ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retry-failed", action="store_true", help="give failed messages new attempts first"
        )
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_failed"]:
            self.stdout.write(f"re-armed {outbox.retry_failed()} failed message(s)")
        delivered = outbox.deliver_pending(limit=options["limit"])
        counts = {
            status: OutboxMessage.objects.filter(status=status).count()
            for status in OutboxMessage.Status.values
        }
        self.stdout.write(f"delivered {delivered}; now {counts}")
