"""Security events: what a security operations centre watches, as one stream.

Failed and locked sign-ins, second-factor failures, permission denials, exchange
refusals, rate-limit hits, audit-chain breaks and changes to staff and configuration are
each *emitted* here as one :class:`SecurityEvent`. Emitting does three things:

- writes a structured line to the ``bizportal.security`` logger, with the request id
  (django-guid), so the JSON log, the on-disk security log (JSON lines, kept at least
  90 days for the Computer Crime Act's traffic data) and the SIEM forwarder (CEF over
  RFC 5424 syslog, :class:`CefFormatter`) all carry the same event;
- passes the event to the subscribers (the detection rules of ``bizportal.monitoring``,
  which sits above core and registers itself with :func:`subscribe`);
- never fails the request: a detector that raises is logged and skipped, because a
  broken alarm must not lock people out of the service.

Audit actions that are security events are emitted by :mod:`.audit` itself (see
``AUDITED``), after the transaction that wrote them commits, so an event rolled back
with its change is never reported.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

log = logging.getLogger("bizportal.security")
problems = logging.getLogger(__name__)

#: Audit actions that are security events, with their CEF severity (0-10).
AUDITED: dict[str, int] = {
    "sign_in.failed": 5,
    "sign_in.locked_out": 7,
    "identity.second_factor_failed": 6,
    "ratelimit.refused": 5,
    "identity.staff_created": 6,
    "identity.staff_roles_changed": 6,
    "identity.staff_suspended": 6,
    "identity.staff_restored": 6,
    "identity.conflict_held": 6,
    "identity.ndid_callback_refused": 7,
    "identity.counter_proofing_refused": 4,
}


@dataclass(frozen=True)
class SecurityEvent:
    """One security-relevant fact; ``name`` is the CEF signature id."""

    name: str
    severity: int
    outcome: str = "failure"
    actor: str = ""
    source_ip: str = ""
    target: str = ""
    request_id: str = ""
    at: dt.datetime = field(default_factory=timezone.now)
    details: dict[str, Any] = field(default_factory=dict)

    def as_log(self) -> dict[str, Any]:
        values = asdict(self)
        values["at"] = self.at.isoformat()
        return values


_subscribers: list[Callable[[SecurityEvent], None]] = []


def subscribe(receiver: Callable[[SecurityEvent], None]) -> None:
    """Have ``receiver`` see every event (once, however often an app registers it)."""
    if receiver not in _subscribers:
        _subscribers.append(receiver)


def username_of(request: Any) -> str:
    """The signed-in account's username, or "" for an anonymous caller."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(user.get_username())


def _request_id() -> str:
    from django_guid import get_guid

    return str(get_guid() or "")


def emit(
    name: str,
    *,
    severity: int,
    outcome: str = "failure",
    actor: str = "",
    source_ip: str = "",
    target: str = "",
    request_id: str | None = None,
    **details: Any,
) -> SecurityEvent:
    """Log the event and hand it to the detection rules."""
    event = SecurityEvent(
        name=name,
        severity=max(0, min(10, severity)),
        outcome=outcome,
        actor=actor[:150],
        source_ip=source_ip[:100],
        target=target[:200],
        request_id=_request_id() if request_id is None else request_id,
        details=details,
    )
    level = logging.WARNING if event.severity >= 4 else logging.INFO
    log.log(level, name, extra={"security": event.as_log()})
    for receiver in list(_subscribers):
        try:
            receiver(event)
        except Exception:
            problems.exception("security event receiver %r failed on %s", receiver, name)
    return event


def emit_on_commit(name: str, **kwargs: Any) -> None:
    """:func:`emit` once the current transaction commits (at once outside one), with
    the id of the request that caused it, which may have ended by then."""
    request_id = _request_id()
    transaction.on_commit(lambda: emit(name, request_id=request_id, **kwargs))


def from_audit(
    action: str, object_id: str, actor_label: str, data: dict[str, Any], has_actor: bool
) -> None:
    """Emit the audit event ``action`` if it is a security event (called by audit)."""
    severity = AUDITED.get(action)
    if severity is None:
        return
    emit_on_commit(
        action,
        severity=severity,
        actor=actor_label,
        source_ip=str(data.get("ip_address") or data.get("client_ip") or ""),
        target=object_id,
        authenticated=has_actor,
        **{k: v for k, v in data.items() if k in ("path", "reason", "roles", "counted_by")},
    )


def admin_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of the Django admin's LogEntry: every change made in the admin
    (configuration, staff, clients) is a security event."""
    if not created:
        return
    action = {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, "changed")
    emit_on_commit(
        "admin.changed",
        severity=5,
        outcome="success",
        actor=str(instance.user.get_username()) if instance.user_id else "",
        target=f"{instance.content_type.app_label}.{instance.content_type.model}:"
        f"{instance.object_id}"
        if instance.content_type_id
        else str(instance.object_repr),
        action=action,
    )


class CefFormatter(logging.Formatter):
    """A security event as one CEF line (``CEF:0|vendor|product|version|id|name|sev|ext``)
    for a SIEM; other records as their plain message."""

    def __init__(self, *args: Any, product_version: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product_version = product_version or _version()

    def format(self, record: logging.LogRecord) -> str:
        values = getattr(record, "security", None)
        if not isinstance(values, dict):
            return super().format(record)
        from cefevent import CEFEvent

        cef = CEFEvent()
        cef.set_field("deviceVendor", "Biz Portal")
        cef.set_field("deviceProduct", "bizportal")
        cef.set_field("deviceVersion", self.product_version)
        cef.set_field("signatureId", values["name"])
        cef.set_field("name", values["name"].replace(".", " ").replace("_", " "))
        cef.set_field("severity", int(values["severity"]))
        extensions = {
            "rt": int(dt.datetime.fromisoformat(values["at"]).timestamp() * 1000),
            # CEF 0 has no outcome key: a labelled custom string, as SIEMs expect.
            "cs1Label": "outcome",
            "cs1": values["outcome"],
            "suser": values["actor"],
            "src": values["source_ip"],
            "duser": values["target"],
            "externalId": values["request_id"],
            "msg": " ".join(f"{k}={v}" for k, v in sorted(values["details"].items()))[:1023],
        }
        for key, value in extensions.items():
            if value not in ("", None):
                cef.set_field(key, value)
        return str(cef.build_cef())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bizportal")
    except PackageNotFoundError:
        return "0"


class ProtectedTimedRotatingFileHandler(logging.handlers.TimedRotatingFileHandler):
    """Daily files readable by the service and its group only (0640), as traffic data
    must be protected; ``backupCount`` days are kept (at least 90, see settings)."""

    def _open(self) -> Any:
        stream = super()._open()
        os.chmod(self.baseFilename, 0o640)
        return stream
