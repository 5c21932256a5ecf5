"""What the sweeper does for the licence register each minute: end suspensions whose last
day has passed (verification already treats them as over; this makes the register and
the holder's notification agree)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("licences.suspensions", "suspensions whose last day has passed")
def end_lapsed_suspensions(older_than: dt.datetime) -> int:
    return services.end_lapsed_suspensions()
