"""What the sweeper does for service levels each minute: count again the clocks a
special day moved, then alert (once each) the applications at risk or overdue. Both
steps are idempotent, so a minute's run after a day's outage catches up in one go."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("service_levels.backfill", "applications at their agency without a clock")
def backfill(older_than: dt.datetime) -> int:
    return services.backfill()


@sweeps.due_work("service_levels.recount", "clocks a special day moved")
def recount(older_than: dt.datetime) -> int:
    return services.recount_stale()


@sweeps.due_work("service_levels.alerts", "applications at risk or past their due date")
def alerts(older_than: dt.datetime) -> int:
    return services.send_alerts()
