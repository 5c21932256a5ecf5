"""The record of processing with the data-sharing agreements, as the DPO files it:
an Excel workbook and a PDF (issue 23)."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from bizportal.core.models import AuditEvent
from bizportal.exchange.models import DataService, SharingAgreement
from tests.factories import AgencyFactory, ApplicantFactory, StaffFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def agreement(**overrides: object) -> SharingAgreement:
    provider = AgencyFactory(
        code="dopa", name_th="กรมการปกครอง", name_en="Dept. of Provincial Administration"
    )
    service = DataService.objects.create(
        code="civil-person",
        provider=provider,
        name_th="ข้อมูลบุคคล",
        name_en="Person record",
        subject_kind="person",
        fields=[
            {"name": "full_name_th", "label_th": "ชื่อ", "label_en": "Name", "pdpa": "personal"},
            {"name": "province", "label_th": "จังหวัด", "label_en": "Province", "pdpa": "public"},
        ],
        legal_basis_th="พระราชบัญญัติการทะเบียนราษฎร",
        connector="civil_registry",
    )
    values: dict[str, object] = {
        "reference": "mou-2568-001",
        "consumer": AgencyFactory(code="bma", name_th="กรุงเทพมหานคร", name_en="Bangkok"),
        "data_service": service,
        "purpose_th": "พิจารณาคำขอใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        "purpose_en": "Deciding food shop licence applications",
        "fields": ["full_name_th", "province"],
        "legal_basis_th": "พระราชบัญญัติการสาธารณสุข พ.ศ. 2535 มาตรา 56",
        "legal_basis_en": "Public Health Act B.E. 2535 s. 56",
        "retention_days": 1825,
        "signed_on": dt.date(2025, 10, 1),
        "valid_from": dt.date(2025, 10, 1),
        "valid_until": dt.date(2028, 9, 30),
    }
    values.update(overrides)
    return SharingAgreement.objects.create(**values)


def test_the_workbook_has_the_record_and_the_agreements(client) -> None:
    agreement()
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get("/backoffice/privacy/ropa.xlsx", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    record, shared = book.worksheets
    models = [row[0] for row in record.iter_rows(min_row=2, values_only=True)]
    assert "identity.User" in models
    rows = list(shared.iter_rows(values_only=True))
    assert rows[0][0] == "Agreement"
    (line,) = rows[1:]
    assert line[0] == "mou-2568-001"
    assert line[3] == "Bangkok" and line[4] == "Deciding food shop licence applications"
    assert line[6] == "full_name_th"  # the personal field of the two shared
    assert line[8] == 1825 and line[11] == dt.datetime(2028, 9, 30)
    assert AuditEvent.objects.filter(action="privacy.ropa_exported", object_id="xlsx").exists()


def test_the_pdf_is_thai_by_default_with_buddhist_era_dates(client) -> None:
    agreement()
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get("/backoffice/privacy/ropa.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    assert "บันทึกรายการกิจกรรมการประมวลผล" in text
    assert "mou-2568-001" in text and "2571" in text  # valid until 30 Sep 2028 = B.E. 2571


def test_only_the_dpo_takes_a_copy(client) -> None:
    client.force_login(ApplicantFactory())
    assert client.get("/backoffice/privacy/ropa.xlsx").status_code == 403
    client.force_login(StaffFactory())
    assert client.get("/backoffice/privacy/ropa.pdf").status_code == 403
    client.force_login(StaffFactory(is_superuser=True))
    assert client.get("/backoffice/privacy/ropa.docx").status_code == 404
    assert not AuditEvent.objects.filter(action="privacy.ropa_exported").exists()


def test_the_command_writes_the_files_and_wants_a_path_for_binary_ones(tmp_path) -> None:
    agreement()
    with pytest.raises(CommandError, match="--output"):
        call_command("export_ropa", "--format", "xlsx")
    call_command("export_ropa", "--format", "xlsx", "--output", str(tmp_path / "ropa.xlsx"))
    assert load_workbook(tmp_path / "ropa.xlsx").sheetnames[1]
    call_command("export_ropa", "--format", "pdf", "--output", str(tmp_path / "ropa.pdf"))
    assert (tmp_path / "ropa.pdf").read_bytes().startswith(b"%PDF")


def test_an_agreement_names_fields_the_service_holds_over_a_real_period() -> None:
    item = agreement()
    item.fields = ["full_name_th", "salary"]
    with pytest.raises(ValidationError, match="salary"):
        item.full_clean()
    item.fields = ["full_name_th"]
    item.valid_until = dt.date(2020, 1, 1)
    with pytest.raises(ValidationError):
        item.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        agreement(reference="mou-2568-002", retention_days=0)
