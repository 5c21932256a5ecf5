"""What the sweeper does for the licence register each minute: end suspensions whose last
day has passed, mark licences whose term ended as expired, and remind holders whose term
is running out (verification already judges by the dates; this makes the register and
the holder's notifications agree). Each step is idempotent, so a minute's run after a
day's outage catches up in one go."""

from __future__ import annotations

import datetime as dt

from bizportal.core import sweeps

from . import services


@sweeps.due_work("licences.suspensions", "suspensions whose last day has passed")
def end_lapsed_suspensions(older_than: dt.datetime) -> int:
    return services.end_lapsed_suspensions()


@sweeps.due_work("licences.expiries", "licences whose last day has passed")
def expire_lapsed_licences(older_than: dt.datetime) -> int:
    return services.expire_lapsed_licences()


@sweeps.due_work("licences.expiry_reminders", "reminders of terms running out")
def send_expiry_reminders(older_than: dt.datetime) -> int:
    return services.send_expiry_reminders()


@sweeps.due_work("licences.documents", "registered versions whose PDF is not stored yet")
def sign_documents_being_issued(older_than: dt.datetime) -> int:
    """A version is registered with its signing task in one transaction, so a lost task
    means a worker died mid-run; enqueue again (signing is idempotent)."""
    from .tasks import sign_licence_version

    pending = services.versions_being_issued(older_than)
    for version_pk in pending:
        sign_licence_version.enqueue(version_pk)
    return len(pending)
