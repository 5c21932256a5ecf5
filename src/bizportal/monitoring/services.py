"""Raising and closing security alerts, probing connections and opening and closing
their incidents: the only place that changes any of them.

Why a probe sweep rather than counting failed requests: an agency endpoint that nobody
sent anything to for an hour is not known to be up, and one failed request is not an
outage. The sweep asks every connection at a fixed interval, so "down" means "has not
answered for ``CONNECTION_DOWN_AFTER`` seconds", whatever the traffic. The notice goes
out when the incident opens and when it closes, never once per probe or per request.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bizportal.core import audit, security_events

from .connections import Connection, connections, timed
from .models import ConnectionCheck, ConnectionIncident, SecurityAlert

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .detection import Rule


def raise_alert(rule: Rule, key: str, observed: int) -> SecurityAlert:
    """Open an alert for ``rule`` and ``key``, or add a crossing to the open one; the
    security contact is told when it opens, not at every crossing."""
    now = timezone.now()
    try:
        with transaction.atomic():
            alert = SecurityAlert.objects.create(
                rule=rule.name,
                key=key[:200],
                first_seen=now,
                last_seen=now,
                observed=observed,
                threshold=rule.threshold,
                window_seconds=rule.window,
                notified=list(settings.SECURITY_ALERT_EMAILS),
            )
            audit.record(
                "security.alert_raised",
                alert,
                actor_label="detection",
                rule=rule.name,
                key=alert.key,
                observed=observed,
            )
    except IntegrityError:
        # Already open (this process or another raced us): one more crossing.
        alert = SecurityAlert.objects.get(rule=rule.name, key=key[:200], status="open")
        SecurityAlert.objects.filter(pk=alert.pk).update(
            last_seen=now, crossings=alert.crossings + 1
        )
        return alert
    transaction.on_commit(lambda: _tell(alert))
    return alert


def _tell(alert: SecurityAlert) -> None:
    security_events.emit(
        "alert.raised",
        severity=8,
        actor="detection",
        target=alert.key,
        rule=alert.rule,
        observed=alert.observed,
        window=alert.window_seconds,
    )
    if not alert.notified:
        return
    send_mail(
        subject=f"[Biz Portal security] {alert.rule}: {alert.key}",
        message=(
            f"Rule: {alert.rule}\n"
            f"Key: {alert.key}\n"
            f"Counted: {alert.observed} (threshold {alert.threshold} "
            f"in {alert.window_seconds} s)\n"
            f"First seen: {alert.first_seen.isoformat()}\n\n"
            "Follow up in the admin: Security monitoring > Security alerts."
        ),
        from_email=None,
        recipient_list=list(alert.notified),
        fail_silently=False,
    )


@transaction.atomic
def close_alert(alert: SecurityAlert, user: Any, note: str) -> SecurityAlert:
    """Close an alert with what was found; a later crossing opens a new one."""
    note = note.strip()
    if len(note) < 10:
        raise ValidationError(_("Say what was found (at least 10 characters)"))
    locked = SecurityAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != SecurityAlert.Status.OPEN:
        raise ValidationError(_("This alert is already closed"))
    locked.status = SecurityAlert.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = user
    locked.closing_note = note
    locked.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
    audit.record("security.alert_closed", locked, actor=user, note=note[:500])
    return locked


#: How long probe results are kept (the page looks back one hour).
KEEP_CHECKS = dt.timedelta(days=7)


def probe_due(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Probe every connection whose last probe is ``CONNECTION_PROBE_INTERVAL`` old (or
    all of them with ``force``); return how many were probed. ``now`` is the time the
    probes are recorded at (tests pass it instead of sleeping)."""
    now = now or timezone.now()
    interval = dt.timedelta(seconds=settings.CONNECTION_PROBE_INTERVAL)
    probed = 0
    for connection in connections():
        last = ConnectionCheck.objects.filter(key=connection.key).values_list("at", flat=True)[:1]
        if not force and last and last[0] > now - interval:
            continue
        probe(connection, now=now)
        probed += 1
    prune(now=now)
    return probed


def probe(connection: Connection, *, now: dt.datetime | None = None) -> ConnectionCheck:
    """Probe one connection, record the outcome, and open or close its incident."""
    now = now or timezone.now()
    reason, latency = timed(connection.probe)
    with transaction.atomic():
        check = ConnectionCheck.objects.create(
            key=connection.key,
            kind=connection.kind,
            agency=connection.agency,
            ok=not reason,
            latency_ms=latency,
            error=reason[:200],
            at=now,
        )
        if reason:
            _failing(connection, check)
        else:
            _answering(connection, check)
    if reason:
        log.info("connection %s did not answer: %s", connection.key, reason)
    return check


