"""The sandbox agency system against the real portal over HTTP (issue 8): forwarded
online, verified, decided and called back with an OAuth2 token; a batch downloaded,
checked and answered with a results file. Nothing here is mocked."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bizportal.applications.models import Application, Status
from bizportal.integrations import batches, forwarding
from bizportal.integrations.models import Forwarding, ForwardingState, Mode, StatusUpdate
from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.config import Config
from tests.journeys import submitted

from .conftest import forwarded_service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("live")]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the sandbox agency did not finish in time")


@pytest.fixture
def portal(live_server: Any, settings: Any) -> str:
    settings.BASE_URL = live_server.url
    return str(live_server.url)


def start_agency(portal: str, service: Any, tmp_path: Path, **options: Any) -> Agency:
    config = Config(
        portal=portal,
        client_id=service.system.client.client_id,
        client_secret=service.secret,
        db=tmp_path / f"agency-{service.system.code}.sqlite3",
        port=0,
        delay=0.1,
        decide_interval=0.1,
        retry_base=0.1,
        **options,
    )
    agency = Agency(config)
    agency.start()
    return agency


@pytest.fixture
def agencies() -> Iterator[list[Agency]]:
    running: list[Agency] = []
    yield running
    for agency in running:
        agency.stop()


def decided(application: Application) -> bool:
    application.refresh_from_db()
    return application.status not in (Status.WAITING,)


def test_forwarded_online_decided_and_called_back(
    portal: str, tmp_path: Path, agencies: list[Agency]
) -> None:
    service = forwarded_service(Mode.ONLINE, "http://127.0.0.1:9/not-yet")
    agency = start_agency(portal, service, tmp_path, correction_every=1000)
    agencies.append(agency)
    from bizportal.integrations import services

    services.publish_integration(
        service,
        mode=Mode.ONLINE,
        agency_system=service.system,
        endpoint_url=agency.endpoint,
        field_mapping={"shop.name": "answers.business_name"},
    )
    applications = [submitted(service), submitted(service)]
    while forwarding.deliver_due():
        pass
    assert set(Forwarding.objects.values_list("state", flat=True)) <= {
        ForwardingState.DELIVERED,
        ForwardingState.ACKNOWLEDGED,
        ForwardingState.DECIDED,
    }
    for application in applications:
        wait_for(lambda a=application: decided(a))
        assert application.status == Status.AWAITING_PAYMENT  # approved: the fee is next
    assert StatusUpdate.objects.filter(type="acknowledge").count() == 2
    assert agency.store.stats()["received"] == 2


def test_a_batch_is_downloaded_checked_and_answered(
    portal: str, tmp_path: Path, agencies: list[Agency]
) -> None:
    service = forwarded_service(Mode.BATCH)
    applications = [submitted(service), submitted(service)]
    (batch,) = batches.build_all(batches.timezone.localdate())
    agencies.append(start_agency(portal, service, tmp_path, batch_poll=0.2, correction_every=1000))
    for application in applications:
        wait_for(lambda a=application: decided(a))
    assert set(StatusUpdate.objects.values_list("source", flat=True)) == {"batch"}
    batch.refresh_from_db()
    assert batch.downloaded_at is not None
