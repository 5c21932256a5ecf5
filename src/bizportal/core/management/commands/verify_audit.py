"""``manage.py verify_audit``: walk the audit hash chain and check every checkpoint.

Prints the first broken link (a row edited, deleted or inserted) and every checkpoint
that no longer matches; exits 1 when anything is wrong, 0 when the trail is intact, so
that monitoring can run it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bizportal.core import anchoring, security_events


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and signed checkpoints; exit 1 if broken."

    def handle(self, *args: Any, **options: Any) -> None:
        report = anchoring.verify()
        if report.broken is not None:
            self.stderr.write(
                f"BROKEN at row {report.broken.seq} ({report.broken.kind}): {report.broken.detail}"
            )
        for problem in report.checkpoint_problems:
            self.stderr.write(f"CHECKPOINT MISMATCH: {problem}")
        if not report.checkpoints:
            self.stdout.write("no checkpoints yet: run manage.py anchor_audit")
        self.stdout.write(
            f"{report.checked} row(s) checked, {report.checkpoints} checkpoint(s): "
            + ("intact" if report.ok else "NOT intact")
        )
        if not report.ok:
            security_events.emit(
                "audit.chain_broken",
                severity=9,
                actor="manage.py verify_audit",
                target=f"row {report.broken.seq}" if report.broken else "checkpoint",
                problems=len(report.checkpoint_problems) + (1 if report.broken else 0),
            )
            raise SystemExit(1)