def failing_since(key: str, now: dt.datetime) -> dt.datetime | None:
    """When the current run of failed probes of ``key`` began (None if the last one
    answered)."""
    checks = ConnectionCheck.objects.filter(key=key, at__lte=now)
    last_ok = checks.filter(ok=True).values_list("at", flat=True).first()
    failed = checks.filter(ok=False)
    if last_ok is not None:
        failed = failed.filter(at__gt=last_ok)
    return failed.order_by("at").values_list("at", flat=True).first()


def _failing(connection: Connection, check: ConnectionCheck) -> None:
    since = failing_since(connection.key, check.at) or check.at
    if (check.at - since).total_seconds() < settings.CONNECTION_DOWN_AFTER:
        return
    if ConnectionIncident.objects.filter(key=connection.key, closed_at=None).exists():
        return
    contacts = sorted(set(connection.contacts()))
    try:
        with transaction.atomic():
            incident = ConnectionIncident.objects.create(
                key=connection.key,
                kind=connection.kind,
                agency=connection.agency,
                label=connection.label[:300],
                failing_since=since,
                opened_at=check.at,
                last_error=check.error,
                notified=contacts,
            )
    except IntegrityError:
        return  # another sweep opened it at the same moment: it tells them
    audit.record(
        "connection.down",
        incident,
        actor_label="connection probe",
        key=connection.key,
        agency=connection.agency,
        error=check.error,
        failing_since=since.isoformat(),
        notified=contacts,
    )
    transaction.on_commit(lambda: _notify(incident, connection, recovered=False))


def _answering(connection: Connection, check: ConnectionCheck) -> None:
    incident = (
        ConnectionIncident.objects.select_for_update()
        .filter(key=connection.key, closed_at=None)
        .first()
    )
    if incident is None:
        return
    incident.closed_at = check.at
    incident.notified = sorted(set(incident.notified) | set(connection.contacts()))
    incident.save(update_fields=["closed_at", "notified"])
    audit.record(
        "connection.recovered",
        incident,
        actor_label="connection probe",
        key=connection.key,
        agency=connection.agency,
        down_seconds=int((check.at - incident.failing_since).total_seconds()),
        notified=incident.notified,
    )
    transaction.on_commit(lambda: _notify(incident, connection, recovered=True))


def _notify(incident: ConnectionIncident, connection: Connection, *, recovered: bool) -> None:
    """The security/operations event, and the notice to the agency's IT contact, in
    Thai then English (the contact may read either)."""
    security_events.emit(
        "connection.recovered" if recovered else "connection.down",
        severity=3 if recovered else 6,
        outcome="success" if recovered else "failure",
        actor="connection probe",
        target=incident.key,
        agency=incident.agency,
        error=incident.last_error,
    )
    if not incident.notified:
        return
    parts = []
    for language in ("th", "en"):
        with translation.override(language):
            parts.append(_notice(incident, connection, recovered=recovered))
    subject = parts[0].splitlines()[0] + " / " + parts[1].splitlines()[0]
    send_mail(
        subject=f"[Biz Portal] {subject}",
        message="\n\n".join(parts),
        from_email=None,
        recipient_list=list(incident.notified),
        fail_silently=False,
    )


def _notice(incident: ConnectionIncident, connection: Connection, *, recovered: bool) -> str:
    if recovered:
        assert incident.closed_at is not None
        head = _("Connection recovered: %(label)s") % {"label": incident.label}
        body = _("It answers again since %(closed)s. It was not answering from %(since)s.") % {
            "closed": incident.closed_at.isoformat(timespec="seconds"),
            "since": incident.failing_since.isoformat(timespec="seconds"),
        }
    else:
        head = _("Connection down: %(label)s") % {"label": incident.label}
        body = _(
            "The portal has not reached it since %(since)s (last error: %(error)s). "
            "Applications for it wait and are sent again when it answers."
        ) % {
            "since": incident.failing_since.isoformat(timespec="seconds"),
            "error": incident.last_error or "-",
        }
    where = _("Address: %(target)s") % {"target": connection.target or "-"}
    page = _("See the connections page of the back office: %(url)s") % {
        "url": settings.BASE_URL.rstrip("/") + "/backoffice/connections/"
    }
    return "\n".join([head, "", body, where, page])


def prune(*, now: dt.datetime | None = None) -> int:
    """Delete probe results older than a week (incidents are kept)."""
    cutoff = (now or timezone.now()) - KEEP_CHECKS
    deleted, _ignored = ConnectionCheck.objects.filter(at__lt=cutoff).delete()
    if deleted:
        audit.record(
            "connection.checks_pruned",
            ("monitoring.connectioncheck", "*"),
            actor_label="connection probe",
            deleted=deleted,
            before=cutoff.isoformat(),
        )
    return deleted
