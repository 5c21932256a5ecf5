"""The sandbox civil and juristic-person registries, and the client the portal reads
them with, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.exceptions import ValidationError
from stdnum.th import moa, pin

from bizportal.core.models import AuditEvent
from bizportal.registries import demo
from bizportal.registries.client import (
    RecordNotFound,
    RegistryUnavailable,
    fetch_juristic_person,
    fetch_person,
)
from bizportal.registries.models import SandboxJuristicPerson, SandboxPerson
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.factories import citizen_id
from tests.sandbox_idp.helpers import PERSON, Live, closed_port_url

TOKEN = {"Authorization": "Bearer sandbox-registry-token"}


@pytest.mark.live
class TestCivilRegistryApi:
    def test_a_person_is_returned_with_their_address(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/civil/persons/{PERSON.citizen_id}", headers=TOKEN
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["first_name_th"] == "สมศรี"
        assert body["last_name_en"] == "Jaidee"
        assert body["birth_date"] == "1978-04-12"
        assert body["address"] == {**PERSON.address}

    @pytest.mark.parametrize(
        "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}]
    )
    def test_without_the_right_token_the_answer_is_401_problem_json(
        self, live: Live, headers: dict
    ) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/civil/persons/{PERSON.citizen_id}", headers=headers
        )
        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "first_name_th" not in answer.text

    def test_an_invalid_citizen_id_is_a_400_problem(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/civil/persons/3101700123453", headers=TOKEN
        )
        assert answer.status_code == 400
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "เลขตรวจสอบไม่ตรง" in answer.json()["detail"]

    def test_an_unknown_person_is_a_404_problem(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/civil/persons/{citizen_id(4242)}", headers=TOKEN
        )
        assert answer.status_code == 404
        assert answer.json()["status"] == 404


@pytest.mark.live
class TestJuristicRegistryApi:
    def test_a_company_is_returned_with_its_directors(self, live: Live) -> None:
        company = demo.DEMO_COMPANIES[1]
        answer = requests.get(
            f"{live.url}/sandbox/registries/juristic/{company['juristic_id']}", headers=TOKEN
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["name_th"] == "บริษัท ทองคำ คอฟฟี่ จำกัด"
        assert body["director_citizen_ids"] == company["director_citizen_ids"]
        assert body["registered_address"]["province"] == "เชียงใหม่"

    def test_errors_are_problems(self, live: Live) -> None:
        base = f"{live.url}/sandbox/registries/juristic"
        assert requests.get(f"{base}/0105558123451").status_code == 401
        assert requests.get(f"{base}/0105558123452", headers=TOKEN).status_code == 400
        unknown = "010555900000"
        unknown += moa.calc_check_digit(unknown)
        assert requests.get(f"{base}/{unknown}", headers=TOKEN).status_code == 404


@pytest.mark.live
class TestClient:
    def test_fetch_person_reads_the_registry_and_audits_the_access(self, live: Live) -> None:
        record = fetch_person(PERSON.citizen_id, purpose="test")
        assert record.full_name_th == "นางสมศรี ใจดี"
        assert record.full_name_en == "Mrs Somsri Jaidee"
        assert record.birth_date == PERSON.birth_date
        assert record.address["subdistrict"] == "สามเสนใน"
        event = AuditEvent.objects.get(
            action="registry.person_fetched", object_id=PERSON.citizen_id
        )
        assert event.data == {"purpose": "test", "outcome": "ok"}

    def test_an_unknown_person_raises_record_not_found_and_is_audited(self, live: Live) -> None:
        with pytest.raises(RecordNotFound):
            fetch_person(citizen_id(4242))
        assert (
            AuditEvent.objects.get(action="registry.person_fetched").data["outcome"] == "not_found"
        )

    def test_a_malformed_citizen_id_never_leaves_the_portal(
        self, live: Live, settings: Any
    ) -> None:
        settings.CIVIL_REGISTRY_URL = closed_port_url()
        with pytest.raises(ValidationError):
            fetch_person("123")

    def test_a_registry_that_refuses_our_token_is_unavailable(
        self, live: Live, settings: Any
    ) -> None:
        settings.CIVIL_REGISTRY_TOKEN = "ours"
        from bizportal.registries import views

        original = views.accepted_tokens
        views.accepted_tokens = lambda: {"civil": "theirs", "juristic": "theirs"}
        try:
            with pytest.raises(RegistryUnavailable):
                fetch_person(PERSON.citizen_id)
        finally:
            views.accepted_tokens = original

    def test_an_unreachable_registry_is_unavailable(self, live: Live, settings: Any) -> None:
        settings.CIVIL_REGISTRY_URL = closed_port_url()
        with pytest.raises(RegistryUnavailable) as caught:
            fetch_person(PERSON.citizen_id)
        assert "ระบบทะเบียนราษฎรไม่ตอบสนอง" in str(caught.value)
        assert (
            AuditEvent.objects.get(action="registry.person_fetched").data["outcome"]
            == "unavailable"
        )

    def test_fetch_juristic_person(self, live: Live) -> None:
        record = fetch_juristic_person("0105558123451")
        assert record.name_en == "Krua Somsri Company Limited"
        assert record.director_citizen_ids == (PERSON.citizen_id,)
        assert record.registered_address["postcode"] == "10400"
        with pytest.raises(RecordNotFound):
            SandboxJuristicPerson.objects.all().delete()
            fetch_juristic_person("0105558123451")


@pytest.mark.django_db
def test_the_demo_registry_holds_the_same_people_as_the_demo_digital_id() -> None:
    demo.seed()
    demo.seed()  # idempotent
    ids = {p.citizen_id for p in DEMO_IDENTITIES}
    assert set(SandboxPerson.objects.values_list("citizen_id", flat=True)) == ids
    assert len(ids) >= 3
    assert all(pin.is_valid(i) for i in ids)
    for company in SandboxJuristicPerson.objects.all():
        assert moa.is_valid(company.juristic_id)
        assert set(company.director_citizen_ids) <= ids
