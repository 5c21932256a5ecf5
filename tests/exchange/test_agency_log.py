"""Each agency keeps its part of the message log (X-Road: per member): its
administrators and supervisors read what it asked and what was asked of it, newest
first, page by page; other staff and other agencies do not; each page read is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bizportal.core.models import AuditEvent
from bizportal.exchange import gateway, selectors
from bizportal.exchange.gateway import Consumer, Purpose
from bizportal.exchange.models import DataService, MissionRule
from bizportal.identity.models import StaffRole
from tests.factories import AgencyFactory, OfficerFactory
from tests.sandbox_idp.helpers import PERSON, Live

pytestmark = [pytest.mark.django_db, pytest.mark.live]


@pytest.fixture
def world(live: Live) -> dict[str, Any]:
    dopa = AgencyFactory(code="dopa-l", name_th="กรมการปกครอง")
    bma = AgencyFactory(code="bma-l", name_th="กรุงเทพมหานคร")
    civil = DataService.objects.update_or_create(
        code="civil-person",
        defaults={
            "provider": dopa,
            "name_th": "ทะเบียนราษฎร",
            "name_en": "Civil registry",
            "subject_kind": "person",
            "fields": [{"name": "full_name_th", "pdpa": "personal"}],
            "legal_basis_th": "พ.ร.บ. การทะเบียนราษฎร",
            "connector": "civil_registry",
        },
    )[0]
    MissionRule.objects.create(
        agency=bma, data_service=civil, fields=["full_name_th"], legal_basis_th="มาตรา 56"
    )
    officer = OfficerFactory(agency=bma, roles=[StaffRole.AGENCY_OFFICER], full_name_th="วิชัย")
    for step in ("review", "inspection", "decision"):
        gateway.fetch(
            Consumer("bma-l", "backoffice", officer),
            "civil-person",
            PERSON.citizen_id,
            ["full_name_th"],
            Purpose(service="food-shop", step=step),
        )
    return {"dopa": dopa, "bma": bma, "officer": officer}


def page_of(user: Any, query: str = "") -> Any:
    client = Client()
    client.force_login(user)
    return client.get(f"/backoffice/exchange/{query}")


def test_the_consumer_sees_what_it_asked_newest_first_and_the_read_is_audited(world) -> None:
    admin = OfficerFactory(agency=world["bma"], roles=[StaffRole.AGENCY_ADMIN])
    response = page_of(admin)
    assert response.status_code == 200
    rows = response.content.decode().split('<tr data-seq="')[1:]
    assert [row.split('"')[0] for row in rows] == ["3", "2", "1"]
    assert "decision" in rows[0] and "วิชัย" in rows[0]
    event = AuditEvent.objects.get(action="exchange.log_viewed", actor=admin)
    assert len(event.data["ids"]) == 3


def test_the_provider_sees_what_was_asked_of_it(world) -> None:
    supervisor = OfficerFactory(agency=world["dopa"], roles=[StaffRole.AGENCY_SUPERVISOR])
    assert page_of(supervisor).content.decode().count('<tr data-seq="') == 0
    asked = page_of(supervisor, "?role=provider").content.decode()
    assert asked.count('<tr data-seq="') == 3 and "bma-l" in asked


def test_pages_follow_the_sequence_and_a_forged_cursor_is_refused(world) -> None:
    first = selectors.agency_log("bma-l", "consumer", size=2)
    assert [e.seq for e in first.entries] == [3, 2] and first.next_before == 2
    rest = selectors.agency_log("bma-l", "consumer", before=str(first.next_before), size=2)
    assert [e.seq for e in rest.entries] == [1] and rest.next_before is None
    admin = OfficerFactory(agency=world["bma"], roles=[StaffRole.AGENCY_ADMIN])
    assert page_of(admin, "?before=1%27%20OR%201=1").status_code == 400


@pytest.mark.parametrize("role", [StaffRole.AGENCY_OFFICER, StaffRole.COUNTER_OFFICER])
def test_officers_without_the_role_do_not_see_the_log(world, role) -> None:
    assert page_of(OfficerFactory(agency=world["bma"], roles=[role])).status_code == 404
