"""Per-service integration settings (issue 8, first part): versioned, checked as a whole
when published (JMESPath mapping compiled, endpoint, agency system of the same agency,
documents of the service), and the application package an agency's system receives,
valid against its published JSON Schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from jsonschema import Draft202012Validator

from bizportal.core.models import AuditEvent
from bizportal.exchange import services as exchange
from bizportal.integrations import package, services
from bizportal.integrations.models import IntegrationVersion, Mode
from tests.factories import AgencyFactory, ApplicantFactory, OfficerFactory, ServiceFactory
from tests.journeys import submitted

pytestmark = pytest.mark.django_db
FORWARDING = "agency_system_licence"  # a process with a forward-to-agency step
MAPPING = {
    "shop.name": "answers.business_name",
    "shop.seats": "answers.seats",
    "owner_id": "holder.id",
    "nothing": "answers.no_such_field",
}


def system_of(agency: Any, code: str = "bma-licensing") -> Any:
    system, _ = exchange.register_agency_system(
        code=code, agency=agency, name_th="ระบบอนุญาต", scopes=["exchange:fetch"]
    )
    return system


def online(service: Any, **changes: Any) -> IntegrationVersion:
    settings = {
        "mode": Mode.ONLINE,
        "agency_system": system_of(service.agency),
        "endpoint_url": "https://licensing.bma.example/applications",
        "field_mapping": MAPPING,
        "documents": ["floor_plan"],
        **changes,
    }
    return services.publish_integration(service, **settings)


def test_each_change_is_a_new_version_and_the_old_ones_stay() -> None:
    service = ServiceFactory(process_id=FORWARDING)
    first = online(service)
    second = services.publish_integration(
        service, mode=Mode.BATCH, agency_system=first.agency_system, note="by batch from now on"
    )
    first.refresh_from_db()
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current) == (2, True)
    assert AuditEvent.objects.filter(action="integrations.published").count() == 2


def test_every_problem_is_reported_at_once_and_nothing_is_saved() -> None:
    service = ServiceFactory(process_id=FORWARDING)
    stranger = system_of(AgencyFactory(code="other"), code="other-system")
    with pytest.raises(ValidationError) as refused:
        services.publish_integration(
            service,
            mode=Mode.ONLINE,
            agency_system=stranger,
            endpoint_url="http://licensing.example/in",
            field_mapping={"ok": "answers.seats", "bad name!": "x", "broken": "answers.[", "": ""},
            documents=["floor_plan", "passport_scan"],
        )
    problems = refused.value.message_dict
    assert set(problems) == {"agency_system", "endpoint_url", "field_mapping", "documents"}
    assert "ระบบนี้เป็นของหน่วยงานอื่น" in problems["agency_system"][0]
    assert "https" in problems["endpoint_url"][0]
    assert any("broken" in m and "JMESPath" in m for m in problems["field_mapping"])
    assert any("bad name!" in m for m in problems["field_mapping"])
    assert "passport_scan" in problems["documents"][0]
    assert not IntegrationVersion.objects.exists()


@pytest.mark.parametrize("mode", [Mode.ONLINE, Mode.BATCH])
def test_forwarding_needs_the_agency_system_that_reports_back(mode) -> None:
    with pytest.raises(ValidationError) as refused:
        services.publish_integration(
            ServiceFactory(process_id=FORWARDING),
            mode=mode,
            endpoint_url="https://agency.example/in",
        )
    assert set(refused.value.message_dict) == {"agency_system"}


def test_a_loopback_sandbox_may_use_plain_http() -> None:
    service = ServiceFactory(process_id=FORWARDING)
    assert online(service, endpoint_url="http://127.0.0.1:8701/applications").version == 1


def test_the_package_maps_fields_carries_the_listed_documents_and_fits_its_schema() -> None:
    service = ServiceFactory(process_id=FORWARDING)
    integration = online(service)
    application = submitted(service, ApplicantFactory())
    built = package.build(application, integration)
    assert built["mapped"] == {
        "shop": {"name": application.data["business_name"], "seats": application.data["seats"]},
        "owner_id": application.holder_id,
        "nothing": None,
    }
    assert [d["code"] for d in built["documents"]] == ["floor_plan"]
    assert built["application"]["reference"] == application.reference
    validator = Draft202012Validator(
        package.schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert list(validator.iter_errors(built)) == []
    Draft202012Validator.check_schema(package.schema())


def test_the_schema_is_published_openly(client) -> None:
    response = client.get(reverse("integrations-package-schema"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert response.json()["$id"].endswith("/application-package/1/")


def test_an_officer_previews_the_package_of_their_agencys_application(client) -> None:
    service = ServiceFactory(process_id=FORWARDING)
    online(service)
    application = submitted(service, ApplicantFactory())
    url = reverse("integrations-package", args=[application.public_id])
    client.force_login(OfficerFactory(agency=service.agency))
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["application"]["id"] == str(application.public_id)
    assert AuditEvent.objects.filter(action="integrations.package_viewed").exists()

    client.force_login(OfficerFactory(agency=AgencyFactory(code="elsewhere")))
    assert client.get(url).status_code == 404
    client.force_login(application.applicant)
    assert client.get(url).status_code in (403, 404)


def test_a_service_decided_in_the_back_office_has_no_package(client) -> None:
    service = ServiceFactory()
    application = submitted(service, ApplicantFactory())
    client.force_login(OfficerFactory(agency=service.agency))
    response = client.get(reverse("integrations-package", args=[application.public_id]))
    assert response.status_code == 404
    assert "บริการนี้พิจารณาในระบบหลังบ้านของพอร์ทัล" in response.json()["detail"]


def test_the_admin_publishes_a_version_and_shows_a_bad_mapping_on_its_field(admin_client):
    service = ServiceFactory(process_id=FORWARDING)
    system = system_of(service.agency)
    form = {
        "service": service.pk,
        "mode": Mode.ONLINE,
        "agency_system": system.pk,
        "endpoint_url": "https://agency.example/in",
        "field_mapping": '{"shop": "answers.["}',
        "documents": '["floor_plan"]',
        "note": "",
    }
    add = reverse("admin:integrations_integrationversion_add")
    refused = admin_client.post(add, form)
    assert refused.status_code == 200 and "JMESPath" in refused.content.decode()
    assert not IntegrationVersion.objects.exists()
    form["field_mapping"] = '{"shop": "answers.business_name"}'
    assert admin_client.post(add, form).status_code == 302
    published = IntegrationVersion.objects.get()
    assert (published.version, published.created_by is not None) == (1, True)
    change = reverse("admin:integrations_integrationversion_change", args=[published.pk])
    assert admin_client.post(change, {**form, "note": "edited"}).status_code == 403


def test_the_setting_and_the_services_process_must_agree() -> None:
    """Online or batch needs a process that forwards; a process that forwards cannot be
    decided in the back office (its applications would be refused at submission)."""
    standard = ServiceFactory()
    with pytest.raises(ValidationError) as refused:
        online(standard)
    assert "ไม่มีขั้นตอน forward-to-agency" in refused.value.message_dict["mode"][0]
    with pytest.raises(ValidationError) as refused:
        services.publish_integration(ServiceFactory(process_id=FORWARDING), mode=Mode.BACKOFFICE)
    assert "เลือกส่งทันทีหรือเป็นชุด" in refused.value.message_dict["mode"][0]
    assert services.publish_integration(standard, mode=Mode.BACKOFFICE).version == 1
