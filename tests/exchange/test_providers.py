"""The Revenue Department and DIW connectors behind the gateway, over the real sandbox
registries (HTTP): answered under a mission rule, with only the fields asked for."""

from __future__ import annotations

import pytest

from bizportal.exchange import gateway
from bizportal.exchange.gateway import Consumer, Purpose, Reason, Refused
from bizportal.exchange.models import Basis, DataService, MessageLogEntry, MissionRule, Outcome
from bizportal.exchange.providers import providers
from bizportal.identity.models import StaffRole
from tests.factories import AgencyFactory, OfficerFactory, ServiceFactory
from tests.sandbox_idp.helpers import Live

pytestmark = [pytest.mark.django_db, pytest.mark.live]
KRUA_SOMSRI = "0105558123451"
THONGKHAM = "0105560987653"


def fields(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "label_th": n, "pdpa": "public"} for n in names]


def data_service(code: str, connector: str, names: tuple[str, ...], provider: str) -> DataService:
    return DataService.objects.create(
        code=code,
        provider=AgencyFactory(code=provider),
        name_th=code,
        name_en=code,
        subject_kind="juristic",
        fields=fields(*names),
        legal_basis_th="กฎหมายของผู้ให้บริการข้อมูล",
        connector=connector,
    )


@pytest.fixture
def officer(live: Live):  # type: ignore[no-untyped-def]
    """An officer of a licensing agency whose mission covers part of each data service."""
    agency = AgencyFactory(code="lic-x")
    service = ServiceFactory(agency=agency, slug="factory-permit-x")
    revenue = data_service(
        "rd-tax-status",
        "revenue_tax_status",
        (
            "taxpayer_id",
            "name_th",
            "taxpayer_status",
            "vat_registered",
            "vat_registration_number",
            "vat_registered_since",
            "branch_code",
        ),
        "rd-x",
    )
    diw = data_service(
        "diw-factory-licences",
        "diw_factory_licence",
        ("owner_id", "has_valid_licence", "licences"),
        "diw-x",
    )
    for ds, allowed in (
        (revenue, ["taxpayer_status", "vat_registered", "vat_registration_number"]),
        (diw, ["has_valid_licence", "licences"]),
    ):
        MissionRule.objects.create(
            agency=agency,
            data_service=ds,
            service=service,
            fields=allowed,
            legal_basis_th="พระราชบัญญัติโรงงาน พ.ศ. 2535",
        )
    return OfficerFactory(agency=agency, roles=[StaffRole.AGENCY_OFFICER])


def ask(officer, data_service: str, subject: str, names: list[str]) -> gateway.Answer:  # type: ignore[no-untyped-def]
    return gateway.fetch(
        Consumer("lic-x", "backoffice", officer),
        data_service,
        subject,
        names,
        Purpose(service="factory-permit-x", application="APP-9", step="review"),
    )


def test_both_connectors_are_registered() -> None:
    assert "revenue_tax_status" in providers and "diw_factory_licence" in providers


def test_the_tax_status_is_answered_with_only_the_fields_asked(officer) -> None:  # type: ignore[no-untyped-def]
    answer = ask(officer, "rd-tax-status", KRUA_SOMSRI, ["taxpayer_status", "vat_registered"])
    assert answer.basis == Basis.MISSION
    assert answer.data == {"taxpayer_status": "active", "vat_registered": True}
    entry = MessageLogEntry.objects.get(message_id=answer.message_id)
    assert (entry.outcome, entry.provider) == (Outcome.ANSWERED, "rd-x")
    assert entry.fields_returned == ["taxpayer_status", "vat_registered"]


def test_tax_fields_beyond_the_mission_are_refused(officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as refused:
        ask(officer, "rd-tax-status", KRUA_SOMSRI, ["vat_registered", "name_th"])
    assert refused.value.reason == Reason.FIELDS_NOT_ALLOWED


def test_factory_licences_are_answered_as_a_flat_record(officer) -> None:  # type: ignore[no-untyped-def]
    answer = ask(officer, "diw-factory-licences", THONGKHAM, ["has_valid_licence", "licences"])
    assert set(answer.data) == {"has_valid_licence", "licences"}
    assert answer.data["has_valid_licence"] is True
    licences = answer.data["licences"]
    assert [(lic["licence_number"], lic["status"]) for lic in licences] == [
        ("3-2(2)-4/56ชร", "expired"),
        ("3-2(1)-12/61ชม", "valid"),
    ]
    assert licences[1]["factory_type_code"] == "2(1)"
    assert licences[1]["factory_type_th"] == "การต้ม นึ่ง หรืออบพืชหรือเมล็ดพืช"
    assert (licences[0]["province"], licences[0]["expires_on"]) == ("เชียงราย", "2018-12-31")
    assert licences[1]["expires_on"] == ""


def test_the_yes_no_alone_does_not_carry_the_licences(officer) -> None:  # type: ignore[no-untyped-def]
    answer = ask(officer, "diw-factory-licences", THONGKHAM, ["has_valid_licence"])
    assert answer.data == {"has_valid_licence": True}


def test_an_owner_without_factory_licences_is_not_found_and_logged(officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as refused:
        ask(officer, "diw-factory-licences", KRUA_SOMSRI, ["has_valid_licence"])
    assert refused.value.reason == Reason.NOT_FOUND
    entry = MessageLogEntry.objects.get(message_id=refused.value.message_id)
    assert (entry.outcome, entry.basis) == (Outcome.NOT_FOUND, Basis.MISSION)


def test_an_unreachable_revenue_department_is_logged_unavailable(officer, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.sandbox_idp.helpers import closed_port_url

    settings.REVENUE_REGISTRY_URL = closed_port_url()
    with pytest.raises(Refused) as refused:
        ask(officer, "rd-tax-status", KRUA_SOMSRI, ["vat_registered"])
    assert refused.value.reason == Reason.PROVIDER_UNAVAILABLE
