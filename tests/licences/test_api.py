"""The public verification API: JSON for machines, problem+json for bad requests."""

from __future__ import annotations

import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bizportal.catalog.models import Service
from bizportal.identity.models import User
from bizportal.licences.models import Licence
from bizportal.licences.services import cancel_licence, issue_licence, revoke_licence

from .conftest import (
    BUSINESS_NAME,
    CITIZEN_ID,
    CITIZEN_ID_MASKED,
    JURISTIC_ID,
    JURISTIC_ID_PRINTED,
    draft,
    flip_byte_in_signed_range,
    pdf_of,
)

API = "/api/v1/licences"


def pdf_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("licence.pdf", data, content_type="application/pdf")


def test_a_licence_is_looked_up_by_number_and_check_code_without_signing_in(
    client, licence: Licence
) -> None:
    response = client.get(f"{API}/verify/{licence.number}/?code={licence.check_code_display}")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == licence.number
    assert body["status"] == "valid"
    assert body["ok"] is True
    assert (body["version"], body["current_version"]) == (1, 1)
    assert body["current_url"] == reverse("licences:verify-number", args=[licence.number])
    assert body["issuer"] == licence.agency.name_en
    assert body["issuer_code"] == "bma-health"
    assert body["holder_kind"] == "person"
    assert body["holder_name"] == "สมชาย ใจดี"
    assert body["business_name"] == BUSINESS_NAME
    assert body["holder_id_masked"] == CITIZEN_ID_MASKED
    assert licence.valid_until is not None
    assert body["valid_until"] == licence.valid_until.isoformat()
    assert body["revoked_at"] is None and body["cancelled_at"] is None
    assert body["check_code"] == "matched"
    assert CITIZEN_ID not in response.content.decode()


HOLDER_FIELDS = {"holder_kind", "holder_name", "holder_id_masked", "business_name"}


def test_a_bare_number_gets_the_status_but_no_holder_details(client, licence: Licence) -> None:
    """Licence numbers are sequential: without the printed check code, counting through
    them must not list the holders."""
    body = client.get(f"{API}/verify/{licence.number}/").json()

    assert (body["status"], body["ok"], body["check_code"]) == ("valid", True, "absent")
    assert body["service"] == licence.service.slug
    assert body["issuer"] == licence.agency.name_en
    assert body["title_en"] == licence.title_en
    assert body["valid_until"] == licence.valid_until.isoformat()  # type: ignore[union-attr]
    assert not HOLDER_FIELDS & set(body)
    assert licence.holder_name not in json.dumps(body, ensure_ascii=False)


def test_a_wrong_check_code_gets_the_status_only(client, licence: Licence) -> None:
    wrong = "00000000" if licence.check_code != "00000000" else "11111111"
    for code in (wrong, "not-a-code", "x" * 500):
        body = client.get(f"{API}/verify/{licence.number}/", {"code": code}).json()
        assert (body["status"], body["check_code"]) == ("valid", "mismatched")
        assert not HOLDER_FIELDS & set(body)


def test_the_check_code_is_read_as_people_type_it(client, licence: Licence) -> None:
    typed = f" {licence.check_code[:4].lower()} {licence.check_code[4:].lower()} "
    typed = typed.replace("0", "o").replace("1", "l")
    body = client.get(f"{API}/verify/{licence.number}/", {"code": typed}).json()
    assert body["check_code"] == "matched"
    assert body["holder_name"] == licence.holder_name


def test_version_1_is_superseded_and_points_at_the_current_one(client, amended: Licence) -> None:
    code = {"code": amended.check_code}
    old = client.get(f"{API}/verify/{amended.number}/1/", code).json()
    current = client.get(f"{API}/verify/{amended.number}/2/").json()

    assert (old["status"], old["ok"]) == ("superseded", False)
    assert (old["version"], old["current_version"]) == (1, 2)
    assert old["current_url"] == reverse("licences:verify-number", args=[amended.number])
    assert old["business_name"] == "ร้านข้าวมันไก่ป้าแดง สาขาอารีย์"  # as the licence is now
    assert (current["status"], current["ok"]) == ("valid", True)
    assert (current["version"], current["current_version"]) == (2, 2)
    assert client.get(f"{API}/verify/{amended.number}/").json()["version"] == 2


def test_an_unknown_version_is_404_problem_json(client, amended: Licence) -> None:
    response = client.get(f"{API}/verify/{amended.number}/3/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_juristic_holder_is_shown_with_its_full_id(
    client, service: Service, applicant: User
) -> None:
    licence = issue_licence(
        draft(
            service,
            applicant,
            holder_kind="juristic",
            holder_id=JURISTIC_ID,
            holder_name="บริษัท ข้าวมันไก่ป้าแดง จำกัด",
        )
    )

    body = client.get(f"{API}/verify/{licence.number}/", {"code": licence.check_code}).json()

    assert body["holder_kind"] == "juristic"
    assert body["holder_id_masked"] == JURISTIC_ID_PRINTED


def test_a_revoked_licence_is_reported_revoked(client, licence: Licence, applicant: User) -> None:
    revoke_licence(licence, "ปิดกิจการ / Closed", actor=applicant)

    body = client.get(f"{API}/verify/{licence.number}/").json()

    assert (body["status"], body["ok"]) == ("revoked", False)
    assert body["revoked_at"] is not None


def test_a_cancelled_licence_is_reported_cancelled_with_when(client, amended: Licence) -> None:
    cancelled = cancel_licence(amended, reason="เลิกกิจการ / Business closed")

    for url in (f"{API}/verify/{amended.number}/", f"{API}/verify/{amended.number}/1/"):
        body = client.get(url).json()
        assert (body["status"], body["ok"]) == ("cancelled", False)
        assert dt.datetime.fromisoformat(body["cancelled_at"]) == cancelled.cancelled_at


