"""The sandbox Revenue Department and DIW factory-licence registries, and the client
the portal reads them with, over real HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.th import moa

from bizportal.core.models import AuditEvent
from bizportal.registries import demo, views
from bizportal.registries.client import (
    RecordNotFound,
    RegistryUnavailable,
    factory_licences_of,
    fetch_tax_status,
)
from bizportal.registries.models import SandboxFactoryLicence, SandboxTaxpayer
from tests.factories import citizen_id
from tests.sandbox_idp.helpers import PERSON, Live, closed_port_url

REVENUE = {"Authorization": "Bearer sandbox-revenue-token"}
DIW = {"Authorization": "Bearer sandbox-diw-token"}
KRUA_SOMSRI = "0105558123451"
THONGKHAM = "0105560987653"


def unknown_juristic_id() -> str:
    number = "010555900000"
    return number + moa.calc_check_digit(number)


@pytest.mark.live
class TestRevenueApi:
    def test_a_company_answers_its_vat_registration(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/revenue/taxpayers/{KRUA_SOMSRI}", headers=REVENUE
        )
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.json() == {
            "taxpayer_id": KRUA_SOMSRI,
            "name_th": "บริษัท ครัวสมศรี จำกัด",
            "taxpayer_status": "active",
            "vat": {
                "registered": True,
                "registration_number": KRUA_SOMSRI,
                "registered_since": "2015-08-01",
            },
            "branch_code": "00000",
        }

    def test_a_person_is_a_taxpayer_by_citizen_id(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/revenue/taxpayers/{PERSON.citizen_id}", headers=REVENUE
        )
        assert answer.status_code == 200
        assert answer.json()["vat"] == {
            "registered": False,
            "registration_number": "",
            "registered_since": None,
        }

    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Bearer sandbox-registry-token"},  # the civil registry's
            {"Authorization": "Bearer sandbox-diw-token"},  # the DIW's
        ],
    )
    def test_without_its_own_token_the_answer_is_401(self, live: Live, headers: dict) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/revenue/taxpayers/{KRUA_SOMSRI}", headers=headers
        )
        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "vat" not in answer.text

    def test_unknown_and_malformed_ids_are_problems(self, live: Live) -> None:
        base = f"{live.url}/sandbox/registries/revenue/taxpayers"
        for unknown in (unknown_juristic_id(), citizen_id(4242)):
            answer = requests.get(f"{base}/{unknown}", headers=REVENUE)
            assert answer.status_code == 404
            assert "ไม่พบผู้เสียภาษีรายนี้ในกรมสรรพากร" in answer.json()["detail"]
        bad_check = requests.get(f"{base}/0105558123452", headers=REVENUE)
        assert bad_check.status_code == 400
        assert bad_check.headers["Content-Type"] == "application/problem+json"
        assert "ไม่ถูกต้อง (เลขตรวจสอบไม่ตรง)" in bad_check.json()["detail"]
        assert "เลขประจำตัวผู้เสียภาษีอากร" in bad_check.json()["detail"]
        short = requests.get(f"{base}/12345", headers=REVENUE)
        assert (short.status_code, "ต้องมี 13 หลัก" in short.json()["detail"]) == (400, True)


@pytest.mark.live
class TestDiwApi:
    def test_an_owner_answers_its_licences_with_the_expired_one_marked(self, live: Live) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/diw/owners/{THONGKHAM}/licences", headers=DIW
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["owner_id"] == THONGKHAM
        expired, valid = body["licences"]  # oldest first
        assert (valid["licence_number"], valid["status"], valid["expires_on"]) == (
            "3-2(1)-12/61ชม",
            "valid",
            None,
        )
        assert valid["factory_type"] == {
            "code": "2(1)",
            "name_th": "การต้ม นึ่ง หรืออบพืชหรือเมล็ดพืช",
        }
        assert valid["factory_address"]["province"] == "เชียงใหม่"
        assert (expired["status"], expired["issued_on"], expired["expires_on"]) == (
            "expired",
            "2013-11-05",
            "2018-12-31",
        )

    def test_a_licence_past_its_expiry_date_is_answered_expired(self, live: Live) -> None:
        SandboxFactoryLicence.objects.filter(licence_number="3-2(2)-4/56ชร").update(status="valid")
        answer = requests.get(
            f"{live.url}/sandbox/registries/diw/owners/{THONGKHAM}/licences", headers=DIW
        )
        assert answer.json()["licences"][0]["status"] == "expired"

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer sandbox-revenue-token"}],
    )
    def test_without_its_own_token_the_answer_is_401(self, live: Live, headers: dict) -> None:
        answer = requests.get(
            f"{live.url}/sandbox/registries/diw/owners/{THONGKHAM}/licences", headers=headers
        )
        assert answer.status_code == 401
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "licence_number" not in answer.text

    def test_an_owner_without_licences_is_404_and_a_malformed_id_400(self, live: Live) -> None:
        base = f"{live.url}/sandbox/registries/diw/owners"
        for unknown in (KRUA_SOMSRI, unknown_juristic_id(), PERSON.citizen_id):
            answer = requests.get(f"{base}/{unknown}/licences", headers=DIW)
            assert answer.status_code == 404
            assert answer.headers["Content-Type"] == "application/problem+json"
        bad = requests.get(f"{base}/0105560987654/licences", headers=DIW)
        assert bad.status_code == 400
        assert "เลขตรวจสอบไม่ตรง" in bad.json()["detail"]
        letters = requests.get(f"{base}/010556098765x/licences", headers=DIW)
        assert letters.status_code == 400


@pytest.mark.live
class TestClient:
    def test_fetch_tax_status_reads_the_registry_and_audits(self, live: Live) -> None:
        record = fetch_tax_status(THONGKHAM, purpose="test")
        assert record.vat_registered is True
        assert record.vat_registered_since == dt.date(2018, 1, 1)
        assert (record.taxpayer_status, record.branch_code) == ("active", "00000")
        event = AuditEvent.objects.get(action="registry.tax_status_fetched", object_id=THONGKHAM)
        assert event.data == {"purpose": "test", "outcome": "ok"}

    def test_a_ceased_taxpayer_is_answered_as_ceased(self, live: Live) -> None:
        SandboxTaxpayer.objects.filter(taxpayer_id=KRUA_SOMSRI).update(status="ceased")
        assert fetch_tax_status(KRUA_SOMSRI).taxpayer_status == "ceased"

    def test_factory_licences_of_reads_every_licence_and_audits(self, live: Live) -> None:
        licences = factory_licences_of(THONGKHAM, purpose="test")
        assert [(lic.factory_type_code, lic.status) for lic in licences] == [
            ("2(2)", "expired"),
            ("2(1)", "valid"),
        ]
        assert licences[0].expires_on == dt.date(2018, 12, 31)
        assert licences[1].expires_on is None
        assert licences[0].factory_address["province"] == "เชียงราย"
        assert AuditEvent.objects.get(action="registry.factory_licences_fetched").data == {
            "purpose": "test",
            "outcome": "ok",
        }

    def test_unknown_ids_raise_record_not_found_and_are_audited(self, live: Live) -> None:
        with pytest.raises(RecordNotFound) as caught:
            fetch_tax_status(unknown_juristic_id())
        assert "ไม่พบข้อมูลในกรมสรรพากร" in str(caught.value)
        with pytest.raises(RecordNotFound):
            factory_licences_of(KRUA_SOMSRI)
        outcomes = AuditEvent.objects.filter(
            action__in=["registry.tax_status_fetched", "registry.factory_licences_fetched"]
        ).values_list("data__outcome", flat=True)
        assert list(outcomes) == ["not_found", "not_found"]

    def test_malformed_ids_never_leave_the_portal(self, live: Live, settings: Any) -> None:
        settings.REVENUE_REGISTRY_URL = settings.DIW_REGISTRY_URL = closed_port_url()
        with pytest.raises(ValidationError):
            fetch_tax_status("0105558123452")
        with pytest.raises(ValidationError):
            factory_licences_of("123")
        assert not AuditEvent.objects.filter(action__startswith="registry.").exists()

    def test_unreachable_or_unconfigured_registries_are_unavailable(
        self, live: Live, settings: Any
    ) -> None:
        settings.REVENUE_REGISTRY_URL = closed_port_url()
        with pytest.raises(RegistryUnavailable) as caught:
            fetch_tax_status(KRUA_SOMSRI)
        assert "ระบบกรมสรรพากรไม่ตอบสนอง" in str(caught.value)
        settings.DIW_REGISTRY_TOKEN = ""  # a production deployment not connected to DIW
        with translation.override("en"), pytest.raises(RegistryUnavailable) as caught:
            factory_licences_of(THONGKHAM)
        assert "Department of Industrial Works registry is not available" in str(caught.value)
        outcomes = AuditEvent.objects.filter(action__startswith="registry.").values_list(
            "data__outcome", flat=True
        )
        assert list(outcomes) == ["unavailable", "unavailable"]

    def test_a_registry_that_refuses_our_token_is_unavailable(
        self, live: Live, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        rotated = {**views.accepted_tokens(), "revenue": "theirs", "diw": "theirs"}
        monkeypatch.setattr(views, "accepted_tokens", lambda: rotated)
        with pytest.raises(RegistryUnavailable):
            fetch_tax_status(KRUA_SOMSRI)
        with pytest.raises(RegistryUnavailable):
            factory_licences_of(THONGKHAM)


@pytest.mark.django_db
def test_the_demo_tax_and_factory_records_belong_to_demo_companies_and_people() -> None:
    demo.seed()
    demo.seed()  # idempotent
    companies = {c["juristic_id"] for c in demo.DEMO_COMPANIES}
    assert (
        SandboxTaxpayer.objects.filter(taxpayer_id__in=companies, vat_registered=True).count() == 2
    )
    assert SandboxTaxpayer.objects.filter(
        taxpayer_id=PERSON.citizen_id, vat_registered=False
    ).exists()
    owners = set(SandboxFactoryLicence.objects.values_list("owner_id", flat=True))
    assert owners == {THONGKHAM}
    assert sorted(SandboxFactoryLicence.objects.values_list("status", flat=True)) == [
        "expired",
        "valid",
    ]


def test_production_starts_without_the_revenue_and_diw_tokens_and_refuses_demo_ones(
    tmp_path: Any,
) -> None:
    """They are optional: a deployment not yet connected leaves them unset (the
    client then answers "unavailable" without asking); a published demo token fails."""
    from tests.core.test_security_settings import manage, production_env

    script = (
        "from django.conf import settings as s; "
        "print(repr(s.REVENUE_REGISTRY_TOKEN + s.DIW_REGISTRY_TOKEN))"
    )
    unset = manage(production_env(tmp_path), "shell", "-c", script)
    assert unset.returncode == 0, unset.stderr
    assert unset.stdout.strip().splitlines()[-1] == "''"
    demo_token = manage(
        production_env(tmp_path, DIW_REGISTRY_TOKEN="sandbox-diw-token"), "shell", "-c", script
    )
    assert demo_token.returncode != 0
    assert "DIW_REGISTRY_TOKEN is the published demo value" in demo_token.stderr
