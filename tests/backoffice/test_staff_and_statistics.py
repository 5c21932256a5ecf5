"""An agency administrator manages only their own agency's staff; an executive reads
statistics and nothing else."""

from __future__ import annotations

import pytest

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole, User
from tests import journeys
from tests.factories import AgencyFactory, ApplicantFactory, OfficerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return AgencyFactory()


@pytest.fixture
def agency_admin(agency):
    return OfficerFactory(agency=agency, roles=[StaffRole.AGENCY_ADMIN])


NEW = {
    "username": "new.officer",
    "full_name_th": "สมหมาย ตั้งใจ",
    "full_name_en": "Sommai Tangjai",
    "email": "sommai@agency.example",
    "password": "a-long-enough-pass-2569",
    "roles": ["agency_officer"],
}


def test_an_agency_admin_adds_an_officer_to_their_own_agency(client, agency, agency_admin) -> None:
    client.force_login(agency_admin)
    assert client.post("/backoffice/staff/new/", NEW).status_code == 302
    user = User.objects.get(username="new.officer")
    assert (user.agency, user.role, set(user.staff_roles)) == (agency, "staff", {"agency_officer"})
    assert user.is_officer and user.check_password(NEW["password"])
    assert AuditEvent.objects.filter(action="identity.staff_created").exists()
    assert "new.officer" in client.get("/backoffice/staff/").content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roles": ["platform_admin"]}, "เลือกบทบาทจากรายการเท่านั้น"),
        ({"roles": []}, "เลือกบทบาทของหน่วยงานอย่างน้อยหนึ่งบทบาท"),
        ({"password": "short"}, "รหัสผ่านต้องยาวอย่างน้อย 12 ตัว"),
        ({"username": "officer one"}, "ชื่อผู้ใช้ใช้ได้เฉพาะ a-z 0-9"),
        ({"email": "nope"}, "อีเมลไม่ถูกต้อง"),
    ],
)
def test_a_bad_new_account_is_refused_and_nothing_is_made(
    client, agency_admin, change, message
) -> None:
    client.force_login(agency_admin)
    answer = client.post("/backoffice/staff/new/", {**NEW, **change})
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not User.objects.filter(username=NEW["username"]).exists()


def test_roles_change_and_suspension_are_audited_and_take_effect(
    client, agency, agency_admin
) -> None:
    officer = OfficerFactory(agency=agency)
    client.force_login(agency_admin)
    client.post(
        f"/backoffice/staff/{officer.public_id}/",
        {"roles": ["agency_officer", "agency_supervisor"]},
    )
    officer = User.objects.get(pk=officer.pk)
    assert set(officer.staff_roles) == {"agency_officer", "agency_supervisor"}
    client.post(f"/backoffice/staff/{officer.public_id}/", {"active": "0"})
    officer.refresh_from_db()
    assert not officer.is_active
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "identity.staff_roles_changed",
        "identity.staff_suspended",
    }


def test_another_agencys_staff_and_entrepreneurs_are_not_found(client, agency_admin) -> None:
    elsewhere = OfficerFactory()
    entrepreneur = ApplicantFactory()
    client.force_login(agency_admin)
    for account in (elsewhere, entrepreneur):
        assert client.get(f"/backoffice/staff/{account.public_id}/").status_code == 404
        client.post(f"/backoffice/staff/{account.public_id}/", {"active": "0"})
        account.refresh_from_db()
        assert account.is_active
    assert elsewhere.username not in client.get("/backoffice/staff/").content.decode()


def test_an_admin_cannot_suspend_themselves_or_drop_their_own_admin_role(
    client, agency_admin
) -> None:
    client.force_login(agency_admin)
    client.post(f"/backoffice/staff/{agency_admin.public_id}/", {"roles": ["agency_officer"]})
    assert User.objects.get(pk=agency_admin.pk).has_role(StaffRole.AGENCY_ADMIN)


def test_officers_are_not_agency_admins(client) -> None:
    client.force_login(OfficerFactory())
    assert client.get("/backoffice/staff/").status_code == 404


def test_an_executive_reads_statistics_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        journeys.submitted()
    executive = StaffFactory(roles=[StaffRole.EXECUTIVE])
    client.force_login(executive)
    with django_assert_max_num_queries(12):
        page = client.get("/backoffice/statistics/")
    assert page.status_code == 200
    assert "data-total>3<" in page.content.decode()
    # The service-level columns count the same clocks the worklists show.
    from bizportal.core import outbox
    from bizportal.service_levels.models import Clock

    outbox.deliver_pending()
    clocks = list(Clock.objects.order_by("pk"))
    assert len(clocks) == 3
    Clock.objects.filter(pk=clocks[0].pk).update(state="breached")
    Clock.objects.filter(pk=clocks[1].pk).update(state="met", stopped_at=clocks[1].started_at)
    html = client.get("/backoffice/statistics/").content.decode()
    assert "data-overdue>1<" in html and "data-at-risk>0<" in html
    assert "data-met>100 (1/1)<" in html
    assert client.get("/backoffice/worklist/").status_code == 404
    assert client.get("/backoffice/staff/").status_code == 404
    assert client.get("/backoffice/", follow=False)["Location"] == "/backoffice/reports/"


def test_officers_and_entrepreneurs_do_not_see_statistics(client) -> None:
    for user in (OfficerFactory(), ApplicantFactory()):
        client.force_login(user)
        assert client.get("/backoffice/statistics/").status_code == 404
