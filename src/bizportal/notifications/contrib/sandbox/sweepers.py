"""The sandbox SMS gateway resends receipts whose task was lost (see core.sweeps)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("notifications_sandbox.receipts", "sandbox SMS receipts not yet delivered")
def resend_receipts(older_than: dt.datetime) -> int:
    return services.resend_receipts(older_than)
