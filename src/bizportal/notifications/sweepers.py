"""What the sweeper (``manage.py sweep``, each minute) does for notifications: send the
deliveries that are due, retries after their backoff and SMS held over quiet hours
among them (see :func:`.services.send_due`)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work(
    "notifications.deliveries", "message deliveries due: retries, after quiet hours, lost tasks"
)
def send_due_deliveries(older_than: dt.datetime) -> int:
    return services.send_due()
