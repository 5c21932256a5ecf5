"""PDPA: notices and acceptance, the person's rights, retention and the DPO's record."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from bizportal.applications.models import Application
from bizportal.core.models import AuditEvent
from bizportal.privacy import services
from bizportal.privacy.models import DataSubjectRequest, PrivacyAcceptance, PrivacyNotice
from tests import journeys
from tests.factories import ApplicantFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db


def notice(purpose: str = "service", version: int = 1, **kw: object) -> PrivacyNotice:
    return services.publish_notice(
        PrivacyNotice(
            purpose=purpose,
            version=version,
            title_th=f"ประกาศ {purpose} {version}",
            title_en=f"Notice {purpose} {version}",
            text_th="ข้อความภาษาไทย",
            text_en="English text",
            effective_from=timezone.now() - dt.timedelta(minutes=1),
            **kw,  # type: ignore[arg-type]
        )
    )


def test_notices_page_and_footer_link(client) -> None:
    notice()
    page = client.get("/privacy/")
    assert page.status_code == 200
    assert 'href="/privacy/service/"' in page.content.decode()
    assert 'href="/privacy/"' in client.get("/").content.decode()  # the footer
    assert client.get("/privacy/service/").status_code == 200
    assert client.get("/privacy/nosuch/").status_code == 404
    assert client.get("/privacy/service/v9/").status_code == 404


def test_acceptance_asked_once_and_again_for_a_new_version(client) -> None:
    first = notice()
    person = ApplicantFactory()
    client.force_login(person)
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/privacy/accept/")
    # Not ticking the box accepts nothing.
    client.post("/privacy/accept/", {"notice": first.pk, "next": "/account/"})
    assert not PrivacyAcceptance.objects.filter(user=person).exists()
    response = client.post(
        "/privacy/accept/", {"notice": first.pk, "accept": "yes", "next": "/account/"}
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    assert AuditEvent.objects.filter(action="privacy.notice_accepted", actor=person).count() == 1
    second = notice(version=2)
    assert client.get("/account/").status_code == 302
    client.post("/privacy/accept/", {"notice": second.pk, "accept": "yes", "next": "/account/"})
    assert client.get("/account/").status_code == 200
    assert PrivacyAcceptance.objects.filter(user=person).count() == 2


def test_accept_refuses_an_outside_next_url(client) -> None:
    first = notice()
    client.force_login(ApplicantFactory())
    response = client.post(
        "/privacy/accept/", {"notice": first.pk, "accept": "yes", "next": "https://evil.test/"}
    )
    assert response["Location"] == "/account/"


def test_versions_only_go_up_and_published_ones_never_change() -> None:
    first = notice()
    with pytest.raises(ValidationError):
        notice(version=1)
    with pytest.raises(ValidationError):
        services.publish_notice(first)
    assert PrivacyNotice.objects.count() == 1


def test_export_has_my_data_and_never_another_persons(client) -> None:
    service = ServiceFactory()
    me = ApplicantFactory(full_name_th="นายฉัน เอง")
    other = ApplicantFactory(full_name_th="นางสาวคนอื่น ลับมาก")
    journeys.issued(service, me)
    journeys.issued(service, other)
    client.force_login(me)
    response = client.get("/account/privacy/export.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    body = response.content.decode()
    assert data["account"]["citizen_id"] == me.citizen_id
    assert data["applications"] and data["applications"][0]["answers"]
    assert data["payments"][0]["receipt"]["number"]
    assert data["licences"]
    assert data["audit_events"]
    assert other.citizen_id not in body and "คนอื่น" not in body
    assert AuditEvent.objects.filter(action="privacy.data_exported", actor=me).exists()
    pdf = client.get("/account/privacy/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_rights_pages_are_for_signed_in_entrepreneurs(client) -> None:
    assert client.get("/account/privacy/export.json").status_code == 302
    client.force_login(StaffFactory())
    assert client.get("/account/privacy/").status_code == 403


def test_deletion_shows_legal_holds_and_keeps_receipts_and_licences(client) -> None:
    service = ServiceFactory()
    me = ApplicantFactory()
    issued = journeys.issued(service, me)
    draft = journeys.start(service, me)
    client.force_login(me)
    page = client.get("/account/privacy/").content.decode()
    assert 'data-held="yes"' in page and "พ.ร.บ. การบัญชี" in page
    client.post("/account/privacy/requests/", {"kind": "deletion"})
    request = DataSubjectRequest.objects.get(user=me)
    assert {hold["key"] for hold in request.retained} >= {"receipts", "licences", "audit"}
    page = client.get("/account/privacy/").content.decode()
    assert "Accounting Act" in page or "การบัญชี" in page
    dpo = StaffFactory(is_superuser=True)
    services.answer_request(request, actor=dpo, status="done", answer="ลบแล้วบางส่วน / partly")
    me.refresh_from_db()
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert Application.objects.filter(pk=issued.pk).exists()
    assert me.licences.exists() and me.citizen_id and me.email == "" and me.address == {}
    assert AuditEvent.objects.filter(action="privacy.account_erased").exists()
    with pytest.raises(ValidationError):  # answered once only
        services.answer_request(request, actor=dpo, status="refused", answer="no")


def test_bad_requests_are_refused_with_a_reason(client) -> None:
    me = ApplicantFactory()
    client.force_login(me)
    response = client.post("/account/privacy/requests/", {"kind": "correction"}, follow=True)
    assert "โปรดระบุข้อมูลที่ต้องการแก้ไข" in response.content.decode()
    client.post("/account/privacy/requests/", {"kind": "nonsense", "details": "x"})
    client.post("/account/privacy/requests/", {"kind": "correction", "details": "x" * 5000})
    assert not DataSubjectRequest.objects.exists()
    client.post("/account/privacy/requests/", {"kind": "correction", "details": "ชื่อผิด"})
    client.post("/account/privacy/requests/", {"kind": "correction", "details": "อีกครั้ง"})
    assert DataSubjectRequest.objects.filter(user=me).count() == 1  # one open per kind


def test_objection_to_optional_purpose_only(client) -> None:
    me = ApplicantFactory()
    client.force_login(me)
    client.post("/account/privacy/objections/", {"purpose": "survey", "objected": "yes"})
    assert me.privacy_objections.filter(purpose="survey").exists()
    client.post("/account/privacy/objections/", {"purpose": "service", "objected": "yes"})
    assert not me.privacy_objections.filter(purpose="service").exists()
    client.post("/account/privacy/objections/", {"purpose": "survey", "objected": "no"})
    assert not me.privacy_objections.exists()
    assert AuditEvent.objects.filter(action="privacy.objection_withdrawn").count() == 1


def test_retention_dry_run_changes_nothing_and_the_run_applies_the_rules() -> None:
    service = ServiceFactory()
    me = ApplicantFactory()
    old_draft = journeys.start(service, me)
    fresh_draft = journeys.start(ServiceFactory(), me)
    closed = journeys.issued(service, me)
    long_ago = timezone.now() - dt.timedelta(days=365 * 6)
    Application.objects.filter(pk=old_draft.pk).update(updated_at=long_ago)
    Application.objects.filter(pk=closed.pk).update(decided_at=long_ago)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=long_ago)
    before = AuditEvent.objects.count()

    due = {r.rule: r.count for r in services.apply_retention(dry_run=True)}
    assert due["abandoned_drafts"] == 1 and due["closed_application_answers"] == 1
    assert due["sessions"] == 1
    assert Application.objects.filter(pk=old_draft.pk).exists()
    closed.refresh_from_db()
    assert closed.data and closed.holder_name_th
    assert AuditEvent.objects.count() == before

    call_command("apply_retention")
    assert not Application.objects.filter(pk=old_draft.pk).exists()
    assert Application.objects.filter(pk=fresh_draft.pk).exists()
    closed.refresh_from_db()
    assert closed.data == {} and closed.holder_name_th == "" and closed.reference
    assert closed.licence is not None  # the licence is kept under law
    assert not Session.objects.filter(session_key="x" * 32).exists()
    assert AuditEvent.objects.filter(action="privacy.retention_applied").count() >= 3
    again = {r.rule: r.count for r in services.apply_retention()}
    assert again["abandoned_drafts"] == 0 and again["closed_application_answers"] == 0


def test_payment_callbacks_are_kept_as_long_as_their_purpose_needs() -> None:
    from bizportal.payments.models import PaymentEvent

    now = timezone.now()

    def event(signed: bool, days_ago: int) -> PaymentEvent:
        row = PaymentEvent.objects.create(
            provider="sandbox",
            signature_valid=signed,
            body="" if not signed else '{"ok": true}',
            outcome="accepted" if signed else "forged",
        )
        PaymentEvent.objects.filter(pk=row.pk).update(at=now - dt.timedelta(days=days_ago))
        return row

    forged_old, forged_new = event(False, 120), event(False, 10)
    signed_old, signed_young = event(True, 365 * 6), event(True, 120)

    done = {r.rule: r.count for r in services.apply_retention(now=now)}

    assert done["refused_payment_callbacks"] == 1 and done["payment_callbacks"] == 1
    left = set(PaymentEvent.objects.values_list("pk", flat=True))
    assert left == {forged_new.pk, signed_young.pk}
    assert forged_old.pk not in left and signed_old.pk not in left


def test_ropa_from_labels_csv_json_and_admin_download(client, capsys) -> None:
    notice()
    call_command("export_ropa", "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    by_model = {row["model"]: row for row in rows}
    assert "citizen_id" in by_model["identity.User"]["fields"]
    assert by_model["applications.Application"]["notice_version"] == 1
    assert by_model["applications.Application"]["retention"]
    assert "Accounting" not in by_model["identity.User"]["legal_hold"]
    call_command("export_ropa", "--format", "csv")
    assert capsys.readouterr().out.startswith("model,table,fields")
    assert client.get("/backoffice/privacy/ropa.csv").status_code == 302
    client.force_login(ApplicantFactory())
    assert client.get("/backoffice/privacy/ropa.csv").status_code == 403
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get("/backoffice/privacy/ropa.json")
    assert response.status_code == 200 and json.loads(response.content)
    assert client.get("/backoffice/privacy/ropa.xml").status_code == 404
    assert AuditEvent.objects.filter(action="privacy.ropa_exported").count() == 3
