"""What the sweeper sends again for the sandbox gateways after a crash (core.sweeps)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work(
    "sandbox_gateways.webhooks",
    "card and CGD payments whose notice to the merchant was lost or refused",
)
def resend_overdue_webhooks(older_than: dt.datetime) -> int:
    return services.resend_overdue_webhooks(older_than)
