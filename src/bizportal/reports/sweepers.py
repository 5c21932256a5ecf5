"""What the sweeper (``manage.py sweep``, each minute from cron) does for the reports:
queue again the report files whose building was lost, and remove old files."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import tasks


@sweeps.due_work("reports.exports", "report files queued or being built with nothing building them")
def requeue_stalled_exports(older_than: dt.datetime) -> int:
    return tasks.requeue_stalled(older_than - sweeps.lease_timeout())


@sweeps.due_work("reports.expired_exports", "report files older than BIZPORTAL_REPORT_EXPORT_DAYS")
def remove_expired_exports(older_than: dt.datetime) -> int:
    return tasks.remove_expired()
