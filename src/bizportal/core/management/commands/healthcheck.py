"""Exit 0 when this process's configuration loads and its database answers, 1 otherwise.

The task worker serves no HTTP, so container healthchecks and Kubernetes exec probes
run this instead of fetching ``/healthz``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bizportal.core.health import database_ok


class Command(BaseCommand):
    help = "Check that the database answers (for worker healthchecks); exit 1 if not."

    def handle(self, *args: Any, **options: Any) -> None:
        if not database_ok():
            raise CommandError("database unreachable")  # read by probes and operators
        self.stdout.write("ok")
