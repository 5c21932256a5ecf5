"""The exchange over HTTP for agency systems: OAuth2 client credentials (one client per
agency system, scopes per system), the same gateway decisions as inside the portal,
refusals as problem+json with the reason code, and the data services in the DCAT
catalogue with the gateway address to call."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.urls import reverse
from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS

from bizportal.exchange import services
from bizportal.exchange.models import AgencySystem, DataService, MessageLogEntry, MissionRule
from tests.factories import AgencyFactory, ServiceFactory
from tests.sandbox_idp.helpers import PERSON, Live

pytestmark = [pytest.mark.django_db, pytest.mark.live]
FIELDS = [
    {"name": "citizen_id", "label_th": "เลขประจำตัวประชาชน", "pdpa": "personal"},
    {"name": "full_name_th", "label_th": "ชื่อ-นามสกุล", "pdpa": "personal"},
    {"name": "birth_date", "label_th": "วันเกิด", "pdpa": "personal"},
]


@pytest.fixture
def civil(live: Live) -> DataService:
    return DataService.objects.update_or_create(
        code="civil-person",
        defaults={
            "provider": AgencyFactory(code="dopa", name_th="กรมการปกครอง", name_en="DOPA"),
            "name_th": "ข้อมูลทะเบียนราษฎร",
            "name_en": "Civil registry person record",
            "subject_kind": "person",
            "fields": FIELDS,
            "legal_basis_th": "พระราชบัญญัติการทะเบียนราษฎร พ.ศ. 2534",
            "connector": "civil_registry",
        },
    )[0]


@pytest.fixture
def system(civil: DataService) -> tuple[AgencySystem, str]:
    agency = AgencyFactory(code="fda-x", name_th="สำนักงานคณะกรรมการอาหารและยา")
    service = ServiceFactory(agency=agency, slug="food-production-x")
    MissionRule.objects.create(
        agency=agency,
        data_service=civil,
        service=service,
        fields=["full_name_th"],
        legal_basis_th="พระราชบัญญัติอาหาร พ.ศ. 2522",
    )
    return services.register_agency_system(
        code="fda-licensing",
        agency=agency,
        name_th="ระบบอนุญาตของ อย.",
        scopes=["exchange:fetch"],
    )


def token(client: Any, system: AgencySystem, secret: str, scope: str = "exchange:fetch") -> Any:
    basic = base64.b64encode(f"{system.client.client_id}:{secret}".encode()).decode()
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def bearer(client: Any, system: AgencySystem, secret: str) -> str:
    answer = token(client, system, secret)
    assert answer.status_code == 200, answer.content
    return f"Bearer {answer.json()['access_token']}"


def query(client: Any, auth: str, fields: list[str], **purpose: str) -> Any:
    return client.post(
        "/api/v1/exchange/civil-person/",
        {
            "subject_id": PERSON.citizen_id,
            "fields": fields,
            "purpose": purpose or {"service": "food-production-x", "application": "A-1"},
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def test_an_agency_system_fetches_under_its_agencys_mission(client, system) -> None:
    registered, secret = system
    answer = query(client, bearer(client, registered, secret), ["full_name_th"])
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body["data"]) == {"full_name_th"} and body["basis"] == "mission"
    entry = MessageLogEntry.objects.get(message_id=body["message_id"])
    assert (entry.consumer_agency, entry.consumer_system) == ("fda-x", "fda-licensing")


def test_a_refusal_is_problem_json_with_its_reason_and_log_entry(client, system) -> None:
    registered, secret = system
    answer = query(client, bearer(client, registered, secret), ["birth_date"])
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["reason"] == "fields_not_allowed"
    assert MessageLogEntry.objects.get(message_id=body["message_id"]).outcome == "refused"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject_id": "123", "fields": ["full_name_th"], "purpose": {"step": "x"}}, "subject_id"),
        ({"subject_id": PERSON.citizen_id, "fields": [], "purpose": {"step": "x"}}, "fields"),
        ({"subject_id": PERSON.citizen_id, "fields": ["full_name_th"], "purpose": {}}, "purpose"),
    ],
)
def test_a_malformed_query_is_refused_before_the_gateway(client, system, payload, field) -> None:
    registered, secret = system
    answer = client.post(
        "/api/v1/exchange/civil-person/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(client, registered, secret),
    )
    assert answer.status_code == 400
    assert field in str(answer.json())
    assert not MessageLogEntry.objects.exists()


def test_no_token_a_wrong_secret_or_a_scope_not_given_is_refused(client, system) -> None:
    registered, secret = system
    assert query(client, "", ["full_name_th"]).status_code == 401
    assert token(client, registered, "wrong-secret").status_code == 401
    assert token(client, registered, secret, scope="payments:refund").status_code == 400
    assert query(client, "Bearer not-a-token", ["full_name_th"]).status_code == 401
    assert not MessageLogEntry.objects.exists()


def test_a_rotated_secret_ends_the_old_secret_and_its_tokens(client, system) -> None:
    registered, secret = system
    auth = bearer(client, registered, secret)
    new_secret = services.rotate_secret(registered)
    assert query(client, auth, ["full_name_th"]).status_code == 401
    assert token(client, registered, secret).status_code == 401
    assert (
        query(client, bearer(client, registered, new_secret), ["full_name_th"]).status_code == 200
    )


def test_a_deactivated_system_gets_no_token(client, system) -> None:
    registered, secret = system
    AgencySystem.objects.filter(pk=registered.pk).update(is_active=False)
    assert token(client, registered, secret).status_code == 400


def test_the_data_services_are_open_to_read(client, civil) -> None:
    listed = client.get("/api/v1/exchange/").json()
    assert [s["code"] for s in listed] == ["civil-person"]
    one = client.get("/api/v1/exchange/civil-person/").json()
    assert one["provider"] == "dopa" and one["fields"][0]["name"] == "citizen_id"
    assert client.get("/api/v1/exchange/nothing/").status_code == 404


def test_data_services_are_in_the_dcat_catalogue_with_their_gateway_address(client, civil):
    ServiceFactory()  # a catalogue with a service in it
    graph = Graph().parse(data=client.get("/catalog.ttl").content, format="turtle")
    node = next(n for n in graph.objects(None, DCAT.service) if str(n).endswith("-civil-person"))
    assert str(graph.value(node, DCAT.endpointURL)).endswith("/api/v1/exchange/civil-person/")
    assert str(graph.value(node, DCTERMS.publisher)).endswith("dopa")
    etag = client.get("/catalog.ttl")["ETag"]
    civil.name_en = "Civil registry record"
    civil.save()
    assert client.get("/catalog.ttl", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_operators_see_agency_systems_in_the_admin(admin_client, system) -> None:
    page = admin_client.get(reverse("admin:exchange_agencysystem_changelist"))
    assert page.status_code == 200 and "fda-licensing" in page.content.decode()
