"""The health of every connection (issue 23 item 1): the sandbox agency system, started
and then stopped, is shown down on the page and in /metrics at the next probe; one
incident opens (and one notice reaches the agency's IT officer) once it has been down
for CONNECTION_DOWN_AFTER; restarted, it recovers with one more notice. The probe clock
is passed explicitly instead of sleeping; the agency system is real (over HTTP)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from bizportal.integrations import services as integrations
from bizportal.integrations.models import Mode
from bizportal.monitoring import services, status
from bizportal.monitoring.connections import connections
from bizportal.monitoring.models import ConnectionCheck, ConnectionIncident
from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.config import Config
from tests.factories import AgencyFactory, OfficerFactory, StaffFactory
from tests.integrations.conftest import forwarded_service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("live")]

KEY = "agency_endpoint:bma-licensing"


@pytest.fixture
def portal(live_server: Any, settings: Any) -> str:
    settings.BASE_URL = live_server.url
    settings.IDENTITY_PROVIDERS = []  # only the agency endpoint is watched here
    settings.CONNECTION_PROBE_INTERVAL = 30
    settings.CONNECTION_DOWN_AFTER = 60
    settings.CONNECTION_PROBE_TIMEOUT = 2
    for registry in ("civil", "juristic", "revenue", "diw"):  # the sandbox registries
        url = f"{live_server.url}/sandbox/registries/{registry}"
        setattr(settings, f"{registry.upper()}_REGISTRY_URL", url)
    settings.PAYMENT_SANDBOX_URL = f"{live_server.url}/sandbox/bank"  # the sandbox bank
    return str(live_server.url)


@pytest.fixture
def agencies() -> Iterator[list[Agency]]:
    running: list[Agency] = []
    yield running
    for agency in running:
        agency.stop()


def start_agency(portal: str, service: Any, tmp_path: Path, port: int = 0) -> Agency:
    """The sandbox agency system (an outside process in production), on ``port``."""
    agency = Agency(
        Config(
            portal=portal,
            client_id=service.system.client.client_id,
            client_secret=service.secret,
            db=tmp_path / "agency.sqlite3",
            port=port,
            delay=0.1,
            decide_interval=0.1,
            retry_base=0.1,
        )
    )
    agency.start()
    return agency


def page(client: Client) -> str:
    response = client.get("/backoffice/connections/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def state_on_page(html: str) -> str:
    found = re.search(rf'data-connection="{KEY}" data-state="(\w+)"', html)
    assert found, html
    return found.group(1)


def up_metric(client: Client) -> str:
    text = client.get("/metrics").content.decode()
    found = re.search(rf'bizportal_connection_up\{{[^}}]*connection="{KEY}"[^}}]*\}} (\S+)', text)
    assert found, text
    return found.group(1)


def test_a_stopped_agency_system_is_shown_down_alerted_once_and_cleared(
    portal: str, tmp_path: Path, agencies: list[Agency], client: Client
) -> None:
    service = forwarded_service(Mode.ONLINE, "http://127.0.0.1:9/not-yet")
    agency = start_agency(portal, service, tmp_path)
    agencies.append(agency)
    integrations.publish_integration(
        service, mode=Mode.ONLINE, agency_system=service.system, endpoint_url=agency.endpoint
    )
    it = OfficerFactory(
        agency=service.agency, roles=[StaffRole.AGENCY_IT], email="it@agency.example"
    )
    client.force_login(it)
    start = timezone.now()

    def at(seconds: int) -> dt.datetime:
        return start + dt.timedelta(seconds=seconds)

    assert services.probe_due(now=at(0)) >= 1  # the exchange's registries are probed too
    assert state_on_page(page(client)) == "up" and up_metric(client) == "1.0"
    assert services.probe_due(now=at(10)) == 0  # not due again before the interval

    agency.stop()
    services.probe_due(now=at(30))
    # Down at the first probe after it stopped (within a minute) ...
    assert state_on_page(page(client)) == "down" and up_metric(client) == "0.0"
    # ... but the incident waits for CONNECTION_DOWN_AFTER of failures.
    services.probe_due(now=at(60))
    assert not ConnectionIncident.objects.filter(key=KEY).exists() and not mail.outbox
    services.probe_due(now=at(90))
    services.probe_due(now=at(120))
    services.probe_due(now=at(150))
    incident = ConnectionIncident.objects.get(key=KEY)
    assert incident.key == KEY and incident.closed_at is None
    assert incident.failing_since == at(30) and incident.opened_at == at(90)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["it@agency.example"]
    assert "Connection down" in mail.outbox[0].subject
    audited = AuditEvent.objects.filter(object_id=str(incident.pk))
    assert audited.filter(action="connection.down").count() == 1
    metrics = client.get("/metrics").content.decode()
    assert re.search(rf'bizportal_connection_incident_open\{{[^}}]*"{KEY}"[^}}]*\}} 1.0', metrics)

    restarted = start_agency(portal, service, tmp_path, port=agency.port)
    agencies.append(restarted)
    services.probe_due(now=at(180))
    incident.refresh_from_db()
    assert incident.closed_at == at(180)
    assert len(mail.outbox) == 2 and "Connection recovered" in mail.outbox[1].subject
    assert audited.filter(action="connection.recovered").count() == 1
    assert state_on_page(page(client)) == "up" and up_metric(client) == "1.0"
    services.probe_due(now=at(210))
    assert len(mail.outbox) == 2 and ConnectionIncident.objects.filter(key=KEY).count() == 1

    (health,) = status.statuses(agency=service.agency.code, now=at(210))
    assert health.last_success == at(210) and health.probes == 8
    assert health.error_ratio == pytest.approx(5 / 8)  # 30 s to 150 s
    assert health.backlog is not None and health.backlog.dead == 0


@pytest.mark.django_db
def test_agency_it_sees_only_its_agency_and_others_are_refused(
    client: Client, settings: Any
) -> None:
    settings.IDENTITY_PROVIDERS = []
    mine = forwarded_service(Mode.ONLINE, "http://127.0.0.1:9/mine")
    theirs = forwarded_service(Mode.ONLINE, "http://127.0.0.1:9/theirs", code="other-system")
    assert {c.key for c in connections() if c.kind == "agency_endpoint"} == {
        "agency_endpoint:bma-licensing",
        "agency_endpoint:other-system",
    }
    assert "exchange_provider:civil_registry" in {c.key for c in connections()}
    ConnectionCheck.objects.create(
        key="agency_endpoint:other-system",
        kind="agency_endpoint",
        agency=theirs.agency.code,
        ok=False,
        latency_ms=3,
        error="ConnectionError",
        at=timezone.now(),
    )
    client.force_login(OfficerFactory(agency=mine.agency, roles=[StaffRole.AGENCY_IT]))
    html = client.get("/backoffice/connections/").content.decode()
    assert "bma-licensing" in html and "other-system" not in html
    assert "exchange_provider" not in html

    client.force_login(StaffFactory(roles=[StaffRole.PLATFORM_ADMIN]))
    html = client.get("/backoffice/connections/").content.decode()
    assert "bma-licensing" in html and 'data-state="down"' in html
    assert "exchange_provider:civil_registry" in html  # platform connections: admins only
    assert "payment_provider:" in html

    for role in (StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_ADMIN):
        client.force_login(OfficerFactory(agency=AgencyFactory(), roles=[role]))
        assert client.get("/backoffice/connections/").status_code == 404
