"""Reconciliation: a bank statement (camt.053 or CSV) against our payments and refunds."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole
from bizportal.payments import reconciliation, services
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.contrib.sandbox.statements import camt053
from bizportal.payments.models import Invoice, StatementImport, StatementLine
from bizportal.payments.providers import CallbackData
from tests import journeys
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def paid_invoices(n: int) -> list[Invoice]:
    invoices = []
    for _ in range(n):
        application = journeys.pay(journeys.approve_everything(journeys.submitted()))
        invoices.append(Invoice.objects.get(application=application))
    return invoices


def entry(amount: str, bank_ref: str, ref1: str = "", ref2: str = "", day: str = "") -> str:
    booked = day or timezone.localdate().isoformat()
    return f"""<Ntry><Amt Ccy="THB">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt><AcctSvcrRef>{bank_ref}</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>{ref1 or "NOTPROVIDED"}</EndToEndId></Refs>
<RmtInf><Strd><CdtrRefInf><Ref>{ref2}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>"""


def document(*entries: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>T1</MsgId><CreDtTm>2026-01-01T00:00:00+07:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>STMT1</Id><Acct><Id><Othr><Id>099400016550101</Id></Othr></Id></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def test_a_camt053_with_matched_unmatched_and_mismatched_lines() -> None:
    by_ref, by_refs, short, missing = paid_invoices(4)
    content = document(
        entry(f"{by_ref.amount:.2f}", by_ref.provider_txn_id or ""),
        entry(f"{by_refs.amount:.2f}", "BANKONLYREF", by_refs.ref1, by_refs.ref2),
        entry("999.00", short.provider_txn_id or ""),
        entry("123.45", "SOMEONEELSE", "X1", "X2"),
    )
    statement = reconciliation.import_statement(content, filename="camt053.xml", provider="sandbox")
    lines = {line.line_no: line for line in statement.lines.all()}
    assert [lines[n].status for n in (1, 2, 3, 4)] == [
        "matched",
        "matched",
        "mismatched",
        "unmatched",
    ]
    assert (lines[1].invoice, lines[1].matched_by) == (by_ref, "bank_reference")
    assert (lines[2].invoice, lines[2].matched_by) == (by_refs, "ref1_ref2")
    assert lines[3].invoice == short and "999.00" in lines[3].detail
    assert statement.format == "camt053" and statement.account == "099400016550101"
    # We have it, the bank does not: the fourth payment.
    assert list(reconciliation.missing_payments(statement)) == [missing]
    status = {row.provider: row for row in reconciliation.daily_status([timezone.localdate()])}
    today = status["sandbox"]
    assert (today.payments, today.matched, today.open_lines, today.missing) == (4, 2, 2, 1)
    assert today.status == "open"
    # Importing the same file again is refused, saying when it was first imported.
    with pytest.raises(reconciliation.StatementError, match="already imported"):
        reconciliation.import_statement(content, filename="again.xml", provider="sandbox")
    assert StatementImport.objects.count() == 1


def test_a_csv_statement_matches_by_amount_and_date_too() -> None:
    (invoice,) = paid_invoices(1)
    today = timezone.localdate().isoformat()
    content = (
        "booking_date,value_date,amount,currency,direction,bank_reference,ref1,ref2,description\n"
        f"{today},{today},{invoice.amount:.2f},THB,C,,,,counter deposit\n"
        f"{today},,50.00,THB,C,ZZZ,,,unknown\n"
        f"{today},,10.00,THB,D,RFUNKNOWN,,,a refund we never made\n"
    ).encode()
    statement = reconciliation.import_statement(content, filename="bank.csv", provider="sandbox")
    lines = list(statement.lines.order_by("line_no"))
    assert [(line.status, line.matched_by) for line in lines] == [
        ("matched", "amount_date"),
        ("unmatched", ""),
        ("unmatched", ""),
    ]
    assert lines[0].invoice == invoice and statement.format == "csv"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Document><unclosed></Document>", "Malformed XML at line 1"),
        (b'<?xml version="1.0"?><Document xmlns="urn:other"/>', "Not a camt.053 file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Document/>',
            "DOCTYPE or entities",
        ),
        (document(), "no booked entries"),
        (
            document(entry("12.3.4", "R1")),
            "Ntry 1 Amt: invalid amount",
        ),
        (
            document(entry("10.00", "R1", day="2026-13-40")),
            "Ntry 1 BookgDt: not a date",
        ),
        (b"date,amount\n2026-01-01,1\n", "lacks the columns: booking_date"),
        (
            b"booking_date,value_date,amount,currency,direction,bank_reference,ref1,ref2,"
            b"description\n2026-01-01,,5.00,THB,X,,,,\n",
            "row 2: direction must be C or D",
        ),
        (b"\xff\xfe\x00b", "must be UTF-8"),
    ],
)
def test_malformed_files_are_refused_with_a_specific_message(content: bytes, message: str) -> None:
    with pytest.raises(reconciliation.StatementError, match=message):
        name = "f.xml" if content.startswith(b"<") else "f.csv"
        reconciliation.import_statement(content, filename=name, provider="sandbox")
    assert not StatementImport.objects.exists() and not StatementLine.objects.exists()


def test_the_sandbox_banks_own_statement_reconciles_its_payments_and_refunds() -> None:
    """The bank's camt.053 of the day, for payments it took: every line matches."""
    application = journeys.approve_everything(journeys.submitted())
    invoice = Invoice.objects.get(application=application, status="pending")
    txn = bank.pay(services.instruction(invoice).qr_payload)
    result = services.confirm_payment(
        "sandbox",
        CallbackData(**{**txn.webhook_body(), "amount": txn.amount, "paid_at": txn.paid_at}),  # type: ignore[arg-type]
        body="{}",
    )
    assert result.ok
    content = camt053(timezone.localdate())
    statement = reconciliation.import_statement(content, filename="sbx.xml", provider="sandbox")
    assert list(statement.lines.values_list("status", flat=True)) == ["matched"]
    assert not reconciliation.missing_payments(statement).exists()
    day = reconciliation.daily_status([timezone.localdate()])[0]
    assert day.status == "reconciled"


