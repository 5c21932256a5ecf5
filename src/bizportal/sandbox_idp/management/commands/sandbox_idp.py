"""``manage.py sandbox_idp stop|start|status <provider>``: the sandbox providers' switch.

A stopped provider answers 503 everywhere, so the portal's sign-in page shows it as
unavailable (after its probe cache, ``IDENTITY_PROBE_CACHE_SECONDS``, runs out).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bizportal.sandbox_idp import switches


class Command(BaseCommand):
    help = "Stop or start a sandbox identity provider (it then answers 503), or show them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["stop", "start", "status"])
        parser.add_argument("provider", nargs="?", default="")

    def handle(self, *args: Any, action: str, provider: str, **options: Any) -> None:
        names = sorted(switches.SWITCHABLE)
        if action == "status":
            for name in names:
                state = "stopped" if switches.is_stopped(name) else "running"
                self.stdout.write(f"{name}: {state}")
            return
        if provider not in names:
            raise CommandError(f"unknown sandbox provider {provider!r}; one of {', '.join(names)}")
        switches.set_stopped(provider, stopped=action == "stop", by="manage.py sandbox_idp")
        self.stdout.write(f"{provider}: {'stopped' if action == 'stop' else 'running'}")
