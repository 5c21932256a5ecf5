"""The licence lifecycle by the issuing agency (issue 14): suspend until a date or until
reinstated, reinstate, revoke only with maker–checker; each refused for anyone else,
each seen by verification at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from bizportal.core.models import AuditEvent, DomainEvent
from bizportal.identity.models import StaffRole
from bizportal.licences import services
from bizportal.licences.models import Licence, RevocationRequest
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/licences"


@pytest.fixture
def officer(licence: Licence) -> Any:
    return OfficerFactory(agency=licence.agency)


@pytest.fixture
def supervisor(licence: Licence) -> Any:
    return OfficerFactory(agency=licence.agency, roles=[StaffRole.AGENCY_SUPERVISOR])


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def test_a_suspension_until_a_date_ends_on_its_own(licence: Licence, officer: Any) -> None:
    services.suspend_licence(licence, reason="ไม่ผ่านตรวจสุขาภิบาล", until=tomorrow(), actor=officer)
    licence.refresh_from_db()
    assert services.verdict(licence) == "suspended"
    assert DomainEvent.objects.filter(name="licences.licence_suspended").exists()
    later = tomorrow() + dt.timedelta(days=1)
    assert services.verdict(licence, today=later) == "valid"  # the last day has passed
    Licence.objects.filter(pk=licence.pk).update(
        suspended_until=timezone.localdate() - dt.timedelta(days=1)
    )
    assert services.end_lapsed_suspensions() == 1
    licence.refresh_from_db()
    assert (licence.status, licence.suspended_until) == ("valid", None)
    assert AuditEvent.objects.filter(action="licence.reinstated", actor=None).exists()


def test_an_officer_suspends_and_reinstates_and_others_may_not(
    licence: Licence, officer: Any, applicant: Any
) -> None:
    stranger = OfficerFactory(agency=AgencyFactory())
    for who in (stranger, applicant):
        with pytest.raises(services.LicenceError, match="เฉพาะเจ้าหน้าที่ของหน่วยงานที่ออกใบอนุญาต"):
            services.suspend_licence(licence, reason="x", actor=who)
    with pytest.raises(services.LicenceError, match="กรุณาระบุเหตุผลการพักใช้"):
        services.suspend_licence(licence, reason=" ", actor=officer)
    with pytest.raises(services.LicenceError, match="วันสิ้นสุดต้องเป็นวันในอนาคต"):
        services.suspend_licence(licence, reason="x", until=timezone.localdate(), actor=officer)
    services.suspend_licence(licence, reason="รอเอกสาร", actor=officer)
    with pytest.raises(services.LicenceError, match="พักใช้ได้เฉพาะใบอนุญาตที่ใช้ได้"):
        services.suspend_licence(licence, reason="again", actor=officer)
    services.reinstate_licence(licence, actor=officer)
    licence.refresh_from_db()
    assert services.verdict(licence) == "valid"
    with pytest.raises(services.LicenceError, match="ใบอนุญาตนี้ไม่ได้ถูกพักใช้"):
        services.reinstate_licence(licence, actor=officer)


def test_revocation_needs_a_second_person(licence: Licence, officer: Any, supervisor: Any) -> None:
    request = services.request_revocation(
        licence, reason_code="conditions_breached", note="ขายสุราแก่ผู้เยาว์", actor=supervisor
    )
    licence.refresh_from_db()
    assert services.verdict(licence) == "valid"  # nothing changes on the maker's word
    with pytest.raises(services.LicenceError, match="มีคำขอเพิกถอนรออนุมัติอยู่แล้ว"):
        services.request_revocation(licence, reason_code="other", note="again", actor=officer)
    with pytest.raises(services.LicenceError, match="ผู้ขอเพิกถอนอนุมัติคำขอของตนเองไม่ได้"):
        services.decide_revocation(request, approve=True, actor=supervisor)
    with pytest.raises(services.LicenceError, match="เฉพาะเจ้าหน้าที่ของหน่วยงานที่ออกใบอนุญาต"):
        services.decide_revocation(request, approve=True, actor=officer)  # not a supervisor
    other = OfficerFactory(agency=licence.agency, roles=[StaffRole.AGENCY_SUPERVISOR])
    services.decide_revocation(request, approve=True, actor=other)
    licence.refresh_from_db()
    assert services.verdict(licence) == "revoked"
    assert "ฝ่าฝืนเงื่อนไข" in licence.revocation_reason
    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("approved", other)


def test_a_declined_revocation_changes_nothing(
    licence: Licence, officer: Any, supervisor: Any
) -> None:
    request = services.request_revocation(licence, reason_code="other", note="x", actor=officer)
    services.decide_revocation(request, approve=False, actor=supervisor, note="หลักฐานไม่พอ")
    licence.refresh_from_db()
    assert services.verdict(licence) == "valid"
    assert RevocationRequest.objects.get().state == "declined"
    with pytest.raises(services.LicenceError, match="เหตุผลต้องเป็นหนึ่งใน"):
        services.request_revocation(licence, reason_code="whim", note="x", actor=officer)


def test_the_page_and_the_api(client: Any, licence: Licence, officer: Any, supervisor: Any) -> None:
    client.force_login(officer)
    page = client.get(reverse("backoffice:licence", args=[licence.public_id]))
    assert page.status_code == 200 and 'data-verdict="valid"' in page.content.decode()
    client.post(
        reverse("backoffice:licence-act", args=[licence.public_id]),
        {"action": "request_revocation", "reason_code": "danger", "reason": "อาคารไม่ปลอดภัย"},
    )
    assert RevocationRequest.objects.filter(state="pending").count() == 1
    client.force_login(supervisor)
    shown = client.get(reverse("backoffice:licence", args=[licence.public_id])).content.decode()
    assert "data-pending-revocation" in shown and "approve_revocation" in shown
    answer = client.post(
        f"{API}/{licence.public_id}/lifecycle/",
        {"action": "approve_revocation", "reason": "ยืนยัน"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["verdict"] == "revoked"
    again = client.post(
        f"{API}/{licence.public_id}/lifecycle/",
        {"action": "suspend", "reason": "x"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")


def test_other_agencies_do_not_see_the_licence(client: Any, licence: Licence) -> None:
    client.force_login(OfficerFactory(agency=AgencyFactory()))
    assert client.get(reverse("backoffice:licence", args=[licence.public_id])).status_code == 404
    answer = client.post(
        f"{API}/{licence.public_id}/lifecycle/",
        {"action": "suspend", "reason": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 404
    licence.refresh_from_db()
    assert licence.status == "valid"


def test_the_holder_is_told_of_each_change(licence: Licence, officer: Any, mailoutbox: Any) -> None:
    from bizportal.core import outbox

    services.suspend_licence(licence, reason="รอเอกสาร", until=tomorrow(), actor=officer)
    services.reinstate_licence(licence, actor=officer)
    outbox.deliver_pending()
    outbox.deliver_pending()  # a redelivery sends nothing twice
    subjects = [message.subject for message in mailoutbox]
    assert len(subjects) == 2
    assert "suspended" in subjects[0] and "reinstated" in subjects[1]
    assert "รอเอกสาร" in mailoutbox[0].body and licence.number in mailoutbox[0].body
