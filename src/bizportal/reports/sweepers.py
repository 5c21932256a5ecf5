"""Each minute the sweeper brings the report aggregates up to date: only the days with
changes are recomputed, so a quiet minute costs two index lookups."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import refresh


@sweeps.due_work("reports.refresh", "report aggregates behind the applications")
def refresh_aggregates(older_than: dt.datetime) -> int:
    return refresh.refresh()
