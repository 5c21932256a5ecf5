"""Probe every connection now, or keep probing at ``CONNECTION_PROBE_INTERVAL``.

``manage.py sweep`` already probes what is due once a minute (cron's resolution); run
this with ``--loop`` as a long-lived process when the interval is shorter than that.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from bizportal.monitoring import services
from bizportal.monitoring.status import statuses


class Command(BaseCommand):
    help = "Probe the connections (agency endpoints, providers) and open or close incidents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="probe for ever, each interval")
        parser.add_argument(
            "--due", action="store_true", help="only those whose last probe is an interval old"
        )

    def handle(self, *args: Any, loop: bool, due: bool, **options: Any) -> None:
        while True:
            probed = services.probe_due(force=not due)
            down = [s.connection.key for s in statuses() if s.state == "down"]
            self.stdout.write(json.dumps({"probed": probed, "down": down}))
            if not loop:
                return
            time.sleep(settings.CONNECTION_PROBE_INTERVAL)
