"""``manage.py anchor_audit``: sign a checkpoint of the audit chain's head.

Run it from cron (every 10 minutes to hourly: a rewrite of the chain can only hide
what was written after the last checkpoint). It verifies the rows appended since the
previous checkpoint first and refuses, exit code 1, to anchor a broken chain.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from bizportal.core import anchoring


class Command(BaseCommand):
    help = "Sign a checkpoint (last seq and hash) of the audit trail's hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = anchoring.anchor()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        except anchoring.ChainBroken as error:
            raise CommandError(f"not anchored, the audit chain is broken: {error}") from None
        if result.checkpoint is None:
            self.stdout.write(f"no checkpoint written: {result.reason}")
            return
        checkpoint = result.checkpoint
        self.stdout.write(
            f"checkpoint {checkpoint.pk}: row {checkpoint.seq} hash {checkpoint.hash} "
            f"signed ({checkpoint.algorithm}, key {checkpoint.key_id[:16]}) after checking "
            f"{result.checked} new row(s)"
        )
