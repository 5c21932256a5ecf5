"""What the sweeper (``manage.py sweep``, each minute from cron) does for this app:
probe the connections whose last probe is older than ``CONNECTION_PROBE_INTERVAL``.
For an interval shorter than cron's minute, run ``manage.py probe_connections --loop``."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("monitoring.connections", "probe every connection due for a probe")
def probe_due_connections(older_than: dt.datetime) -> int:
    return services.probe_due()
