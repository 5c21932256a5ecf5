"""Agency IT staff manage their own agency's systems (OAuth2 clients) and integrations
in the admin, and nothing of another agency's: lists, change forms, choices and actions
are all scoped to their agency."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bizportal.exchange import services as exchange
from bizportal.exchange.models import AgencySystem
from bizportal.identity import services as identity
from bizportal.identity.models import StaffRole
from bizportal.integrations import services as integrations
from bizportal.integrations.models import IntegrationVersion, Mode
from tests.factories import AgencyFactory, OfficerFactory, ServiceFactory
from tests.integrations.test_settings import FORWARDING, MAPPING

pytestmark = pytest.mark.django_db


def online(service: Any, agency_system: AgencySystem) -> IntegrationVersion:
    return integrations.publish_integration(
        service,
        mode=Mode.ONLINE,
        agency_system=agency_system,
        endpoint_url="https://licensing.example/applications",
        field_mapping=MAPPING,
        documents=[],
    )


def system_of(agency: Any, code: str) -> AgencySystem:
    return exchange.register_agency_system(
        code=code, agency=agency, name_th=f"ระบบ {code}", scopes=["exchange:fetch"]
    )[0]


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    mine, theirs = AgencyFactory(code="it-a"), AgencyFactory(code="it-b")
    it = OfficerFactory(agency=mine, roles=[StaffRole.AGENCY_IT], is_staff=True)
    client = Client()
    client.force_login(it)
    return {
        "mine": mine,
        "theirs": theirs,
        "it": it,
        "client": client,
        "own": system_of(mine, "own-licensing"),
        "other": system_of(theirs, "other-licensing"),
    }


def test_agency_it_see_and_open_only_their_agencys_systems(world) -> None:
    client = world["client"]
    page = client.get("/admin/exchange/agencysystem/").content.decode()
    assert "own-licensing" in page and "other-licensing" not in page
    assert client.get(f"/admin/exchange/agencysystem/{world['own'].pk}/change/").status_code == 200
    other = client.get(f"/admin/exchange/agencysystem/{world['other'].pk}/change/")
    assert other.status_code == 302  # the admin's "does not exist" redirect
    assert "other-licensing" not in client.get(other["Location"]).content.decode()


def test_agency_it_cannot_register_a_system_for_another_agency(world) -> None:
    form = {"code": "sneaky", "name_th": "แอบ", "scopes": '["exchange:fetch"]', "is_active": "on"}
    refused = world["client"].post(
        "/admin/exchange/agencysystem/add/", {**form, "agency": world["theirs"].pk}
    )
    assert refused.status_code == 200 and "errornote" in refused.content.decode()
    assert not AgencySystem.objects.filter(code="sneaky").exists()
    world["client"].post("/admin/exchange/agencysystem/add/", {**form, "agency": world["mine"].pk})
    assert AgencySystem.objects.get(code="sneaky").agency == world["mine"]


def test_rotating_another_agencys_secret_does_nothing(world) -> None:
    other = world["other"]
    before = other.client.client_secret
    world["client"].post(
        "/admin/exchange/agencysystem/",
        {"action": "rotate_secrets", "_selected_action": [other.pk, world["own"].pk]},
    )
    other.client.refresh_from_db()
    assert other.client.client_secret == before
    world["own"].client.refresh_from_db()
    assert world["own"].client.client_secret != before


def test_agency_it_see_only_their_agencys_integrations(world) -> None:
    online(ServiceFactory(agency=world["mine"], process_id=FORWARDING), agency_system=world["own"])
    theirs = online(
        ServiceFactory(agency=world["theirs"], process_id=FORWARDING), agency_system=world["other"]
    )
    client = world["client"]
    page = client.get("/admin/integrations/integrationversion/").content.decode()
    assert "own-licensing" in page and "other-licensing" not in page
    change = f"/admin/integrations/integrationversion/{theirs.pk}/change/"
    assert client.get(change).status_code == 302
    assert IntegrationVersion.objects.count() == 2


@pytest.mark.parametrize("roles", [[StaffRole.AGENCY_OFFICER], [StaffRole.AGENCY_ADMIN]])
def test_other_agency_roles_do_not_reach_the_systems(world, roles) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(OfficerFactory(agency=world["mine"], roles=roles, is_staff=True))
    assert client.get("/admin/exchange/agencysystem/").status_code == 403
    assert client.get(f"/admin/exchange/agencysystem/{world['own'].pk}/change/").status_code in (
        302,
        403,
    )


def test_an_agency_admin_who_gives_the_it_role_opens_the_admin_to_that_account(world) -> None:
    admin = OfficerFactory(agency=world["mine"], roles=[StaffRole.AGENCY_ADMIN])
    account = identity.create_staff(
        admin,
        username="new.it",
        full_name_th="ไอที ใหม่",
        full_name_en="New IT",
        email="new.it@example.test",
        roles=[StaffRole.AGENCY_IT],
        password="a-long-password-1234",
    )
    assert account.is_staff
    identity.set_staff_roles(admin, account, [StaffRole.AGENCY_OFFICER])
    account.refresh_from_db()
    assert not account.is_staff