def test_an_unknown_number_is_404_problem_json(client, db) -> None:
    response = client.get(f"{API}/verify/XX-2569-000001/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_an_uploaded_licence_is_verified(client, licence: Licence) -> None:
    body = client.post(f"{API}/verify-pdf/", {"file": pdf_upload(pdf_of(licence))}).json()

    assert (body["verdict"], body["outcome"]) == ("valid", "valid")
    assert body["ok"] and body["intact"] and body["trusted"] and body["untouched"]
    assert body["licence"]["number"] == licence.number
    assert body["licence"]["status"] == "valid"
    assert body["licence"]["holder_id_masked"] == CITIZEN_ID_MASKED
    assert body["matches_record"] is True
    assert body["payload_number"] == licence.number


def test_an_uploaded_version_1_is_validly_signed_but_superseded(client, amended: Licence) -> None:
    body = client.post(f"{API}/verify-pdf/", {"file": pdf_upload(pdf_of(amended, 1))}).json()

    assert body["outcome"] == "valid"  # the signature is fine ...
    assert (body["verdict"], body["ok"]) == ("superseded", False)  # ... the file is not current
    assert "old version" in body["message"]["en"]
    assert body["matches_record"] is True
    assert body["licence"]["status"] == "superseded"
    assert body["licence"]["ok"] is False
    assert (body["licence"]["version"], body["licence"]["current_version"]) == (1, 2)
    assert body["licence"]["current_url"] == reverse(
        "licences:verify-number", args=[amended.number]
    )


def test_a_revoked_licences_file_is_never_ok(client, licence: Licence, applicant: User) -> None:
    """A validly signed file of a revoked licence: one verdict, and ``ok`` is false, so an
    integrator reading ``ok`` cannot accept it; the page shows no green banner."""
    pdf = pdf_of(licence)
    revoke_licence(licence, "ปิดกิจการ / Closed", actor=applicant)
    body = client.post(f"{API}/verify-pdf/", {"file": pdf_upload(pdf)}).json()
    assert (body["verdict"], body["ok"], body["outcome"]) == ("revoked", False, "valid")
    assert "revoked" in body["message"]["en"] and "do not rely" in body["message"]["en"]
    page = client.post(reverse("licences:verify"), {"file": pdf_upload(pdf)}).content.decode()
    assert 'data-verdict="revoked"' in page
    assert "status-valid" not in page.split('data-verdict="revoked"')[1].split("</p>")[0]


def test_a_tampered_upload_is_reported(client, licence: Licence) -> None:
    tampered = flip_byte_in_signed_range(pdf_of(licence))

    body = client.post(f"{API}/verify-pdf/", {"file": pdf_upload(tampered)}).json()

    assert body["outcome"] == body["verdict"] == "tampered"
    assert body["ok"] is False
    assert body["message"]["en"] == "The file was changed after signing"
    assert body["licence"] is None


def test_a_renamed_executable_is_400_problem_json(client, db) -> None:
    exe = SimpleUploadedFile(
        "licence.pdf", b"MZ\x90\x00" + b"\x00" * 300, content_type="application/pdf"
    )

    response = client.post(f"{API}/verify-pdf/", {"file": exe})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "รับเฉพาะไฟล์ PDF ของใบอนุญาต" in response.json()["errors"]["file"][0]


def test_an_oversized_upload_is_400(client, db, settings) -> None:
    settings.BIZPORTAL_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile(
        "licence.pdf", b"%PDF-1.7\n" + b"0" * 4096, content_type="application/pdf"
    )

    response = client.post(f"{API}/verify-pdf/", {"file": big})

    assert response.status_code == 400
    assert "ไฟล์ใหญ่เกิน" in response.json()["errors"]["file"][0]


def test_a_missing_file_is_400(client, db) -> None:
    response = client.post(f"{API}/verify-pdf/", {})

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_the_endpoints_are_in_the_openapi_schema(client, db) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/licences/verify/{number}/" in schema
    assert "/api/v1/licences/verify/{number}/{version}/" in schema
    assert "/api/v1/licences/verify-pdf/" in schema


def test_up_to_a_hundred_numbers_are_verified_in_one_call(
    client, licence: Licence, applicant: User, django_assert_max_num_queries
) -> None:
    revoked = issue_licence(draft(licence.service, applicant))
    revoke_licence(revoked, "ปิดกิจการ / Closed", actor=applicant)
    asked = [licence.number.lower(), revoked.number, "XX-2569-000404"]
    with django_assert_max_num_queries(3):
        answer = client.post(f"{API}/verify/", {"numbers": asked}, content_type="application/json")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [(r["number"], r["verdict"], r["ok"]) for r in results] == [
        (licence.number, "valid", True),
        (revoked.number, "revoked", False),
        ("XX-2569-000404", "not_found", False),
    ]
    assert "holder_name" not in results[0]


def test_a_batch_over_a_hundred_or_empty_is_refused(client, db) -> None:
    for numbers in ([], ["A"] * 101, ["A" * 41]):
        answer = client.post(
            f"{API}/verify/", {"numbers": numbers}, content_type="application/json"
        )
        assert answer.status_code == 400
        assert answer["Content-Type"].startswith("application/problem+json")


def test_an_unknown_number_is_echoed_only_as_far_as_a_number_goes(client, db) -> None:
    answer = client.get(f"{API}/verify/{'X' * 300}/")
    assert answer.status_code == 404
    assert "X" * 41 not in answer.json()["detail"]