def test_the_finance_officer_imports_and_resolves_in_the_back_office(client: Client) -> None:
    (invoice,) = paid_invoices(1)
    finance = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    client.force_login(finance)
    url = reverse("backoffice:finance-statements")
    content = document(entry("1.00", invoice.provider_txn_id or ""))
    upload = SimpleUploadedFile("camt.xml", content, content_type="application/xml")
    response = client.post(url, {"file": upload, "provider": "sandbox"})
    assert response.status_code == 302
    statement = StatementImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="mismatched"' in page
    line = statement.lines.get()
    detail = reverse("backoffice:finance-statement", args=[statement.public_id])
    assert client.post(detail, {"line": "1", "note": ""}).status_code == 302
    line.refresh_from_db()
    assert line.status == "mismatched"  # a note is required
    client.post(detail, {"line": "1", "note": "ธนาคารบันทึกผิด แจ้งแก้ไขแล้ว"})
    line.refresh_from_db()
    assert (line.status, line.was, line.resolved_by) == ("resolved", "mismatched", finance)
    assert AuditEvent.objects.filter(action="statement.line_resolved").exists()
    # Wrong kind, empty, unknown channel: refused with a message, nothing stored.
    for name, body, provider, message in (
        ("x.pdf", b"%PDF-1.4", "sandbox", "รับเฉพาะไฟล์ camt.053"),
        ("x.csv", b"", "sandbox", "ไฟล์ว่างเปล่า"),
        ("x.csv", b"a,b\n", "nope", "ไม่รู้จักช่องทาง"),
    ):
        bad = client.post(url, {"file": SimpleUploadedFile(name, body), "provider": provider})
        assert bad.status_code == 400 and message in bad.content.decode()
    assert StatementImport.objects.count() == 1
    # Other staff do not reach reconciliation.
    client.force_login(OfficerFactory(agency=invoice.application.agency))
    assert client.get(url).status_code in (403, 404)


def test_the_reconcile_command_imports_a_file(tmp_path: Path) -> None:
    (invoice,) = paid_invoices(1)
    path = tmp_path / "camt.xml"
    path.write_bytes(document(entry(f"{invoice.amount:.2f}", invoice.provider_txn_id or "")))
    out = StringIO()
    call_command("reconcile", "import", str(path), stdout=out)
    assert "matched 1" in out.getvalue()
    with pytest.raises(CommandError, match="already imported"):
        call_command("reconcile", "import", str(path), stdout=StringIO())


def test_the_sandbox_statement_endpoint_serves_camt053(client: Client) -> None:
    response = client.get(f"/sandbox/bank/statements/{timezone.localdate():%Y-%m-%d}/camt053.xml")
    assert response.status_code == 200 and NS.encode() in response.content
    assert client.get("/sandbox/bank/statements/yesterday/camt053.xml").status_code == 404


def test_a_pending_refund_is_confirmed_by_the_providers_statement() -> None:
    """A provider that answered "pending" confirms with its statement: the debit under
    its refund reference for the same amount completes the refund (numbered receipt);
    another amount leaves it pending and the line for an officer."""
    from bizportal.payments.models import Refund

    first, second = paid_invoices(2)
    maker = OfficerFactory(roles=[StaffRole.FINANCE])
    pending = [
        Refund.objects.create(
            invoice=invoice,
            agency=invoice.application.service.agency,
            amount=amount,
            reason_code="overpaid",
            note="test",
            state=Refund.State.SENT,
            requested_by=maker,
            provider="sandbox",
            provider_reference=reference,
        )
        for invoice, amount, reference in (
            (first, "40.00", "RF-PEND-1"),
            (second, "30.00", "RF-PEND-2"),
        )
    ]
    today = timezone.localdate().isoformat()
    content = (
        "booking_date,value_date,amount,currency,direction,bank_reference,ref1,ref2,description\n"
        f"{today},,40.00,THB,D,RF-PEND-1,,,refund\n"
        f"{today},,31.00,THB,D,RF-PEND-2,,,refund\n"
    ).encode()
    statement = reconciliation.import_statement(content, filename="bank.csv", provider="sandbox")
    lines = list(statement.lines.order_by("line_no"))
    assert [line.status for line in lines] == ["matched", "unmatched"]
    confirmed, still = (Refund.objects.get(pk=refund.pk) for refund in pending)
    assert confirmed.state == "completed" and confirmed.number
    assert confirmed.completed_at
    assert timezone.localdate(confirmed.completed_at).isoformat() == today
    assert lines[0].refund == confirmed
    assert still.state == "sent" and still.number is None
    assert "31.00" in lines[1].detail and "pending" in lines[1].detail
    assert AuditEvent.objects.filter(action="refund.completed").count() == 1
