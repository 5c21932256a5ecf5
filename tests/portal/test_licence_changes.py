"""Amend, renew or cancel a licence from the account page.

The account page offers the changes a licence may take now; a click starts (or
continues) the draft, and a refusal says why without creating anything.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from bizportal.applications.models import Application, Kind, Status
from bizportal.licences.models import Licence
from bizportal.licences.services import cancel_licence, revoke_licence
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

KINDS = ("amend", "renew", "cancel")


@pytest.fixture
def licence() -> Licence:
    return journeys.issued_licence()


def licence_card(page: str, licence: Licence) -> str:
    """The account page's card for ``licence`` (its buttons are inside it)."""
    match = re.search(
        rf'<section class="card licence" data-licence="{re.escape(licence.number)}".*?</section>',
        page,
        re.DOTALL,
    )
    assert match, f"no card for {licence.number} on the account page"
    return match.group(0)


def offered(page: str, licence: Licence) -> list[str]:
    return re.findall(r'data-kind="(\w+)"', licence_card(page, licence))


def change_url(licence: Licence, kind: str) -> str:
    return f"/account/licences/{licence.public_id}/{kind}/"


def move_expiry(licence: Licence, days_from_today: int) -> None:
    """Test set-up: the register row says the licence expires ``days_from_today``."""
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + dt.timedelta(days=days_from_today)
    )
    licence.refresh_from_db()


def test_an_issued_licence_offers_amend_renew_and_cancel(client, licence) -> None:
    client.force_login(licence.account)
    page = client.get("/account/").content.decode()
    card = licence_card(page, licence)
    assert offered(page, licence) == list(KINDS)
    for kind in KINDS:
        assert f'action="{change_url(licence, kind)}"' in card
    for label in ("ขอแก้ไขรายการ", "ขอต่ออายุ", "ขอยกเลิกใบอนุญาต"):
        assert label in card
    assert "ใช้ได้" in card and "ฉบับที่" in card


def test_the_english_account_page_names_the_buttons_in_english(client, licence) -> None:
    client.force_login(licence.account)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    card = licence_card(client.get("/account/").content.decode(), licence)
    for label in ("Amend", "Renew", "Cancel the licence"):
        assert f">{label}</button>" in card


def test_a_revoked_licence_offers_no_change(client, licence) -> None:
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไขสุขลักษณะ", actor=OfficerFactory(agency=licence.agency))
    client.force_login(licence.account)
    page = client.get("/account/").content.decode()
    assert offered(page, licence) == []
    assert "ถูกเพิกถอน" in licence_card(page, licence)
    response = client.post(change_url(licence, "amend"), follow=True)
    assert "ถูกเพิกถอนแล้ว" in response.content.decode()
    assert not Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).exists()


def test_a_cancelled_licence_offers_no_change(client, licence) -> None:
    cancel_licence(licence, reason="เลิกกิจการ")
    client.force_login(licence.account)
    page = client.get("/account/").content.decode()
    assert offered(page, licence) == []
    assert "ยกเลิกแล้ว" in licence_card(page, licence)
    response = client.post(change_url(licence, "cancel"), follow=True)
    assert "ถูกยกเลิกแล้ว" in response.content.decode()
    assert f"ใบอนุญาต {licence.number} ถูกยกเลิกแล้วเมื่อ" in response.content.decode()
    assert not Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).exists()


def test_a_licence_without_expiry_offers_no_renewal(client) -> None:
    licence = journeys.issued_licence(ServiceFactory(licence_validity_years=0))
    assert licence.valid_until is None
    client.force_login(licence.account)
    page = client.get("/account/").content.decode()
    assert offered(page, licence) == ["amend", "cancel"]
    assert "ไม่มีวันหมดอายุ" in licence_card(page, licence)
    refused = client.post(change_url(licence, "renew"), follow=True).content.decode()
    assert "ไม่มีวันหมดอายุ จึงไม่ต้องต่ออายุ" in refused


def test_a_kind_the_service_stopped_offering_is_neither_shown_nor_started(client, licence) -> None:
    licence.service.application_types.filter(kind="cancel").update(enabled=False)
    client.force_login(licence.account)
    page = client.get("/account/").content.decode()
    assert offered(page, licence) == ["amend", "renew"]
    refused = client.post(change_url(licence, "cancel"), follow=True).content.decode()
    assert "ไม่รับคำขอประเภทนี้ (ขอยกเลิกใบอนุญาต)" in refused
    assert not Application.objects.filter(kind=Kind.CANCEL).exists()


def test_renewing_before_the_window_opens_says_from_when_and_creates_nothing(
    client, licence
) -> None:
    assert licence.valid_until is not None
    assert licence.valid_until > timezone.localdate() + dt.timedelta(days=90)
    client.force_login(licence.account)
    response = client.post(change_url(licence, "renew"))
    assert response.status_code == 302 and response["Location"] == "/account/"
    page = client.get(response["Location"]).content.decode()
    assert f"ยื่นต่ออายุใบอนุญาต {licence.number} ได้ตั้งแต่" in page
    assert "(ก่อนหมดอายุ 90 วัน)" in page
    assert not Application.objects.filter(kind=Kind.RENEW).exists()
    assert offered(page, licence) == list(KINDS)  # still offered; the click explains


