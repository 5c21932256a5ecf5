"""What the sweeper re-enqueues for this app after a crash (see bizportal.core.sweeps)."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work(
    "applications.system_steps",
    "applications waiting for the system (issue or cancel the licence) with nothing pending",
)
def resume_system_steps(older_than: dt.datetime) -> int:
    return services.resume_system_steps(older_than)
