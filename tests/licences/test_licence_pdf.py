"""The issued file: a PAdES-signed PDF/A-3b in Sarabun, with licence.json and a QR code.

These tests read the PDF with pyHanko and zxing-cpp directly, not through our own
verification code, so they check the file as any outside reader would see it.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pikepdf
import segno
import zxingcpp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.apps import apps as django_apps
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from bizportal.catalog.models import Service
from bizportal.core.pdf import render_pdf
from bizportal.identity.models import User
from bizportal.licences import pdf as licence_pdf
from bizportal.licences import services as licence_services
from bizportal.licences.contrib.dev_ca import ca
from bizportal.licences.models import CHECK_CODE_ALPHABET, Licence, new_check_code
from bizportal.licences.services import issue_licence

from .conftest import (
    BUSINESS_NAME,
    CITIZEN_ID_MASKED,
    CITIZEN_ID_PRINTED,
    JURISTIC_ID,
    JURISTIC_ID_PRINTED,
    amend,
    draft,
    pdf_of,
    version,
)


def read(licence: Licence, number: int | None = None) -> bytes:
    return pdf_of(licence, number)


def embedded_payload(data: bytes) -> dict:
    raw = licence_pdf.read_embedded_file(PdfFileReader(BytesIO(data)), "licence.json")
    assert raw is not None
    return json.loads(raw)


def dev_root() -> asn1_x509.Certificate:
    """The root as an outside verifier gets it: the PEM file the operator hands out."""
    pem = (ca.key_dir() / "root-ca.cert.pem").read_bytes()
    return asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    )


def test_the_signature_is_intact_valid_and_trusted_by_the_development_root(
    licence: Licence,
) -> None:
    reader = PdfFileReader(BytesIO(read(licence)))
    [signature] = reader.embedded_signatures

    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[dev_root()]))

    assert status.intact and status.valid and status.trusted
    # B-LT: after the signed revision only the DSS (validation data) was added
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    assert status.docmdp_ok
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert status.signing_cert.subject.native["organization_name"] == licence.agency.name_en


def test_the_signature_is_an_incremental_update_after_the_pdf_a_file(licence: Licence) -> None:
    data = read(licence)

    assert data.count(b"%%EOF") >= 2  # WeasyPrint's revision, then pyHanko's signed one
    reader = PdfFileReader(BytesIO(data))
    assert reader.embedded_signatures[0].signed_revision == 1


def test_the_file_declares_pdf_a_3b_in_its_xmp_metadata(licence: Licence) -> None:
    reader = PdfFileReader(BytesIO(read(licence)))
    xmp = reader.root["/Metadata"].data.decode("utf-8")

    part = re.search(r'pdfaid:part(?:="|>)(\d)', xmp)
    conformance = re.search(r'pdfaid:conformance(?:="|>)([AB])', xmp)
    assert part and part.group(1) == "3"
    assert conformance and conformance.group(1) == "B"
    assert "/OutputIntents" in reader.root


def test_the_pdf_embeds_licence_json_matching_the_register(licence: Licence) -> None:
    reader = PdfFileReader(BytesIO(read(licence)))

    raw = licence_pdf.read_embedded_file(reader, "licence.json")

    assert raw is not None
    payload = json.loads(raw)
    first = version(licence, 1)
    assert payload == first.payload
    assert payload["schema_version"] == 1
    assert payload["number"] == licence.number
    assert (payload["version"], payload["kind"]) == (1, "new")
    assert payload["holder"] == {
        "kind": "person",
        "name": "สมชาย ใจดี",
        "name_en": "Somchai Jaidee",
        "id": CITIZEN_ID_MASKED,  # masked: the PDF travels (the credential decides apart)
    }
    assert payload["business_name"] == BUSINESS_NAME
    assert payload["issuer"]["code"] == "bma-health"
    assert payload["service"] == licence.service.slug
    assert payload["application_reference"] == first.application_reference
    assert payload["issued_at"] == timezone.localtime(licence.issued_at).date().isoformat()
    assert licence.valid_until is not None
    assert payload["valid_until"] == licence.valid_until.isoformat()
    assert payload["verify_url"].endswith(f"/verify/{licence.number}/1/?code={licence.check_code}")
    # PDF/A-3 wants the file associated with the document and its relationship stated.
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    assert spec["/AFRelationship"] == "/Data"
    assert any(ref.get_object() == spec for ref in reader.root["/AF"])


def test_version_2_embeds_its_own_licence_json(amended: Licence) -> None:
    old, new = embedded_payload(read(amended, 1)), embedded_payload(read(amended, 2))

    assert new == version(amended, 2).payload
    assert (new["number"], new["version"], new["kind"]) == (amended.number, 2, "amend")
    assert new["verify_url"].endswith(f"/verify/{amended.number}/2/?code={amended.check_code}")
    assert new["business_name"] == "ร้านข้าวมันไก่ป้าแดง สาขาอารีย์"
    assert new["application_reference"] == version(amended, 2).application_reference
    # The first document still says what it said, and where to check it.
    assert (old["version"], old["business_name"]) == (1, BUSINESS_NAME)
    assert old["verify_url"].endswith(f"/verify/{amended.number}/1/?code={amended.check_code}")


def test_every_version_is_signed_and_trusted(amended: Licence) -> None:
    for number in (1, 2):
        [signature] = PdfFileReader(BytesIO(read(amended, number))).embedded_signatures
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[dev_root()]))
        assert status.intact and status.valid and status.trusted, number
        assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        assert status.modification_level == ModificationLevel.LTA_UPDATES


def test_the_text_is_set_in_embedded_sarabun(licence: Licence) -> None:
    reader = PdfFileReader(BytesIO(read(licence)))
    page = reader.root["/Pages"]["/Kids"][0].get_object()

    fonts = [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]

    assert fonts and all("Sarabun" in font for font in fonts), fonts
    for font in page["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded, not referenced


def decoded(qr: segno.QRCode) -> str:
    """What a phone reads from a QR code."""
    png = BytesIO()
    qr.save(png, kind="png", scale=6, border=4)
    png.seek(0)
    [barcode] = zxingcpp.read_barcodes(Image.open(png))
    return str(barcode.text)


def test_the_qr_code_of_each_version_leads_to_that_versions_page(
    service: Service, applicant: User, monkeypatch, settings
) -> None:
    settings.BASE_URL = "https://bizportal.example"
    encoded: list[str] = []
    made: list[segno.QRCode] = []
    original = licence_pdf.qr_code

    def recording_qr_code(url: str) -> segno.QRCode:  # the QR the PDF template receives
        encoded.append(url)
        made.append(original(url))
        return made[-1]

    monkeypatch.setattr(licence_pdf, "qr_code", recording_qr_code)
    licence = issue_licence(draft(service, applicant))
    amend(licence, business_name="ชื่อใหม่")

    expected = [
        "https://bizportal.example"
        + reverse("licences:verify-version", args=[licence.number, number])
        + f"?code={licence.check_code}"
        for number in (1, 2)
    ]
    assert encoded == expected
    assert [decoded(qr) for qr in made] == expected
    assert [version(licence, n).payload["verify_url"] for n in (1, 2)] == expected


def test_the_check_code_is_printed_beside_the_number(licence: Licence) -> None:
    """The code a verifier types is on the paper (the PDF's text layer is unreliable for
    Thai, so the rendered template is read)."""
    html = render_to_string(
        licence_pdf.TEMPLATE, licence_services._pdf_context(licence, version(licence, 1))
    )
    assert len(licence.check_code) == 8
    assert f"Check code <strong>{licence.check_code_display}</strong>" in html
    assert f"?code={licence.check_code}" in html


def test_check_codes_are_random_and_readable() -> None:
    codes = {new_check_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(CHECK_CODE_ALPHABET) for c in codes)
    assert not set("ILOU") & set(CHECK_CODE_ALPHABET)


def test_the_migration_gives_each_existing_licence_its_own_code(amended: Licence) -> None:
    other = Licence.objects.create(
        **{
            f.name: getattr(amended, f.name)
            for f in Licence._meta.concrete_fields
            if f.name not in {"id", "public_id", "number", "check_code", "status_index"}
        },
        number=amended.number + "9",
    )
    Licence.objects.update(check_code="")
    migration = importlib.import_module("bizportal.licences.migrations.0005_check_code")
    migration.give_codes(django_apps, None)
    codes = set(Licence.objects.values_list("check_code", flat=True))
    assert len(codes) == 2 and "" not in codes
    assert other.pk != amended.pk


def test_a_licence_without_expiry_says_so(service: Service, applicant: User) -> None:
    licence = issue_licence(draft(service, applicant, validity_years=0))

    payload = embedded_payload(read(licence))

    assert licence.valid_until is None
    assert payload["valid_until"] is None


# --- the text layer, metadata and what the page shows (issue 14) ---------------------

PREMISES = "12/3 ซอยอารีย์ 1 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400"
CONDITIONS = "ต้องจัดให้มีที่ล้างมือและน้ำดื่มสะอาด ห้ามจำหน่ายหลังเวลาค่ำ"


def tool(name: str) -> str:
    """The full path of a poppler-utils / qpdf program (CI installs them)."""
    path = shutil.which(name)
    assert path, f"{name} is not installed (apt-get install poppler-utils qpdf)"
    return path


def pdftotext(data: bytes) -> str:
    """The text poppler reads from the file, with runs of white space made one space."""
    result = subprocess.run(
        [tool("pdftotext"), "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode("utf-8").split())


def detailed(service: Service, applicant: User, **changes: object) -> Licence:
    details = {
        "business_name": BUSINESS_NAME,
        "business_address": PREMISES,
        "agency_licence": {"conditions": CONDITIONS},
    }
    return issue_licence(draft(service, applicant, details=details, **changes))


def test_every_thai_string_on_the_licence_reads_back_through_pdftotext(
    service: Service, applicant: User
) -> None:
    licence = detailed(service, applicant)
    text = pdftotext(read(licence))

    strings = [
        licence.holder_name,
        licence.title_th,
        licence.permits_th,
        licence.agency.name_th,
        BUSINESS_NAME,
        PREMISES,
        CONDITIONS,
        "ผู้รับใบอนุญาต",
        "เลขประจำตัวประชาชน",
        "ชื่อสถานประกอบการ",
        "ที่ตั้งสถานประกอบการ",
        "ได้รับอนุญาตให้",
        "เงื่อนไข",
        "ตรวจสอบความถูกต้องของใบอนุญาต",
        "ลงลายมือชื่ออิเล็กทรอนิกส์",
    ]
    missing = [value for value in strings if " ".join(value.split()) not in text]
    assert not missing, missing
    assert "ดาเนิน" not in text and "ประจาตัว" not in text


def test_sara_am_and_tone_marks_round_trip_in_any_rendered_pdf(db) -> None:
    """The repair lives in core/pdf.render_pdf, so receipts and reports get it too;
    า and ำ share a glyph, so both orders of first use must come out right."""
    words = "ดาว ดำเนิน น้ำ ค่ำ กำ ก๊ำ ก๋ำ ประจำตัว ดาว ปั้น ดึง ดื่ม ดุ ดู เก็บ การ์ด ที่"
    page = '<html lang="th"><body><p>{{ text }}</p></body></html>'
    loaders = [("django.template.loaders.locmem.Loader", {"sample.html": page})]
    templates = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": loaders},
        }
    ]
    with override_settings(TEMPLATES=templates):
        for sample in (words, "น้ำ " + words):
            assert pdftotext(render_pdf("sample.html", {"text": sample})) == sample


def test_one_associated_file_and_metadata_that_agree(licence: Licence, tmp_path: Path) -> None:
    data = read(licence)
    with pikepdf.open(BytesIO(data)) as pdf:
        # Each attachment listed once: licence.json and the credential (licence.vc.jwt).
        assert sorted(str(spec.UF) for spec in pdf.Root.AF) == ["licence.json", "licence.vc.jwt"]
        assert str(pdf.Root.Lang) == "th"
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        with pdf.open_metadata() as meta:
            assert meta["dc:title"] == str(pdf.docinfo.Title)
            assert set(meta["dc:language"]) == {"th"}
            assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
            assert "xmp:CreateDate" in meta and "/CreationDate" in pdf.docinfo
    (tmp_path / "licence.pdf").write_bytes(data)
    check = subprocess.run(
        [tool("qpdf"), "--check", str(tmp_path / "licence.pdf")], capture_output=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_unsigned_file_names_one_producer_in_info_and_xmp(licence: Licence) -> None:
    unsigned = licence_pdf.render_licence_pdf(
        licence_services._pdf_context(licence, version(licence, 1)), version(licence, 1).payload
    )
    with pikepdf.open(BytesIO(unsigned)) as pdf, pdf.open_metadata() as meta:
        assert meta["pdf:Producer"] == str(pdf.docinfo.Producer)
        assert meta["xmp:ModifyDate"] and "/ModDate" in pdf.docinfo
    assert len(PdfReader(BytesIO(unsigned)).pages) == 1


def test_a_persons_citizen_id_is_masked_and_a_companys_printed_in_full(
    service: Service, applicant: User
) -> None:
    person = pdftotext(read(detailed(service, applicant)))
    company = pdftotext(
        read(
            detailed(
                service,
                applicant,
                holder_kind="juristic",
                holder_id=JURISTIC_ID,
                holder_name="บริษัท ครัวสมศรี จำกัด",
            )
        )
    )

    assert CITIZEN_ID_MASKED in person and CITIZEN_ID_PRINTED not in person
    assert JURISTIC_ID_PRINTED in company and "เลขทะเบียนนิติบุคคล" in company
