"""Verification by anyone: the service, the public pages; the holder's download."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent
from bizportal.identity.models import User
from bizportal.licences.models import Licence
from bizportal.licences.services import (
    cancel_licence,
    issue_licence,
    revoke_licence,
    verify_pdf,
)

from .conftest import (
    BUSINESS_NAME,
    CITIZEN_ID,
    CITIZEN_ID_MASKED,
    CITIZEN_ID_PRINTED,
    JURISTIC_ID,
    JURISTIC_ID_PRINTED,
    draft,
    flip_byte_in_signed_range,
    pdf_of,
    unsigned_pdf,
    version,
)

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def self_made_signer() -> signers.SimpleSigner:
    """A forger's own key and certificate: cryptographically fine, trusted by nobody."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Health Department (fake)")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(
            certificate.public_bytes(serialization.Encoding.DER)
        ),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore(),
    )


def sign_with(pdf: bytes, signer: signers.SimpleSigner) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)  # Pillow's xref is sloppy
    meta = signers.PdfSignatureMetadata(field_name="Forged", md_algorithm="sha256")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


# --- the service -------------------------------------------------------------------


def test_an_issued_file_verifies_as_valid_and_names_its_licence(licence: Licence) -> None:
    result = verify_pdf(pdf_of(licence))

    assert result.outcome == "valid"
    assert result.intact and result.valid and result.trusted and result.untouched
    assert result.signer == licence.agency.name_en
    assert result.licence == licence
    assert result.version == version(licence, 1)
    assert result.licence_status == "valid"
    assert result.matches_record
    assert result.payload == version(licence, 1).payload


def test_a_superseded_file_is_still_validly_signed_but_says_superseded(amended: Licence) -> None:
    old = verify_pdf(pdf_of(amended, 1))
    current = verify_pdf(pdf_of(amended, 2))

    assert old.outcome == "valid"  # the signature holds ...
    assert (old.verdict, old.ok) == ("superseded", False)  # ... but it is not to be relied on
    assert old.version == version(amended, 1)
    assert old.matches_record  # it is the file issued as version 1
    assert old.licence_status == "superseded"
    assert current.version == version(amended, 2)
    assert current.licence_status == "valid"


def test_a_flipped_byte_inside_the_signed_range_is_reported_as_tampered(licence: Licence) -> None:
    result = verify_pdf(flip_byte_in_signed_range(pdf_of(licence)))

    assert result.outcome == "tampered"
    assert not result.intact
    assert result.licence is None  # nothing from a tampered file is vouched for
    assert result.message_en == "The file was changed after signing"


def test_an_edit_appended_after_signing_is_reported_as_tampered(licence: Licence) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(pdf_of(licence)))
    writer.root["/Lang"] = generic.TextStringObject("en")  # a small, "harmless" edit
    writer.update_root()
    output = BytesIO()
    writer.write(output)

    result = verify_pdf(output.getvalue())

    assert result.intact and result.valid  # the old revision is still signed correctly ...
    assert not result.untouched  # ... but the file is no longer what was signed
    assert result.outcome == "tampered"


def test_a_file_signed_by_someone_else_is_untrusted(db) -> None:
    result = verify_pdf(sign_with(unsigned_pdf(), self_made_signer()))

    assert result.outcome == "untrusted"
    assert result.intact and result.valid and not result.trusted
    assert result.licence is None


def test_an_unsigned_or_broken_file_says_so() -> None:
    assert verify_pdf(unsigned_pdf()).outcome == "not_signed"
    assert verify_pdf(b"%PDF-1.7\n this is not really a pdf").outcome == "unreadable"


def test_a_valid_file_of_a_revoked_licence_reports_the_current_status(
    licence: Licence, applicant: User
) -> None:
    revoke_licence(licence, "ปิดกิจการ / Business closed", actor=applicant)

    result = verify_pdf(pdf_of(licence))

    assert result.outcome == "valid"
    assert result.licence_status == "revoked"


