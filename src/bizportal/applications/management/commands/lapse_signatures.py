"""``manage.py lapse_signatures``: end first signatures whose second did not come in time.

Run it from cron (hourly is plenty). A lapsed application goes back to its draft (or
correction) status; the next submission starts the signing again. Submitting also
lapses an overdue signature on the spot, so a late cron run never lets one count.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bizportal.applications.services import lapse_overdue_signatures


class Command(BaseCommand):
    help = "Lapse first signatures of joint-signing companies past their deadline."

    def handle(self, *args: Any, **options: Any) -> None:
        count = lapse_overdue_signatures()
        self.stdout.write(f"{count} application(s) had their overdue signature lapsed")
