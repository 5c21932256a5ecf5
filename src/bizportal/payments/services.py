"""Every change to invoices, payments and receipts happens here.

Raising an invoice runs inside the caller's transaction (the officer's approval).
A provider callback is authenticated by its plugin and then settled in one
transaction that marks the invoice paid, writes the exchange log, the audit record
and the receipt row, and moves the application on; the receipt PDF is rendered
after commit so the provider is not kept waiting.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from bizportal.applications import services as applications
from bizportal.core import audit, events
from bizportal.core.pdf import render_pdf
from bizportal.core.ratelimits import client_ip
from bizportal.core.sequences import next_number
from bizportal.core.thai import baht, baht_text, thai_date
from bizportal.identity.acting import require_aal
from bizportal.workflow.steps import Completion

from . import ereceipts, thaiqr
from .events import INVOICE_PAID
from .models import Invoice, PaymentEvent, Receipt, ServicePaymentOptions
from .providers import (
    BodyTooLarge,
    CallbackData,
    CallbackError,
    PaymentInstruction,
    PaymentProvider,
    SignatureError,
    active_provider,
    enabled_providers,
    is_enabled,
    providers,
)

log = logging.getLogger(__name__)
Outcome = PaymentEvent.Outcome


# --- invoices ---------------------------------------------------------------------


@transaction.atomic
def raise_invoice(
    application: Any, amount: Decimal, *, actor: Any, lines: Iterable[Any] = ()
) -> Invoice:
    """Invoice the fee of an approved application (called inside the approval).

    Ref1 is the application reference and Ref2 the invoice number, both reduced to
    the digits and capitals bill payment allows, so the bank's confirmation names
    exactly one invoice. ``lines`` (``item``, ``amount``: a fee quote's lines) say what
    the amount is for; each is rounded to satang like the amount, and together they
    must make the amount, or the invoice and its receipt would contradict themselves.
    Refuses, with a bilingual ValidationError, a non-positive amount, lines that do
    not add up, an application without a reference, or one that already has an unpaid
    invoice.
    """
    value = baht(amount)
    if value <= 0:
        raise ValidationError(
            "ค่าธรรมเนียมต้องมากกว่าศูนย์จึงจะออกใบแจ้งหนี้ได้ / An invoice needs a fee above zero",
            code="amount",
        )
    items = [(str(line.item), baht(line.amount)) for line in lines]
    total = sum((line_amount for _, line_amount in items), Decimal(0))
    if items and total != value:
        raise ValidationError(
            f"รายการค่าธรรมเนียมรวม {total:.2f} บาท ไม่เท่ากับยอด {value:.2f} บาท / "
            f"The fee lines add up to {total:.2f} THB, not {value:.2f} THB",
            code="lines",
        )
    if not application.reference:
        raise ValidationError(
            "คำขอยังไม่มีเลขที่อ้างอิง / The application has no reference number yet", code="reference"
        )
    if Invoice.objects.filter(application=application, status=Invoice.Status.PENDING).exists():
        raise ValidationError(
            "คำขอนี้มีใบแจ้งหนี้ที่ยังไม่ชำระอยู่แล้ว / This application already has an unpaid invoice",
            code="duplicate",
        )
    try:
        ref1 = thaiqr.to_reference(application.reference)
    except thaiqr.PayloadError as error:
        raise ValidationError(str(error), code="reference") from None
    number = next_number("INV", gapless=True)
    invoice = Invoice.objects.create(
        number=number,
        application=application,
        amount=value,
        currency="THB",
        ref1=ref1,
        ref2=thaiqr.to_reference(number),
        lines=[{"item": item, "amount": f"{line_amount:.2f}"} for item, line_amount in items],
    )
    audit.record(
        "invoice.raised",
        invoice,
        actor=actor,
        application=application.reference,
        number=number,
        amount=f"{value:.2f}",
        currency="THB",
    )
    return invoice


def invoice_for(application: Any) -> Invoice | None:
    """The application's current invoice: the unpaid one, else the latest paid one."""
    invoices = Invoice.objects.filter(application=application).exclude(
        status=Invoice.Status.CANCELLED
    )
    return invoices.filter(status=Invoice.Status.PENDING).first() or invoices.first()


def check_may_pay(invoice: Invoice, actor: Any) -> None:
    """Paying online needs the session assurance the service asks for (a counter officer
    paying with the walk-in person present needs none beyond their own sign-in)."""
    application = invoice.application
    if application.filed_by_id is not None and application.filed_by_id == getattr(
        actor, "pk", None
    ):
        return
    require_aal(actor, application.service.aal_needed("pay"))


def accepted_channels(service: Any) -> list[tuple[str, PaymentProvider]]:
    """The channels a service's fees may be paid through: those the settings enable,
    narrowed by the service's :class:`ServicePaymentOptions` if it lists any (in its
    order). Never empty: with no overlap the default channel stays, so an invoice can
    always be paid."""
    enabled = dict(enabled_providers())
    options = ServicePaymentOptions.objects.filter(service=service).first()
    chosen = [name for name in (options.channels if options else []) if name in enabled]
    if chosen:
        return [(name, enabled[name]) for name in chosen]
    if options and options.channels:
        return [active_provider()]
    return list(enabled.items())


def instruction(invoice: Invoice, *, channel: str = "", return_url: str = "") -> PaymentInstruction:
    """How to pay through ``channel`` (default: the service's first accepted channel);
    a channel the service does not accept is refused with a bilingual ValidationError."""
    accepted = dict(accepted_channels(invoice.application.service))
    if not channel:
        channel = next(iter(accepted))
    if channel not in accepted:
        raise ValidationError(
            f"บริการนี้ไม่รับชำระทางช่องทาง {channel[:40]!r} / "
            f"This service does not take payments through {channel[:40]!r}",
            code="channel",
        )
    return accepted[channel].instruction(invoice, return_url=return_url)


# --- provider callbacks -----------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    """What the callback view answers, decided here so views stay thin."""

    http_status: int
    outcome: str
    detail: str
    invoice: Invoice | None = None

    @property
    def ok(self) -> bool:
        return self.http_status == 200


def receive_callback(provider_id: str, request: HttpRequest) -> CallbackResult:
    """Authenticate a provider's callback and settle it; every call leaves a PaymentEvent.

    A body over ``PAYMENT_CALLBACK_MAX_BYTES`` is refused (413) before it is read. The
    body is kept only once the signature checks out; for a refused unsigned or forged
    call the log and the audit trail hold a summary (size, SHA-256, source address), so
    nobody can fill the database by knocking.
    """
    if not is_enabled(provider_id):
        # Not logged: no provider of ours, so nothing to reconcile against.
        return CallbackResult(404, "unknown_provider", "ไม่รู้จักผู้ให้บริการนี้ / Unknown payment provider")
    bound = settings.PAYMENT_CALLBACK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > bound:
        return _refuse(provider_id, request, None, _too_large(bound), size=declared)
    raw = request.body
    if len(raw) > bound:
        return _refuse(provider_id, request, None, _too_large(bound), size=len(raw))
    body = _storable(raw)
    try:
        data = providers[provider_id].verify_callback(request)
    except CallbackError as error:
        kept = None if isinstance(error, SignatureError) else body
        return _refuse(provider_id, request, kept, error, size=len(raw), digest=raw)
    try:
        return confirm_payment(provider_id, data, body=body)
    except IntegrityError:
        if not Invoice.objects.filter(provider=provider_id, provider_txn_id=data.txn_id).exists():
            _log_only(provider_id, body, data, Outcome.ERROR, "integrity error", 500)
            raise
        # A concurrent delivery of the same transaction won the race on the unique
        # provider_txn_id: the invoice is paid once, this one is a duplicate.
        return _log_only(
            provider_id, body, data, Outcome.DUPLICATE, "already processed concurrently", 200
        )
    except Exception as error:
        log.exception("payment callback failed: %s %s", provider_id, data.txn_id)
        _log_only(provider_id, body, data, Outcome.ERROR, repr(error)[:2000], 500)
        raise


def _too_large(bound: int) -> BodyTooLarge:
    return BodyTooLarge(f"เนื้อหาใหญ่เกิน {bound:,} ไบต์ / The body is larger than {bound:,} bytes")


def _storable(raw: bytes) -> str:
    """Text a database column takes: invalid UTF-8 and NUL become U+FFFD."""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


@transaction.atomic
def _refuse(
    provider_id: str,
    request: HttpRequest,
    body: str | None,
    error: CallbackError,
    *,
    size: int,
    digest: bytes | None = None,
) -> CallbackResult:
    """Log a refused call: its body only when signed (``body``), else a summary."""
    summary: dict[str, Any] = {
        "size": size,
        "sha256": hashlib.sha256(digest).hexdigest() if digest is not None else "",
        "source_ip": client_ip(request),
    }
    event = PaymentEvent.objects.create(
        provider=provider_id,
        signature_valid=error.outcome != Outcome.FORGED and body is not None,
        body=body or "",
        outcome=error.outcome,
        detail=f"{error} [size {summary['size']}, sha256 {summary['sha256'] or '-'}, "
        f"from {summary['source_ip']}]",
    )
    audit.record(
        f"payment.callback_{error.outcome}",
        event,
        actor_label=f"payment provider {provider_id}",
        detail=str(error),
        **summary,
    )
    return CallbackResult(error.status, error.outcome, str(error))


@transaction.atomic
def _log_only(
    provider_id: str, body: str, data: CallbackData, outcome: str, detail: str, status: int
) -> CallbackResult:
    invoice = Invoice.objects.filter(provider=provider_id, provider_txn_id=data.txn_id).first()
    PaymentEvent.objects.create(
        provider=provider_id,
        signature_valid=True,
        body=body,
        outcome=outcome,
        detail=detail,
        provider_txn_id=data.txn_id,
        invoice=invoice,
    )
    return CallbackResult(status, outcome, detail, invoice)


@transaction.atomic
def confirm_payment(provider_id: str, data: CallbackData, *, body: str) -> CallbackResult:
    """Settle an authenticated payment confirmation, idempotently.

    The invoice is found by Ref2 and must match Ref1, our biller ID, the currency
    and the amount to the satang; a second delivery of a settled payment changes
    nothing and says so. On success the application's payment step is completed in
    this same transaction, so "paid" and "the process moved on" commit together.
    """

    def settle(
        outcome: str, detail: str, status: int, invoice: Invoice | None = None
    ) -> CallbackResult:
        PaymentEvent.objects.create(
            provider=provider_id,
            signature_valid=True,
            body=body,
            outcome=outcome,
            detail=detail,
            provider_txn_id=data.txn_id,
            invoice=invoice,
        )
        if outcome != Outcome.ACCEPTED:
            target = invoice if invoice is not None else ("payments.invoice", data.ref2 or "?")
            audit.record(
                f"payment.callback_{outcome}",
                target,
                actor_label=f"payment provider {provider_id}",
                txn=data.txn_id,
                detail=detail,
            )
        return CallbackResult(status, outcome, detail, invoice)

    already = Invoice.objects.filter(provider=provider_id, provider_txn_id=data.txn_id).first()
    if already is not None:
        return settle(Outcome.DUPLICATE, "transaction already processed", 200, already)
    invoice = Invoice.objects.select_for_update().filter(ref2=data.ref2).first()
    if invoice is None or invoice.ref1 != data.ref1:
        return settle(
            Outcome.UNKNOWN_INVOICE,
            f"ไม่พบใบแจ้งหนี้ Ref1 {data.ref1} Ref2 {data.ref2} / "
            f"No invoice with Ref1 {data.ref1}, Ref2 {data.ref2}",
            422,
        )
    if data.biller_id != settings.PAYMENT_BILLER_ID:
        return settle(
            Outcome.UNKNOWN_INVOICE,
            f"รหัสผู้รับชำระ {data.biller_id} ไม่ใช่ของระบบนี้ / Biller ID {data.biller_id} is not ours",
            422,
            invoice,
        )
    if invoice.status == Invoice.Status.PAID:
        return settle(
            Outcome.DUPLICATE, f"invoice already paid by {invoice.provider_txn_id}", 200, invoice
        )
    if invoice.status == Invoice.Status.CANCELLED:
        return settle(
            Outcome.NOT_PAYABLE, "ใบแจ้งหนี้ถูกยกเลิกแล้ว / The invoice has been cancelled", 422, invoice
        )
    if data.currency != invoice.currency or data.amount != invoice.amount:
        return settle(
            Outcome.WRONG_AMOUNT,
            f"ยอดชำระ {data.amount} {data.currency} ไม่ตรงกับใบแจ้งหนี้ "
            f"{invoice.amount:.2f} {invoice.currency} / Paid {data.amount} {data.currency}, "
            f"invoice is {invoice.amount:.2f} {invoice.currency}",
            422,
            invoice,
        )
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = data.paid_at
    invoice.provider = provider_id
    invoice.provider_txn_id = data.txn_id
    invoice.save(update_fields=["status", "paid_at", "provider", "provider_txn_id"])
    receipt = Receipt.objects.create(
        number=next_number("RC", gapless=True), invoice=invoice, issued_at=timezone.now()
    )
    result = settle(Outcome.ACCEPTED, f"paid; receipt {receipt.number}", 200, invoice)
    audit.record(
        "invoice.paid",
        invoice,
        actor_label=f"payment provider {provider_id}",
        txn=data.txn_id,
        amount=f"{invoice.amount:.2f}",
        receipt=receipt.number,
    )
    applications.complete_system_step(
        invoice.application,
        "payment",
        Completion(
            data={"fee": f"{invoice.amount:.2f}", "invoice": invoice.number},
            note=f"{invoice.number} · {receipt.number}",
            action="paid",
            label="ชำระค่าธรรมเนียมแล้ว / Fee paid",
        ),
        actor_label=f"payment provider {provider_id}",
    )
    events.publish(
        INVOICE_PAID,
        invoice,
        {
            "number": invoice.number,
            "receipt": receipt.number,
            "amount": f"{invoice.amount:.2f}",
            "application_reference": invoice.application.reference or "",
        },
        actor_label=f"payment provider {provider_id}",
    )
    return result


# --- receipts ---------------------------------------------------------------------


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    invoice = receipt.invoice
    application = invoice.application
    party = application.party
    return {
        "receipt": receipt,
        "invoice": invoice,
        "application": application,
        "service": application.service,
        "agency": application.agency,
        "payer_name_th": party.name_th or str(party),
        "payer_name_en": party.name_en,
        "amount_text": baht_text(invoice.amount),
        "channel_label": providers[invoice.provider].label if invoice.provider in providers else "",
        "paid_date_th": thai_date(invoice.paid_at, with_time=True),
        "issued_date_th": thai_date(receipt.issued_at),
    }


def render_receipt_pdf(receipt: Receipt) -> Receipt:
    """Render, sign, fingerprint and store the receipt PDF once (later calls return it).

    The e-receipt carries its data (``receipt.json``) and a verify QR and is certified by
    the agency (:mod:`.ereceipts`). Rendering and signing (a time stamp and OCSP over
    HTTP) happen before the row is locked; a concurrent run that stored its file first
    wins and this run's file is never written.
    """
    receipt = Receipt.objects.select_related(*RECEIPT_RELATED).get(pk=receipt.pk)
    if receipt.pdf:
        return receipt
    context = {
        **receipt_context(receipt),
        "verify_url": ereceipts.verify_url(receipt),
        "check_code": ereceipts.receipt_code(receipt.number),
    }
    context["qr_data_uri"] = segno.make_qr(context["verify_url"], error="m").svg_data_uri(
        scale=4, border=4, dark="#000", light="#fff"
    )
    unsigned = render_pdf(
        "payments/receipt_pdf.html",
        context,
        pdf_variant="pdf/a-3b",
        attachments=[ereceipts.payload_attachment(receipt)],
    )
    content = ereceipts.sign(unsigned, receipt)
    stored_name = ""
    try:
        with transaction.atomic():
            current = Receipt.objects.select_for_update().get(pk=receipt.pk)
            if current.pdf:
                return current
            current.sha256 = hashlib.sha256(content).hexdigest()
            current.pdf.save(f"{current.number}.pdf", ContentFile(content), save=False)
            stored_name = str(current.pdf.name)
            current.save(update_fields=["pdf", "sha256"])
            audit.record(
                "receipt.rendered", current, actor_label="Biz Portal", sha256=current.sha256
            )
    except Exception:
        if stored_name:
            Receipt._meta.get_field("pdf").storage.delete(stored_name)  # type: ignore[attr-defined]
        raise
    return current


RECEIPT_RELATED = (
    "invoice__application__service",
    "invoice__application__agency",
    "invoice__application__applicant",
    "invoice__application__party",
)


@transaction.atomic
def open_receipt(receipt: Receipt, *, actor: Any) -> Receipt:
    """The receipt for download (rendering it now if the task has not yet), audited:
    it carries the payer's name."""
    receipt = render_receipt_pdf(receipt)
    audit.record("receipt.downloaded", receipt, actor=actor)
    return receipt
