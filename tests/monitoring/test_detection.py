"""Security monitoring (issue 23): scripted attacks raise the matching alert once, the
security contact is told, and the events reach the log a SIEM reads (CEF over RFC 5424
syslog) and the protected JSON-lines file."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from bizportal.core import audit, security_events
from bizportal.core.models import AuditEvent
from bizportal.monitoring import services
from bizportal.monitoring.models import SecurityAlert
from tests.factories import ApplicantFactory, OfficerFactory

pytestmark = pytest.mark.django_db

# Security events from audited actions are emitted when their transaction commits; the
# test's own transaction never does, so each test runs the callbacks of what it did
# (``django_capture_on_commit_callbacks(execute=True)`` runs them at the block's end).


def alerts(rule: str) -> list[SecurityAlert]:
    return list(SecurityAlert.objects.filter(rule=rule))


def test_200_wrong_passwords_across_50_accounts_from_one_address_raise_one_alert(
    django_capture_on_commit_callbacks,
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        for attempt in range(200):
            answer = client.post(
                "/admin/login/",
                {"username": f"victim{attempt % 50}", "password": "Winter2569!"},
            )
            assert answer.status_code in (200, 429)
    (alert,) = alerts("password_spraying")
    assert alert.key == "203.0.113.7" and alert.status == "open"
    assert alert.observed == 20 and alert.crossings == 1
    (message,) = mail.outbox
    assert "password_spraying" in message.subject and "203.0.113.7" in message.subject
    assert message.to == ["security@bizportal.example"]
    assert AuditEvent.objects.filter(action="security.alert_raised").count() == 1


def test_a_person_mistyping_their_own_password_raises_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    officer = OfficerFactory()
    client = Client(REMOTE_ADDR="203.0.113.8")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            client.post("/admin/login/", {"username": officer.username, "password": "typo"})
    assert not SecurityAlert.objects.exists() and not mail.outbox


def test_1000_lookups_by_number_raise_one_enumeration_alert(
    django_capture_on_commit_callbacks,
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    with django_capture_on_commit_callbacks(execute=True):
        answers = {client.get(f"/verify/LIC-2569-{n:06d}/").status_code for n in range(1000)}
    assert answers <= {200, 404, 429} and 429 in answers  # the rate limit refused most
    (alert,) = alerts("identifier_enumeration")
    assert alert.key == "198.51.100.4" and alert.observed == 300
    assert len(mail.outbox) == 1


def open_records(officer: object, ids: list[str]) -> None:
    for record in ids:
        request = RequestFactory().get(f"/backoffice/applications/{record}/")
        request.user = officer
        audit.record_read(
            request,
            "application.viewed",
            via="backoffice",
            object_type="applications.application",
            object_id=record,
        )


def test_an_officer_opening_300_peoples_records_in_an_hour_raises_one_alert(
    django_capture_on_commit_callbacks,
) -> None:
    officer = OfficerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        open_records(officer, [f"app-{n}" for n in range(300)])
    (alert,) = alerts("mass_record_access")
    assert alert.key == officer.username and alert.observed == 200
    # The same record opened again and again is one record, not many.
    SecurityAlert.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        open_records(OfficerFactory(), ["app-1"] * 300)
    assert not SecurityAlert.objects.exists()


def test_an_exchange_spike_from_one_system_raises_an_alert(settings) -> None:
    settings.SECURITY_DETECTION = {
        **settings.SECURITY_DETECTION,
        "exchange_volume_spike": {"threshold": 50, "window": 3600},
    }
    for _ in range(60):
        security_events.emit(
            "exchange.request", severity=1, outcome="success", actor="bma/backoffice"
        )
    (alert,) = alerts("exchange_volume_spike")
    assert alert.key == "bma/backoffice" and alert.threshold == 50


def test_closing_an_alert_needs_a_finding_and_a_new_attack_opens_a_new_one() -> None:
    for attempt in range(25):
        security_events.emit(
            "sign_in.failed", severity=5, actor=f"u{attempt}", source_ip="192.0.2.1"
        )
    (alert,) = alerts("password_spraying")
    officer = OfficerFactory(is_staff=True, is_superuser=True)
    with pytest.raises(ValidationError):
        services.close_alert(alert, officer, "ok")
    closed = services.close_alert(alert, officer, "Blocked 192.0.2.1 at the firewall")
    assert closed.status == "closed" and closed.closed_by == officer
    with pytest.raises(ValidationError):
        services.close_alert(closed, officer, "Blocked 192.0.2.1 at the firewall")
    assert AuditEvent.objects.filter(action="security.alert_closed").count() == 1


def test_a_permission_denial_is_a_security_event(client, caplog) -> None:
    client.force_login(ApplicantFactory())
    with caplog.at_level(logging.INFO, logger="bizportal.security"):
        assert client.get("/backoffice/privacy/ropa.csv").status_code == 403
    events = [r.security for r in caplog.records if hasattr(r, "security")]
    denied = [e for e in events if e["name"] == "permission.denied"]
    assert denied and denied[-1]["target"] == "/backoffice/privacy/ropa.csv"
    assert denied[-1]["actor"]


def test_events_go_to_a_protected_json_lines_file_kept_90_days_or_more(
    client, django_capture_on_commit_callbacks
) -> None:
    handler = next(
        h
        for h in logging.getLogger("bizportal.security").handlers
        if isinstance(h, security_events.ProtectedTimedRotatingFileHandler)
    )
    assert handler.backupCount >= 90 and handler.when == "MIDNIGHT"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/login/", {"username": "nobody", "password": "x"})
    handler.flush()
    path = Path(handler.baseFilename)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    event = next(
        line
        for line in reversed(lines)
        if line["event"] == "sign_in.failed" and line["security"]["actor"] == "nobody"
    )
    assert event["security"]["severity"] == 5 and event["security"]["request_id"]


def test_events_reach_a_siem_as_cef_in_rfc_5424_syslog_frames() -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    logger = logging.getLogger("bizportal.security.test-siem")
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"cef": {"()": "bizportal.core.security_events.CefFormatter"}},
            "handlers": {
                "siem": {
                    "class": "rfc5424logging.Rfc5424SysLogHandler",
                    "address": ("127.0.0.1", port),
                    "appname": "bizportal",
                    "formatter": "cef",
                }
            },
            "loggers": {"bizportal.security.test-siem": {"handlers": ["siem"], "level": "INFO"}},
        }
    )
    event = security_events.SecurityEvent(
        "sign_in.locked_out",
        7,
        actor="officer.bma",
        source_ip="203.0.113.9",
        target="officer.bma",
        details={"path": "/admin/login/"},
    )
    try:
        logger.warning(event.name, extra={"security": event.as_log()})
        frame = receiver.recv(8192).decode()
    finally:
        receiver.close()
        logger.handlers.clear()
    header, _, message = frame.partition("CEF:")
    assert header.startswith("<") and ">1 " in header and " bizportal " in header
    assert message.startswith("0|Biz Portal|bizportal|")
    assert "|sign_in.locked_out|sign in locked out|7|" in message
    assert "suser=officer.bma" in message and "src=203.0.113.9" in message
    assert "cs1Label=outcome cs1=failure" in message


def test_traffic_logs_cannot_be_kept_less_than_90_days() -> None:
    answer = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bizportal.settings",
            "SECURITY_LOG_RETENTION_DAYS": "30",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.returncode != 0 and "at least 90" in answer.stderr