# --- pages -------------------------------------------------------------------------


def number_page(client, licence: Licence, number: int | None = None, *, code: str | None = None):
    """The page a licence's QR opens: with its check code unless ``code`` says otherwise
    ("" for a bare number)."""
    params = {"code": licence.check_code if code is None else code}
    if not params["code"]:
        params = {}
    if number is None:
        return client.get(reverse("licences:verify-number", args=[licence.number]), params)
    return client.get(reverse("licences:verify-version", args=[licence.number, number]), params)


def test_the_verify_page_offers_both_checks(client, db) -> None:
    response = client.get(reverse("licences:verify"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="number">' in html
    assert 'type="file" id="file" name="file"' in html
    assert 'enctype="multipart/form-data"' in html


def test_a_number_typed_in_leads_to_its_page(client, licence: Licence) -> None:
    response = client.get(reverse("licences:verify"), {"number": f" {licence.number.lower()} "})

    assert response.status_code == 302
    assert response["Location"] == reverse("licences:verify-number", args=[licence.number])


@pytest.mark.parametrize(
    ("number", "message"), [("", "กรุณากรอกเลขที่ใบอนุญาต"), ("../etc", "ตัวอักษรภาษาอังกฤษ")]
)
def test_a_bad_number_is_explained(client, db, number: str, message: str) -> None:
    response = client.get(reverse("licences:verify"), {"number": number})

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_number_page_shows_a_valid_licence_with_the_citizen_id_masked(
    client, licence: Licence
) -> None:
    response = number_page(client, licence)

    html = response.content.decode()
    assert response.status_code == 200
    assert "status-valid" in html
    assert "สมชาย ใจดี" in html
    assert BUSINESS_NAME in html
    assert licence.agency.name_th in html
    assert "เลขประจำตัวประชาชน" in html
    assert CITIZEN_ID_MASKED in html
    assert CITIZEN_ID not in html and CITIZEN_ID_PRINTED not in html
    assert licence.valid_until is not None
    assert str(licence.valid_until.year + 543) in html  # Buddhist era on the Thai page


def test_a_bare_number_shows_the_status_but_not_the_holder(client, licence: Licence) -> None:
    response = number_page(client, licence, code="")

    html = response.content.decode()
    assert response.status_code == 200
    assert "status-valid" in html
    assert licence.agency.name_th in html and licence.title_th in html
    assert str(licence.valid_until.year + 543) in html  # type: ignore[union-attr]
    assert "สมชาย ใจดี" not in html and BUSINESS_NAME not in html
    assert CITIZEN_ID_MASKED not in html
    assert 'name="code"' in html  # asks for the check code


def test_a_wrong_check_code_is_explained_and_shows_no_holder(client, licence: Licence) -> None:
    wrong = "00000000" if licence.check_code != "00000000" else "11111111"
    response = number_page(client, licence, code=wrong)

    html = response.content.decode()
    assert response.status_code == 400
    assert "The check code does not match this licence" in html
    assert "สมชาย ใจดี" not in html and "status-valid" in html


def test_the_number_and_code_typed_in_lead_to_the_details(client, licence: Licence) -> None:
    response = client.get(
        reverse("licences:verify"), {"number": licence.number, "code": licence.check_code_display}
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "สมชาย ใจดี" in html


def test_a_juristic_holders_id_is_public_record(client, service: Service, applicant: User) -> None:
    licence = issue_licence(
        draft(
            service,
            applicant,
            holder_kind="juristic",
            holder_id=JURISTIC_ID,
            holder_name="บริษัท ข้าวมันไก่ป้าแดง จำกัด",
            holder_name_en="Pa Daeng Chicken Rice Co., Ltd.",
        )
    )

    html = number_page(client, licence).content.decode()

    assert "บริษัท ข้าวมันไก่ป้าแดง จำกัด" in html
    assert "เลขทะเบียนนิติบุคคล" in html
    assert JURISTIC_ID_PRINTED in html
    assert "x-xxxx" not in html


def test_the_page_of_version_1_says_superseded_and_links_the_current_one(
    client, amended: Licence
) -> None:
    response = number_page(client, amended, 1)

    html = response.content.decode()
    assert response.status_code == 200
    assert "status-superseded" in html and "status-valid" not in html
    assert "ฉบับที่ 1" in html
    current = reverse("licences:verify-number", args=[amended.number])
    assert f'href="{current}?code={amended.check_code}"' in html
    # The details are those of the licence as it stands now.
    assert "ร้านข้าวมันไก่ป้าแดง สาขาอารีย์" in html


def test_the_page_of_the_current_version_says_valid(client, amended: Licence) -> None:
    for response in (number_page(client, amended, 2), number_page(client, amended)):
        html = response.content.decode()
        assert response.status_code == 200
        assert "status-valid" in html and "status-superseded" not in html


def test_an_unknown_version_is_a_404_page(client, amended: Licence) -> None:
    response = number_page(client, amended, 3)

    assert response.status_code == 404
    assert "ไม่พบใบอนุญาต" in response.content.decode()


def test_the_number_page_says_expired_and_revoked(
    client, licence: Licence, applicant: User
) -> None:
    Licence.objects.filter(pk=licence.pk).update(valid_until=dt.date(2020, 1, 1))
    assert "status-expired" in number_page(client, licence).content.decode()

    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข / Conditions breached", actor=applicant)
    html = number_page(client, licence).content.decode()
    assert "status-revoked" in html
    assert "Conditions breached" in html


def test_the_number_page_says_cancelled_by_the_holder(client, amended: Licence) -> None:
    cancel_licence(amended, reason="เลิกกิจการ / Business closed")

    for response in (number_page(client, amended), number_page(client, amended, 1)):
        html = response.content.decode()
        assert "status-cancelled" in html
        assert "ผู้ถือใบอนุญาตขอยกเลิกใบอนุญาตนี้แล้ว" in html


def test_an_unknown_number_is_a_404_page(client, db) -> None:
    response = client.get(reverse("licences:verify-number", args=["BMA-FD-2569-999999"]))

    assert response.status_code == 404
    assert "ไม่พบใบอนุญาต" in response.content.decode()


def test_public_lookups_are_not_logged_as_personal_data_access(client, amended: Licence) -> None:
    """Only events about licences count: migrating the test database audits loading
    the shipped rules and processes, which has nothing to do with this."""
    about_licences = AuditEvent.objects.filter(object_type="licences.licence")
    before = AuditEvent.objects.count()

    number_page(client, amended)
    number_page(client, amended, 1)
    client.get(f"/api/v1/licences/verify/{amended.number}/")
    client.post(reverse("licences:verify"), {"file": upload("licence.pdf", pdf_of(amended))})

    assert AuditEvent.objects.count() == before
    assert sorted(about_licences.values_list("action", flat=True)) == [
        "licence.amended",
        "licence.issued",
        "licence.signed",
        "licence.signed",
    ]


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_uploading_the_issued_file_confirms_it(client, licence: Licence) -> None:
    response = client.post(
        reverse("licences:verify"), {"file": upload("licence.pdf", pdf_of(licence))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "The electronic signature is valid and the file is unchanged since signing" in html
    assert licence.number in html
    assert "status-valid" in html
    assert CITIZEN_ID_MASKED in html and CITIZEN_ID not in html


def test_uploading_a_superseded_file_says_so(client, amended: Licence) -> None:
    response = client.post(
        reverse("licences:verify"), {"file": upload("licence.pdf", pdf_of(amended, 1))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "ลายมือชื่อถูกต้อง แต่ไฟล์นี้เป็นฉบับเก่า" in html  # one verdict, in words
    assert 'data-verdict="superseded"' in html
    assert "status-superseded" in html  # the register's status beside it


def test_uploading_a_tampered_file_says_it_was_changed_after_signing(
    client, licence: Licence
) -> None:
    tampered = flip_byte_in_signed_range(pdf_of(licence))

    response = client.post(reverse("licences:verify"), {"file": upload("licence.pdf", tampered)})

    html = response.content.decode()
    assert "ไฟล์ถูกแก้ไขหลังลงนาม" in html
    assert "The file was changed after signing" in html
    assert "status-tampered" in html


def test_uploading_a_file_from_an_untrusted_signer_says_so(client, db) -> None:
    forged = sign_with(unsigned_pdf(), self_made_signer())

    response = client.post(reverse("licences:verify"), {"file": upload("licence.pdf", forged)})

    assert "The file is not signed by a trusted agency" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [("licence.pdf", EXE), ("licence.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)],
)
def test_only_a_real_pdf_is_accepted_for_upload(client, db, name: str, content: bytes) -> None:
    response = client.post(reverse("licences:verify"), {"file": upload(name, content)})

    assert response.status_code == 400
    assert "รับเฉพาะไฟล์ PDF ของใบอนุญาต" in response.content.decode()


def test_uploading_nothing_asks_for_a_file(client, db) -> None:
    response = client.post(reverse("licences:verify"), {})

    assert response.status_code == 400
    assert "กรุณาเลือกไฟล์ PDF ของใบอนุญาต" in response.content.decode()


def test_the_number_page_speaks_english_when_asked(client, licence: Licence) -> None:
    client.cookies["django_language"] = "en"

    html = number_page(client, licence).content.decode()

    assert "Issued by" in html and "Valid" in html
    assert licence.valid_until is not None
    assert str(licence.valid_until.year) in html  # Gregorian year on the English page


# --- the holder's download ---------------------------------------------------------


def download(client, licence: Licence, number: int | None = None):
    if number is None:
        return client.get(reverse("licences:pdf", args=[licence.public_id]))
    return client.get(reverse("licences:version-pdf", args=[licence.public_id, number]))


def test_the_holder_downloads_each_version(client, amended: Licence, applicant: User) -> None:
    client.force_login(applicant)

    for number, expected in ((None, 2), (1, 1), (2, 2)):
        response = download(client, amended, number)

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        filename = f'filename="{amended.number}-v{expected}.pdf"'
        assert filename in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == pdf_of(amended, expected)
    downloads = AuditEvent.objects.filter(action="licence.downloaded", actor=applicant)
    assert sorted(event.data["version"] for event in downloads) == [1, 2, 2]


def test_a_version_that_does_not_exist_is_404_for_the_holder(
    client, licence: Licence, applicant: User
) -> None:
    client.force_login(applicant)

    assert download(client, licence, 2).status_code == 404


@pytest.mark.parametrize("number", [None, 1, 2])
def test_anyone_else_gets_404_for_every_version(
    client, amended: Licence, stranger: User, number: int | None
) -> None:
    client.force_login(stranger)

    assert download(client, amended, number).status_code == 404
    assert not AuditEvent.objects.filter(action="licence.downloaded").exists()


def test_an_anonymous_visitor_must_sign_in_for_the_pdf(client, licence: Licence) -> None:
    response = download(client, licence)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:login"))


def test_the_holder_reads_the_check_code_in_their_account(client, licence: Licence) -> None:
    """Licences issued before check codes were printed: the holder finds it here."""
    client.force_login(licence.account)
    html = client.get(reverse("portal:account")).content.decode()
    assert licence.check_code_display in html
    assert f"?code={licence.check_code}" in html


def test_with_the_code_the_link_to_the_current_version_keeps_the_details(
    client, amended: Licence
) -> None:
    with_code = number_page(client, amended, 1).content.decode()
    bare = number_page(client, amended, 1, code="").content.decode()
    current = reverse("licences:verify-number", args=[amended.number])
    assert f'href="{current}?code={amended.check_code}"' in with_code
    assert f'href="{current}"' in bare
