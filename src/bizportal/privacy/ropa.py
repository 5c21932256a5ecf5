"""The record of processing activities (PDPA s. 39) for the data protection officer.

Generated, never typed: the rows come from every model's ``PERSONAL_DATA`` declaration,
the retention rules and legal holds in :mod:`.retention`, and the notices in force, so
the record describes what the code does today. The disclosures to other agencies come
from the data-sharing agreements kept in the exchange (``exchange.SharingAgreement``).
CSV and JSON are for machines; the DPO files the Excel workbook and the PDF.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import get_language, pgettext

from bizportal.core.pdf import render_pdf
from bizportal.exchange.models import SharingAgreement

from . import retention, selectors
from .models import Purpose

#: Purpose and lawful basis (PDPA s. 24) of the apps that hold personal data.
_APP_PURPOSE: dict[str, tuple[str, str]] = {
    "identity": (Purpose.IDENTITY, "s. 24(3) contract; s. 24(6) legal obligation"),
    "sandbox_idp": (Purpose.IDENTITY, "test data of the embedded identity sandbox"),
    "registries": (Purpose.IDENTITY, "s. 24(4) public task: agency registries"),
    "notifications": (Purpose.SERVICE, "s. 24(3) contract"),
    "notifications_sandbox": (Purpose.SERVICE, "test data of the embedded SMS and LINE sandboxes"),
}
_DEFAULT = (Purpose.SERVICE, "s. 24(4) public task; s. 24(6) legal obligation")

COLUMNS = [
    "model",
    "table",
    "fields",
    "labels",
    "purpose",
    "lawful_basis",
    "notice_version",
    "retention",
    "legal_hold",
]


def rows() -> list[dict[str, Any]]:
    notices = {n.purpose: n.version for n in selectors.current_notices()}
    rules_by_model: dict[str, list[str]] = {}
    for rule in retention.rules():
        rules_by_model.setdefault(rule.model, []).append(f"{rule.key}: {rule.label}")
    holds = {h.model: f"{h.years} years: {h.law_en}" for h in retention.LEGAL_HOLDS}
    found = []
    for model, declared in retention.labelled_models():
        label = model._meta.label
        purpose, basis = _APP_PURPOSE.get(model._meta.app_label, _DEFAULT)
        found.append(
            {
                "model": label,
                "table": model._meta.db_table,
                "fields": sorted(declared),
                "labels": sorted(set(declared.values())),
                "purpose": str(purpose),
                "lawful_basis": basis,
                "notice_version": notices.get(purpose),
                "retention": rules_by_model.get(label, []),
                "legal_hold": holds.get(label, ""),
            }
        )
    return found


def as_json() -> str:
    return json.dumps(rows(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def as_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows():
        writer.writerow(
            {
                k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()


def agreements() -> list[dict[str, Any]]:
    """The agreements in force or ended, one row each, in the reader's language."""
    thai = (get_language() or "th").startswith("th")
    found = []
    for item in SharingAgreement.objects.select_related("consumer", "data_service__provider"):
        service = item.data_service
        found.append(
            {
                "reference": item.reference,
                "provider": _agency_name(service.provider, thai),
                "data_service": service.code,
                "consumer": _agency_name(item.consumer, thai),
                "purpose": item.purpose_th if thai else (item.purpose_en or item.purpose_th),
                "fields": list(item.fields),
                "personal_fields": sorted(
                    f for f in item.fields if service.labels().get(f, "public") != "public"
                ),
                "legal_basis": (
                    item.legal_basis_th if thai else (item.legal_basis_en or item.legal_basis_th)
                ),
                "retention_days": item.retention_days,
                "signed_on": item.signed_on,
                "valid_from": item.valid_from,
                "valid_until": item.valid_until,
                "in_force": item.is_active,
            }
        )
    return found


def _agency_name(agency: Any, thai: bool) -> str:
    return str(agency.name_th if thai else (agency.name_en or agency.name_th))


def as_xlsx() -> bytes:
    """Two sheets: the processing activities and the data-sharing agreements."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    record = book.active
    record.title = pgettext("record of processing", "Processing activities")[:31]
    _fill(
        record,
        [
            pgettext("record of processing", "Model"),
            pgettext("record of processing", "Table"),
            pgettext("record of processing", "Personal data fields"),
            pgettext("record of processing", "Labels"),
            pgettext("record of processing", "Purpose"),
            pgettext("record of processing", "Lawful basis"),
            pgettext("record of processing", "Notice version"),
            pgettext("record of processing", "Retention"),
            pgettext("record of processing", "Legal hold"),
        ],
        [[_cell(row[c]) for c in COLUMNS] for row in rows()],
    )
    shared = book.create_sheet(pgettext("record of processing", "Data-sharing agreements")[:31])
    _fill(
        shared,
        [
            pgettext("record of processing", "Agreement"),
            pgettext("record of processing", "Provider"),
            pgettext("record of processing", "Data service"),
            pgettext("record of processing", "Recipient"),
            pgettext("record of processing", "Purpose"),
            pgettext("record of processing", "Fields"),
            pgettext("record of processing", "Personal data fields"),
            pgettext("record of processing", "Legal basis"),
            pgettext("record of processing", "Kept for (days)"),
            pgettext("record of processing", "Signed on"),
            pgettext("record of processing", "Valid from"),
            pgettext("record of processing", "Valid until"),
            pgettext("record of processing", "In force"),
        ],
        [[_cell(value) for value in row.values()] for row in agreements()],
    )
    for sheet in (record, shared):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if hasattr(cell.value, "year"):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, header: list[str], body: list[list[Any]]) -> None:
    sheet.append(header)
    for line in body:
        sheet.append(line)
    for index in range(len(header)):
        sheet.column_dimensions[chr(ord("A") + index)].width = 28


def _cell(value: Any) -> Any:
    """Lists as text a spreadsheet shows; booleans as words; dates stay dates."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        if value:
            return pgettext("record of processing", "Yes")
        return pgettext("record of processing", "No")
    return "" if value is None else value


def as_pdf() -> bytes:
    """The record and the agreements for filing, in the reader's language (Sarabun,
    Buddhist-era dates on the Thai one)."""
    return render_pdf(
        "privacy/ropa_pdf.html",
        {"rows": rows(), "agreements": agreements(), "generated_at": timezone.now()},
        language=get_language() or "th",
    )
