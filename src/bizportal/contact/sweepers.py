"""What the sweeper does for contact each minute: escalate, once each, the open cases
past their due date to the owner agency's supervisors. Idempotent, so a run after an
outage catches up in one go."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("contact.escalations", "complaints and enquiries past their due date")
def escalations(older_than: dt.datetime) -> int:
    return services.escalate_overdue()
