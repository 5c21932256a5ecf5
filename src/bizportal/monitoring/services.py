"""Raising and closing security alerts: the only place that changes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit, security_events

from .models import SecurityAlert

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