def test_renewing_after_the_late_period_says_so_and_creates_nothing(client, licence) -> None:
    move_expiry(licence, -31)  # the demo services accept renewals 30 days late
    client.force_login(licence.account)
    page = client.post(change_url(licence, "renew"), follow=True).content.decode()
    assert "พ้นกำหนดต่ออายุ" in page and "กรุณายื่นขอใบอนุญาตใหม่" in page
    assert not Application.objects.filter(kind=Kind.RENEW).exists()


def test_renewing_inside_the_window_opens_a_draft_with_the_licence_details(client, licence) -> None:
    move_expiry(licence, 20)
    client.force_login(licence.account)
    response = client.post(change_url(licence, "renew"))
    renewal = Application.objects.get(kind=Kind.RENEW, licence=licence)
    assert response["Location"] == f"/applications/{renewal.public_id}/edit/"
    assert renewal.status == Status.DRAFT
    assert renewal.applicant == licence.account
    form = client.get(response["Location"]).content.decode()
    assert "ขอต่ออายุใบอนุญาต" in form and licence.number in form
    assert licence.details["business_name"] in form


def test_starting_a_change_again_continues_the_open_draft(client, licence) -> None:
    client.force_login(licence.account)
    first = client.post(change_url(licence, "amend"))
    again = client.post(change_url(licence, "amend"))
    amendment = Application.objects.get(kind=Kind.AMEND, licence=licence)
    assert first["Location"] == again["Location"] == f"/applications/{amendment.public_id}/edit/"
    page = client.get("/account/").content.decode()
    card = licence_card(page, licence)
    assert offered(page, licence) == []  # one change at a time
    assert f"/applications/{amendment.public_id}/" in card and "ขอแก้ไขรายการในใบอนุญาต" in card


def test_another_kind_of_change_is_refused_while_one_is_open(client, licence) -> None:
    client.force_login(licence.account)
    client.post(change_url(licence, "amend"))
    page = client.post(change_url(licence, "cancel"), follow=True).content.decode()
    assert "มีคำขอที่ยังดำเนินการอยู่สำหรับใบอนุญาตนี้" in page
    assert "มีคำขอที่ยังดำเนินการอยู่สำหรับใบอนุญาตนี้" in page
    assert not Application.objects.filter(kind=Kind.CANCEL).exists()


def test_another_person_cannot_start_a_change_on_my_licence(client, licence) -> None:
    client.force_login(ApplicantFactory())
    for kind in KINDS:
        assert client.post(change_url(licence, kind)).status_code == 404
    assert licence.number not in client.get("/account/").content.decode()
    assert not Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).exists()


def test_only_the_three_changes_can_be_started_and_only_by_post(client, licence) -> None:
    client.force_login(licence.account)
    assert client.post(change_url(licence, "new")).status_code == 404
    assert client.post(change_url(licence, "transfer")).status_code == 404
    assert client.get(change_url(licence, "amend")).status_code == 405
    assert not Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).exists()


def test_signed_out_people_are_sent_to_sign_in(client, licence) -> None:
    response = client.post(change_url(licence, "amend"))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]
    assert not Application.objects.filter(kind=Kind.AMEND).exists()


def test_the_cancellation_form_asks_why_and_for_a_confirmation(client, licence) -> None:
    client.force_login(licence.account)
    edit_url = client.post(change_url(licence, "cancel"))["Location"]
    form = client.get(edit_url).content.decode()
    assert 'name="reason"' in form and 'type="checkbox"' in form and 'name="confirm"' in form
    assert "ไม่ต้องแนบเอกสาร" in form  # a cancellation asks for no documents
    assert 'name="business_name"' not in form

    unconfirmed = client.post(
        edit_url, {"reason": "เลิกกิจการแล้ว", "accept_terms": "on", "action": "submit"}
    )
    assert unconfirmed.status_code == 400
    cancellation = Application.objects.get(kind=Kind.CANCEL)
    assert cancellation.status == Status.DRAFT
    page = unconfirmed.content.decode()
    assert "เลิกกิจการแล้ว" in page  # what was typed is kept
    # The error summary's link lands on the checkbox itself.
    assert 'href="#f-confirm"' in page and 'id="f-confirm"' in page

    done = client.post(
        edit_url,
        {"reason": "เลิกกิจการแล้ว", "confirm": "true", "accept_terms": "on", "action": "submit"},
    )
    assert done.status_code == 302
    cancellation.refresh_from_db()
    assert cancellation.status == Status.REVIEW
    assert cancellation.data == {"reason": "เลิกกิจการแล้ว", "confirm": True}
    assert cancellation.reference in client.get(done["Location"]).content.decode()
