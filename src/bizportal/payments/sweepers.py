"""What the sweeper does for payments each minute: mark the unpaid invoices whose
payment period ended as expired, so pages, reports and late notices agree. Idempotent,
so a minute's run after a day's outage catches up in one go."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("payments.invoice_expiries", "unpaid invoices past their payment period")
def expire_overdue_invoices(older_than: dt.datetime) -> int:
    return services.expire_overdue_invoices()
