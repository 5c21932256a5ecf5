"""What the sweeper re-enqueues for the sandbox bank after a crash (see core.sweeps)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work(
    "sandbox_bank.webhooks",
    "sandbox bank payments whose notification to the biller was never sent or recorded",
)
def resend_overdue_webhooks(older_than: dt.datetime) -> int:
    return services.resend_overdue_webhooks(older_than)
