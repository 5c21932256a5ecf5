"""The public verification API: JSON for machines, problem+json for bad requests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from bizportal.licences.models import Licence
from bizportal.licences.services import revoke_licence

from .conftest import flip_byte_in_signed_range

API = "/api/v1/licences"


def signed_pdf(licence: Licence) -> bytes:
    with licence.pdf.open("rb") as handle:
        return handle.read()


def test_a_licence_is_looked_up_by_number_without_signing_in(client, licence: Licence) -> None:
    response = client.get(f"{API}/verify/{licence.number}/")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == licence.number
    assert body["status"] == "valid"
    assert body["issuer"] == licence.agency.name_en
    assert body["holder_name"] == "สมชาย ใจดี"
    assert body["business_name"] == "ร้านข้าวมันไก่ป้าแดง"
    assert body["holder_id_masked"] == "x-xxxx-xxxxx-45-1"
    assert body["valid_until"] == licence.valid_until.isoformat()
    assert "1101700203451" not in response.content.decode()


def test_a_revoked_licence_is_reported_revoked(client, licence: Licence, applicant) -> None:
    revoke_licence(licence, "ปิดกิจการ / Closed", actor=applicant)

    assert client.get(f"{API}/verify/{licence.number}/").json()["status"] == "revoked"


def test_an_unknown_number_is_404_problem_json(client, db) -> None:
    response = client.get(f"{API}/verify/XX-2569-000001/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_an_uploaded_licence_is_verified(client, licence: Licence) -> None:
    file = SimpleUploadedFile("licence.pdf", signed_pdf(licence), content_type="application/pdf")

    body = client.post(f"{API}/verify-pdf/", {"file": file}).json()

    assert body["outcome"] == "valid"
    assert body["ok"] and body["intact"] and body["trusted"] and body["untouched"]
    assert body["licence"]["number"] == licence.number
    assert body["licence"]["status"] == "valid"
    assert body["matches_record"] is True


def test_a_tampered_upload_is_reported(client, licence: Licence) -> None:
    tampered = flip_byte_in_signed_range(signed_pdf(licence))
    file = SimpleUploadedFile("licence.pdf", tampered, content_type="application/pdf")

    body = client.post(f"{API}/verify-pdf/", {"file": file}).json()

    assert body["outcome"] == "tampered"
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
    assert "Only the licence PDF file is accepted" in response.json()["errors"]["file"][0]


def test_an_oversized_upload_is_400(client, db, settings) -> None:
    settings.BIZPORTAL_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile(
        "licence.pdf", b"%PDF-1.7\n" + b"0" * 4096, content_type="application/pdf"
    )

    response = client.post(f"{API}/verify-pdf/", {"file": big})

    assert response.status_code == 400
    assert "larger than" in response.json()["errors"]["file"][0]


def test_a_missing_file_is_400(client, db) -> None:
    response = client.post(f"{API}/verify-pdf/", {})

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_the_endpoints_are_in_the_openapi_schema(client, db) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/licences/verify/{number}/" in schema
    assert "/api/v1/licences/verify-pdf/" in schema
