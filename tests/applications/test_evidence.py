"""Once-only evidence: a required document declared "from data service X" is fetched
through the exchange at submission (over the real sandbox Revenue Department registry),
on the deciding agency's mission or the party's consent given in the form, with an
upload as the way on whenever the exchange cannot answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from bizportal.applications import evidence, services
from bizportal.applications.models import FetchedEvidence, Status
from bizportal.exchange import services as exchange
from bizportal.exchange.models import (
    Basis,
    Consent,
    DataService,
    DocumentSource,
    MessageLogEntry,
    MissionRule,
    Outcome,
)
from bizportal.registries.models import SandboxTaxpayer
from tests.factories import (
    AgencyFactory,
    ApplicantFactory,
    ForeignApplicantFactory,
    OfficerFactory,
    ServiceFactory,
)
from tests.journeys import fill, pdf_upload, start
from tests.sandbox_idp.helpers import Live, closed_port_url

pytestmark = [pytest.mark.django_db, pytest.mark.live]
FIELDS = ["taxpayer_id", "name_th", "taxpayer_status"]


@pytest.fixture
def tax(live: Live) -> DataService:
    return DataService.objects.create(
        code="revenue-tax-status",
        provider=AgencyFactory(code="rd", name_th="กรมสรรพากร", name_en="Revenue Department"),
        name_th="สถานะผู้เสียภาษี",
        name_en="Taxpayer status",
        subject_kind="any",
        fields=[
            {"name": "taxpayer_id", "label_th": "เลขผู้เสียภาษี", "label_en": "Taxpayer ID"},
            {"name": "name_th", "label_th": "ชื่อ", "label_en": "Name"},
            {"name": "taxpayer_status", "label_th": "สถานะ", "label_en": "Status"},
            {"name": "vat_registered", "label_th": "ภาษีมูลค่าเพิ่ม", "label_en": "VAT"},
        ],
        legal_basis_th="ประมวลรัษฎากร",
        connector="revenue_tax_status",
    )


@pytest.fixture
def service(tax: DataService) -> Any:
    """A service whose tax-registration document comes from the Revenue Department."""
    service = ServiceFactory()  # the demo food-shop service: it asks for tax registration
    document = service.documents.get(code="tax_registration")
    DocumentSource.objects.create(document=document, data_service=tax, fields=FIELDS)
    return service


@pytest.fixture
def applicant(live: Live) -> Any:
    person = ApplicantFactory()
    SandboxTaxpayer.objects.create(taxpayer_id=person.citizen_id, name_th="นายทดสอบ ภาษี")
    return person


def mission(service: Any, tax: DataService) -> MissionRule:
    return MissionRule.objects.create(
        agency=service.agency,
        data_service=tax,
        service=service,
        fields=FIELDS,
        legal_basis_th="กฎหมายที่ให้อำนาจหน่วยงาน",
    )


def draft(service: Any, applicant: Any) -> Any:
    """A draft with every document uploaded except the one the exchange supplies."""
    application = fill(start(service, applicant))
    application.attachments.filter(document_code="tax_registration").delete()
    return application


def submit(application: Any) -> Any:
    return services.submit(application, actor=application.applicant, accept_terms=True)


def test_a_mission_covers_the_document_so_it_is_fetched_not_uploaded(service, tax, applicant):
    mission(service, tax)
    application = submit(draft(service, applicant))
    assert application.status != Status.DRAFT
    fetched = FetchedEvidence.objects.get(application=application)
    assert (fetched.document_code, fetched.basis) == ("tax_registration", Basis.MISSION)
    assert [row[2] for row in fetched.rows()] == [applicant.citizen_id, "นายทดสอบ ภาษี", "active"]
    entry = MessageLogEntry.objects.get(message_id=fetched.message_id)
    assert (entry.consumer_agency, entry.subject_id, entry.outcome) == (
        service.agency.code,
        applicant.citizen_id,
        Outcome.ANSWERED,
    )
    # Fetched before the reference is given: the purpose names the application by its id.
    assert entry.purpose == {
        "service": service.slug,
        "application": str(application.public_id),
        "step": "submit",
    }
    assert entry.fields_returned == sorted(FIELDS)


def test_without_a_basis_the_form_asks_for_consent_and_nothing_is_requested(
    service, applicant
) -> None:
    application = draft(service, applicant)
    with pytest.raises(services.SubmissionErrors) as errors:
        submit(application)
    assert "ความยินยอม" in errors.value.documents["tax_registration"]
    assert "หรือแนบไฟล์เอง" in errors.value.documents["tax_registration"]
    assert not MessageLogEntry.objects.exists()  # no request without a basis
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_consent_given_in_the_form_is_the_basis_until_it_is_revoked(service, applicant):
    application = draft(service, applicant)
    consent = services.consent_to_evidence(application, "tax_registration", actor=applicant)
    assert (consent.subject_id, consent.agency, consent.fields) == (
        applicant.citizen_id,
        service.agency,
        sorted(FIELDS),
    )
    assert "กรมสรรพากร" in consent.notice_th and service.name_th in consent.notice_th
    submit(application)
    assert FetchedEvidence.objects.get(application=application).basis == Basis.CONSENT

    exchange.revoke_consent(consent, by=applicant)
    second = draft(service, applicant)
    assert evidence.plan(second, service.documents.all())["tax_registration"].needs_consent
    with pytest.raises(services.SubmissionErrors):
        submit(second)


def test_a_provider_that_is_down_leaves_the_upload_as_the_way_on(
    service, tax, applicant, settings
) -> None:
    mission(service, tax)
    settings.REVENUE_REGISTRY_URL = closed_port_url()
    application = draft(service, applicant)
    with pytest.raises(services.SubmissionErrors) as errors:
        submit(application)
    assert "กรุณาแนบ" in errors.value.documents["tax_registration"]
    assert MessageLogEntry.objects.get().outcome == Outcome.UNAVAILABLE
    services.attach_document(application, "tax_registration", pdf_upload(), actor=applicant)
    assert submit(application).reference
    assert not FetchedEvidence.objects.exists()


def test_no_record_at_the_provider_asks_for_the_upload(service, tax, live) -> None:
    mission(service, tax)
    stranger = ApplicantFactory()  # not a registered taxpayer
    with pytest.raises(services.SubmissionErrors) as errors:
        submit(draft(service, stranger))
    assert "กรุณาแนบ" in errors.value.documents["tax_registration"]


def test_a_foreign_applicant_uploads_the_document(service, tax, live) -> None:
    mission(service, tax)
    application = start(service, ForeignApplicantFactory())
    assert evidence.plan(application, service.documents.all()) == {}


def test_consent_for_a_document_not_fetched_is_refused(service, applicant) -> None:
    application = draft(service, applicant)
    with pytest.raises(services.ApplicationError):
        services.consent_to_evidence(application, "floor_plan", actor=applicant)
    assert not Consent.objects.exists()


def test_the_form_shows_what_will_be_fetched_and_takes_the_consent(client, service, applicant):
    application = draft(service, applicant)
    client.force_login(applicant)
    url = reverse("portal:application-edit", args=[application.public_id])
    page = client.get(url).content.decode()
    assert "ไม่ต้องแนบไฟล์" in page and "กรมสรรพากร" in page
    assert 'name="consent_tax_registration"' in page
    assert "หรือแนบไฟล์เอง" in page  # the upload fallback
    client.post(url, {"action": "save", "consent_tax_registration": "on"})
    assert Consent.objects.get().subject_id == applicant.citizen_id
    page = client.get(url).content.decode()
    assert 'name="consent_tax_registration"' not in page
    assert "ตามความยินยอมที่ให้ไว้แล้ว" in page


def test_the_officer_sees_the_fetched_evidence_with_its_provenance(client, service, tax, applicant):
    mission(service, tax)
    application = submit(draft(service, applicant))
    fetched = FetchedEvidence.objects.get()
    client.force_login(OfficerFactory(agency=service.agency))
    page = client.get(reverse("backoffice:application", args=[application.public_id]))
    text = page.content.decode()
    assert str(fetched.message_id) in text
    assert "กรมสรรพากร" in text and "นายทดสอบ ภาษี" in text
