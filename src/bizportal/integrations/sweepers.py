"""What the sweeper (``manage.py sweep``, each minute from cron) does for this app: send
online forwardings that are due (first tries whose task was lost, and retries after
their backoff), and build the day's batches once the batch hour has passed."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import batches, forwarding


@sweeps.due_work("integrations.forwardings", "online forwardings due for a first try or a retry")
def send_due_forwardings(older_than: dt.datetime) -> int:
    return forwarding.deliver_due()


@sweeps.due_work("integrations.batches", "the day's batches, after FORWARDING_BATCH_HOUR")
def build_due_batches(older_than: dt.datetime) -> int:
    return len(batches.build_due())
