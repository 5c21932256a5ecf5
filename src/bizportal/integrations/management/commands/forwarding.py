"""Operate forwarding to agencies' systems by hand: send what is due, build the day's
batches now, replay the dead-letter list (the sweeper does the first two each minute)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bizportal.integrations import batches, forwarding
from bizportal.integrations.models import Forwarding, ForwardingState


class Command(BaseCommand):
    help = "Send due forwardings, build batches, or replay undeliverable forwardings."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("deliver", help="send every online forwarding that is due")
        build = sub.add_parser("build-batches", help="build the day's batches now")
        build.add_argument("--day", help="YYYY-MM-DD (default: today in Asia/Bangkok)")
        sub.add_parser("replay-dead", help="send every undeliverable forwarding again")

    def handle(self, *args: Any, **options: Any) -> None:
        what = options["what"]
        if what == "deliver":
            delivered = 0
            while sent := forwarding.deliver_due():
                delivered += sent
            self.stdout.write(f"delivered {delivered}")
        elif what == "build-batches":
            day = self._day(options.get("day"))
            built = batches.build_all(day)
            for batch in built:
                self.stdout.write(f"{batch.agency_system.code} {batch.day}: {batch.count}")
            self.stdout.write(f"built {len(built)} batches for {day}")
        else:
            dead = Forwarding.objects.filter(state=ForwardingState.DEAD)
            count = 0
            for row in dead:
                forwarding.replay(row, by=None)
                count += 1
            self.stdout.write(f"replayed {count}")

    def _day(self, text: str | None) -> dt.date:
        if not text:
            return timezone.now().astimezone(batches.BANGKOK).date()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"--day must be YYYY-MM-DD, not {text!r}") from None
