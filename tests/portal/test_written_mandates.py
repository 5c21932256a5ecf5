"""Written mandates: a mandate for a service whose law needs a written power of attorney
is issued as a signed PDF (PAdES) when the delegate accepts, downloadable by its two
sides only, and verifiable like a licence (by reference, and by uploading the file)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils.reader import PdfFileReader

from bizportal.applications.services import ApplicationError, start_application
from bizportal.core import safejson
from bizportal.core.models import AuditEvent
from bizportal.identity.acting import may_act
from bizportal.identity.models import Mandate, MandateAction
from bizportal.identity.services import revoke_mandate
from bizportal.licences import pdf as licence_pdf
from bizportal.portal import written_mandates
from tests.factories import ApplicantFactory, CompanyFactory, ServiceFactory, give_mandate
from tests.licences.conftest import flip_byte_in_signed_range

pytestmark = pytest.mark.django_db


@pytest.fixture
def director():
    return ApplicantFactory(full_name_th="สมศรี กรรมการ")


@pytest.fixture
def delegate():
    return ApplicantFactory(full_name_th="วิภา ผู้รับมอบ")


@pytest.fixture
def company(director):
    return CompanyFactory(directors=[director], name_th="บริษัท โรงงานทดสอบ จำกัด")


@pytest.fixture
def written_service():
    return ServiceFactory(
        slug="factory-written", requires_written_mandate=True, name_th="ใบอนุญาตโรงงาน"
    )


@pytest.fixture
def issued(director, delegate, company, written_service, django_capture_on_commit_callbacks):
    """A mandate for the written-mandate service, accepted; the outbox delivered after
    commit, so the portal signed its document."""
    with django_capture_on_commit_callbacks(execute=True):
        mandate = give_mandate(director, delegate, party=company, services=[written_service])
    mandate.refresh_from_db()
    return mandate


def document_of(mandate: Mandate) -> bytes:
    with mandate.document.open("rb") as handle:
        return handle.read()


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("mandate.pdf", content, content_type="application/pdf")


def act_for(client, party) -> None:
    assert client.post("/account/acting/", {"party": str(party.public_id)}).status_code == 302


def test_accepting_a_mandate_for_such_a_service_issues_a_signed_pdf(issued: Mandate) -> None:
    assert issued.document_signed_at is not None and issued.document_sha256
    data = document_of(issued)
    reader = PdfFileReader(BytesIO(data))
    assert reader.embedded_signatures[0].field_name == written_mandates.SIGNATURE_FIELD
    payload = safejson.loads(
        licence_pdf.read_embedded_file_bytes(data, written_mandates.PAYLOAD_NAME) or b""
    )
    assert payload["type"] == "written-mandate"
    assert payload["reference"] == str(issued.public_id)
    assert payload["grantor"]["name_th"] == "บริษัท โรงงานทดสอบ จำกัด"
    assert payload["delegate"]["name"] and "x-xxxx" in payload["delegate"]["id"]  # masked
    assert [s["slug"] for s in payload["services"]] == ["factory-written"]
    assert payload["verify_url"].endswith(f"/mandates/verify/{issued.public_id}/")
    assert AuditEvent.objects.filter(
        action="identity.mandate_document_issued", object_id=str(issued.public_id)
    ).exists()
    check = written_mandates.check_file(data)
    assert (check.outcome, check.status, check.matches_record) == ("valid", "valid", True)


def test_a_mandate_for_ordinary_services_gets_no_document(
    director, delegate, company, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        mandate = give_mandate(director, delegate, party=company, services=[ServiceFactory()])
    mandate.refresh_from_db()
    assert mandate.document_signed_at is None and not mandate.document


def test_the_grantor_and_the_delegate_download_it_and_nobody_else(
    client, issued: Mandate, director, delegate, company
) -> None:
    url = f"/account/mandates/{issued.public_id}/pdf/"
    client.force_login(director)
    act_for(client, company)
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert b"".join(answer.streaming_content) == document_of(issued)  # type: ignore[attr-defined]

    client.force_login(delegate)
    assert client.get(url).status_code == 200
    downloads = AuditEvent.objects.filter(
        action="identity.mandate_document_downloaded", object_id=str(issued.public_id)
    )
    assert sorted(downloads.values_list("data__side", flat=True)) == ["delegate", "grantor"]

    client.force_login(ApplicantFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign-in
    assert downloads.count() == 2


def test_the_detail_page_links_the_document(client, issued: Mandate, delegate) -> None:
    client.force_login(delegate)
    page = client.get(f"/account/mandates/{issued.public_id}/").content.decode()
    assert f"/account/mandates/{issued.public_id}/pdf/" in page
    assert "data-written-mandate" in page


def test_the_reference_page_shows_in_force_without_personal_data(
    client, issued: Mandate, director, delegate, company
) -> None:
    page = client.get(f"/mandates/verify/{issued.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-mandate-status="valid"' in html
    for personal in (company.name_th, delegate.full_name_th, delegate.citizen_id):
        assert personal not in html
    lookup = client.get("/mandates/verify/", {"reference": str(issued.public_id)})
    assert lookup.status_code == 302
    assert client.get("/mandates/verify/", {"reference": "nonsense"}).status_code == 400


def test_an_unknown_reference_is_not_found(client) -> None:
    answer = client.get("/mandates/verify/3f2b6c1e-8d4a-4f7e-9a51-2c0d7e4b9a10/")
    assert answer.status_code == 404


def test_uploading_the_issued_file_confirms_it_and_is_audited(client, issued: Mandate) -> None:
    answer = client.post("/mandates/verify/", {"file": upload(document_of(issued))})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'data-outcome="valid"' in html and 'data-mandate-status="valid"' in html
    assert AuditEvent.objects.filter(
        action="identity.mandate_document_verified", object_id=str(issued.public_id)
    ).exists()


def test_a_file_altered_after_signing_is_refused_with_a_reason_and_audited(
    client, issued: Mandate
) -> None:
    altered = flip_byte_in_signed_range(document_of(issued))
    answer = client.post("/mandates/verify/", {"file": upload(altered)})
    html = answer.content.decode()
    assert 'data-outcome="tampered"' in html
    assert "ถูกแก้ไขหลังจากลงนาม" in html  # "changed after it was signed", in Thai
    refused = AuditEvent.objects.get(action="identity.mandate_document_refused")
    assert refused.data["outcome"] == "tampered"
    assert refused.object_type == "mandate_document"
    assert not AuditEvent.objects.filter(action="identity.mandate_document_verified").exists()


def test_a_non_pdf_upload_is_refused_before_any_check(client) -> None:
    answer = client.post("/mandates/verify/", {"file": upload(b"MZ\x90\x00 not a pdf at all" * 10)})
    assert answer.status_code == 400
    assert "PDF" in answer.content.decode()


def test_a_revoked_mandate_verifies_as_revoked(client, issued: Mandate, director) -> None:
    revoke_mandate(issued, director, reason="สิ้นสุดการจ้าง")
    page = client.get(f"/mandates/verify/{issued.public_id}/").content.decode()
    assert 'data-mandate-status="revoked"' in page
    answer = client.post("/mandates/verify/", {"file": upload(document_of(issued))})
    assert 'data-mandate-status="revoked"' in answer.content.decode()


def test_acting_for_such_a_service_is_refused_until_the_document_exists(
    director, delegate, company, written_service
) -> None:
    # No commit callbacks run: the outbox has not delivered, so no document yet.
    mandate = give_mandate(director, delegate, party=company, services=[written_service])
    assert mandate.document_signed_at is None
    assert not may_act(delegate, company, MandateAction.PREPARE, written_service.pk)
    with pytest.raises(ApplicationError) as refusal:
        start_application(written_service, delegate, party=company)
    assert "written power of attorney" in str(refusal.value) or "หนังสือมอบอำนาจ" in str(
        refusal.value
    )

    written_mandates.issue_document(mandate)
    mandate.refresh_from_db()
    assert mandate.document_signed_at is not None
    assert may_act(delegate, company, MandateAction.PREPARE, written_service.pk)
    assert start_application(written_service, delegate, party=company).party == company


def test_issuing_twice_keeps_the_first_document(issued: Mandate) -> None:
    first = issued.document_sha256
    again = written_mandates.issue_document(issued)
    assert again.document_sha256 == first
    assert (
        AuditEvent.objects.filter(
            action="identity.mandate_document_issued", object_id=str(issued.public_id)
        ).count()
        == 1
    )


def test_the_service_page_says_a_delegate_needs_a_written_mandate(client, written_service) -> None:
    page = client.get(f"/services/{written_service.slug}/").content.decode()
    assert "data-written-mandate" in page and "หนังสือมอบอำนาจ" in page


def test_the_mandates_api_says_whether_the_written_mandate_is_issued(
    client, issued: Mandate, delegate
) -> None:
    client.force_login(delegate)
    body = client.get(f"/api/v1/mandates/{issued.public_id}/").json()["mandate"]
    assert body["document_sha256"] == issued.document_sha256
    assert body["document_signed_at"]


def test_an_unsigned_copy_is_refused_and_audited(client, issued: Mandate) -> None:
    unsigned = written_mandates.render_pdf(issued, written_mandates.signing_agency(issued))
    answer = client.post("/mandates/verify/", {"file": upload(unsigned)})
    assert 'data-outcome="not_signed"' in answer.content.decode()
    refused = AuditEvent.objects.get(action="identity.mandate_document_refused")
    assert refused.data["outcome"] == "not_signed"
