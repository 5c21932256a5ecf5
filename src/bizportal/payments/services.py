"""Every change to invoices, payments and receipts happens here.

Raising an invoice runs inside the caller's transaction (the officer's approval).
A provider callback is authenticated by its plugin and then settled in one
transaction that marks the invoice paid, writes the exchange log, the audit record
and the receipt row, and moves the application on; the receipt PDF is rendered
after commit so the provider is not kept waiting.
"""

from __future__ import annotations

import datetime as dt
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.applications import services as applications
from bizportal.core import audit, authz, events
from bizportal.core.pdf import render_pdf
from bizportal.core.ratelimits import client_ip
from bizportal.core.sequences import next_number
from bizportal.core.thai import baht, baht_text, thai_date
from bizportal.identity.acting import require_aal
from bizportal.workflow.steps import Completion

from . import ereceipts, fees, thaiqr
from .events import INVOICE_CLOSED, INVOICE_PAID, INVOICE_REISSUED, PAYMENT_FLAGGED
from .models import (
    Invoice,
    PaymentEvent,
    PaymentIssue,
    PaymentTerms,
    Receipt,
    ServicePaymentOptions,
)
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


def invoice_days(service: Any) -> int:
    """How many calendar days an invoice of ``service`` stays payable."""
    terms = PaymentTerms.objects.filter(service=service).only("invoice_days").first()
    return terms.invoice_days if terms is not None else int(settings.PAYMENT_INVOICE_DAYS)


def expiry_for(service: Any, *, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the last payable day, Bangkok time: an invoice raised on the 1st with
    15 days can be paid until midnight at the end of the 16th."""
    today = timezone.localdate(now or timezone.now())
    after_last = today + dt.timedelta(days=invoice_days(service) + 1)
    return timezone.make_aware(dt.datetime.combine(after_last, dt.time.min))


@transaction.atomic
def raise_invoice(
    application: Any,
    amount: Decimal,
    *,
    actor: Any = None,
    actor_label: str = "",
    lines: Iterable[Any] = (),
    stage: str = "",
    replaces: Invoice | None = None,
) -> Invoice:
    """Invoice the fee of an approved application (called inside the approval).

    Ref1 is the application reference and Ref2 the invoice number, both reduced to
    the digits and capitals bill payment allows, so the bank's confirmation names
    exactly one invoice. ``lines`` (``item``, ``amount``: a fee quote's lines) say what
    the amount is for; each is rounded to satang like the amount, and together they
    must make the amount, or the invoice and its receipt would contradict themselves.
    Refuses, with a translated ValidationError, a non-positive amount, lines that do
    not add up, an application without a reference, or one that already has an unpaid
    invoice. It stays payable until :func:`expiry_for` (the service's payment terms);
    ``stage`` is the fee stage of the step that raised it, ``replaces`` the closed
    invoice it re-issues (:func:`reissue_invoice`).
    """
    value = baht(amount)
    if value <= 0:
        raise ValidationError(
            _("An invoice needs a fee above zero"),
            code="amount",
        )
    items = [(str(line.item), baht(line.amount)) for line in lines]
    total = sum((line_amount for _, line_amount in items), Decimal(0))
    if items and total != value:
        raise ValidationError(
            _("The fee lines add up to %(total)s THB, not %(amount)s THB")
            % {"total": f"{total:.2f}", "amount": f"{value:.2f}"},
            code="lines",
        )
    if not application.reference:
        raise ValidationError(_("The application has no reference number yet"), code="reference")
    if Invoice.objects.filter(application=application, status=Invoice.Status.PENDING).exists():
        raise ValidationError(
            _("This application already has an unpaid invoice"),
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
        stage=stage,
        expires_at=expiry_for(application.service),
        replaces=replaces,
    )
    audit.record(
        "invoice.raised",
        invoice,
        actor=actor,
        actor_label=actor_label,
        application=application.reference,
        number=number,
        amount=f"{value:.2f}",
        currency="THB",
        stage=stage,
        expires_at=invoice.expires_at.isoformat() if invoice.expires_at else "",
        replaces=replaces.number if replaces is not None else "",
    )
    return invoice


def invoice_for(application: Any) -> Invoice | None:
    """The application's current invoice: the unpaid one, else the latest paid one, else
    the latest expired or cancelled one nothing replaced (so pages can say so, and offer
    a new one when the application still waits for payment)."""
    invoices = Invoice.objects.filter(application=application)
    return (
        invoices.filter(status=Invoice.Status.PENDING).first()
        or invoices.filter(status=Invoice.Status.PAID).first()
        or invoices.filter(status__in=Invoice.CLOSED, replaced_by__isnull=True).first()
    )


# --- lifetime: expiry, cancellation, re-issue -----------------------------------------


def _close(invoice: Invoice, status: str, reason: str, *, actor: Any, actor_label: str) -> Invoice:
    """Mark a locked pending invoice expired or cancelled, audited and announced."""
    invoice.status = status
    invoice.closed_at = timezone.now()
    invoice.close_reason = reason[:500]
    invoice.save(update_fields=["status", "closed_at", "close_reason"])
    audit.record(
        f"invoice.{status}", invoice, actor=actor, actor_label=actor_label, reason=reason[:500]
    )
    events.publish(
        INVOICE_CLOSED,
        invoice,
        {
            "number": invoice.number,
            "status": status,
            "reason": reason[:500],
            "application_reference": invoice.application.reference or "",
        },
        actor=actor,
        actor_label=actor_label,
    )
    return invoice


#: Stored on the invoice as a message code (English msgid), shown through ``|translated``.
EXPIRED_REASON = gettext_noop(
    "Not paid by its due date; a new invoice can be asked for on the payment page"
)


def expire_overdue_invoices(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Mark each unpaid invoice past its ``expires_at`` expired (the sweeper's job, each
    minute); returns how many. Each one is locked and checked again in its own
    transaction, so a payment settling at that moment wins and a repeat does nothing."""
    moment = now or timezone.now()
    due = Invoice.objects.filter(status=Invoice.Status.PENDING, expires_at__lt=moment)
    count = 0
    for pk in list(due.order_by("expires_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("application")
                .filter(pk=pk, status=Invoice.Status.PENDING, expires_at__lt=moment)
                .first()
            )
            if invoice is None:
                continue
            _close(
                invoice,
                Invoice.Status.EXPIRED,
                EXPIRED_REASON,
                actor=None,
                actor_label="Biz Portal",
            )
            count += 1
    return count


@transaction.atomic
def cancel_open_invoices(application: Any, reason: str, *, actor_label: str) -> list[Invoice]:
    """Cancel the application's unpaid invoice (it was withdrawn or rejected); a paid
    one is left for the refunds flow. Safe to repeat."""
    pending = Invoice.objects.select_for_update(of=("self",)).select_related("application")
    cancelled = []
    for invoice in pending.filter(application=application, status=Invoice.Status.PENDING):
        cancelled.append(
            _close(invoice, Invoice.Status.CANCELLED, reason, actor=None, actor_label=actor_label)
        )
    return cancelled


@transaction.atomic
def cancel_invoice(invoice: Invoice, *, actor: Any, reason: str) -> Invoice:
    """A finance officer of the agency cancels an unpaid invoice (a fee to correct); a
    re-issue then replaces it. Refuses another agency's, a paid or closed one, and no
    reason."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("application")
        .get(pk=invoice.pk)
    )
    if not authz.allowed(actor, "payments.request_refund", invoice):
        raise ValidationError(
            _("Only finance officers of the invoice's agency may cancel it"),
            code="forbidden",
        )
    if invoice.status != Invoice.Status.PENDING:
        raise ValidationError(
            _("Only an unpaid invoice can be cancelled"),
            code="not_pending",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give the reason for cancelling"), code="reason")
    return _close(invoice, Invoice.Status.CANCELLED, reason, actor=actor, actor_label="")


def may_reissue(invoice: Invoice) -> bool:
    """Closed, not yet replaced, and the application still waits for this payment."""
    from bizportal.applications.models import Status

    return (
        invoice.status in Invoice.CLOSED
        and invoice.replacement is None
        and invoice.application.status == Status.AWAITING_PAYMENT
    )


@transaction.atomic
def reissue_invoice(invoice: Invoice, *, actor: Any) -> Invoice:
    """A new invoice replacing an expired or cancelled one (the applicant on the pay page,
    or an officer), linked old → new, priced again from the fee table version the
    application is pinned to with today's facts (a late-renewal surcharge may apply
    now). Refuses, with the reason, one that is still payable, paid, already replaced,
    or whose application no longer waits for payment."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("application__service")
        .get(pk=invoice.pk)
    )
    if not (
        authz.allowed(actor, "payments.pay", invoice)
        or authz.allowed(actor, "payments.request_refund", invoice)
    ):
        raise ValidationError(
            _("You may not re-issue this invoice"),
            code="forbidden",
        )
    if invoice.status not in Invoice.CLOSED:
        raise ValidationError(
            _("Only an expired or cancelled invoice can be re-issued"),
            code="not_closed",
        )
    if invoice.replacement is not None:
        raise ValidationError(
            _("Already re-issued as %(number)s") % {"number": invoice.replacement.number},
            code="already_reissued",
        )
    if not may_reissue(invoice):
        raise ValidationError(
            _("The application no longer waits for a payment"),
            code="not_waiting",
        )
    quote = fees.quote_for(invoice.application, invoice.stage)
    new = raise_invoice(
        invoice.application,
        quote.total,
        actor=actor,
        lines=quote.lines,
        stage=invoice.stage,
        replaces=invoice,
    )
    audit.record("invoice.reissued", invoice, actor=actor, replacement=new.number)
    events.publish(
        INVOICE_REISSUED,
        new,
        {
            "number": new.number,
            "replaces": invoice.number,
            "amount": f"{new.amount:.2f}",
            "application_reference": invoice.application.reference or "",
        },
        actor=actor,
    )
    return new


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
    a channel the service does not accept is refused with a translated ValidationError."""
    accepted = dict(accepted_channels(invoice.application.service))
    if not channel:
        channel = next(iter(accepted))
    if channel not in accepted:
        raise ValidationError(
            _("This service does not take payments through %(channel)s")
            % {"channel": repr(channel[:40])},
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
        return CallbackResult(404, "unknown_provider", _("Unknown payment provider"))
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
        if not (
            Invoice.objects.filter(provider=provider_id, provider_txn_id=data.txn_id).exists()
            or PaymentIssue.objects.filter(
                provider=provider_id, provider_txn_id=data.txn_id
            ).exists()
        ):
            _log_only(provider_id, body, data, Outcome.ERROR, "integrity error", 500)
            raise
        # A concurrent delivery of the same transaction won the race on the unique
        # provider_txn_id (of the invoice or of the flag): settled once, this one is a
        # duplicate.
        return _log_only(
            provider_id, body, data, Outcome.DUPLICATE, "already processed concurrently", 200
        )
    except Exception as error:
        log.exception("payment callback failed: %s %s", provider_id, data.txn_id)
        _log_only(provider_id, body, data, Outcome.ERROR, repr(error)[:2000], 500)
        raise


def _too_large(bound: int) -> BodyTooLarge:
    return BodyTooLarge(_("The body is larger than %(bound)s bytes") % {"bound": f"{bound:,}"})


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
    if invoice is None:
        issue = PaymentIssue.objects.filter(provider=provider_id, provider_txn_id=data.txn_id)
        invoice = next((flagged.invoice for flagged in issue.select_related("invoice")), None)
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
    """Settle an authenticated payment confirmation, idempotently, never losing money.

    The invoice is found by Ref2 and must match Ref1 and our biller ID. A second
    delivery of a transaction already settled or flagged changes nothing and says so
    (per provider transaction id; the invoice row lock serialises concurrent ones).
    Money that cannot pay the invoice is recorded and flagged for the agency's finance
    officers (:class:`PaymentIssue`), never dropped: a payment made after the invoice
    expired, or for one cancelled or replaced (``late``, answered 200: the notice is
    taken), a second payment of a paid invoice (``paid_twice``, 200), and an amount or
    currency that differs (``wrong_amount``, refused 422). A payment made before the
    invoice expired whose notice arrives after the sweeper marked it expired still
    pays it, unless a re-issue replaced it. On success the application's payment step
    is completed in this same transaction, so "paid" and "the process moved on" commit
    together.
    """

    def log_event(outcome: str, detail: str, invoice: Invoice | None) -> PaymentEvent:
        return PaymentEvent.objects.create(
            provider=provider_id,
            signature_valid=True,
            body=body,
            outcome=outcome,
            detail=detail,
            provider_txn_id=data.txn_id,
            invoice=invoice,
        )

    def settle(
        outcome: str, detail: str, status: int, invoice: Invoice | None = None
    ) -> CallbackResult:
        log_event(outcome, detail, invoice)
        if outcome != Outcome.ACCEPTED:
            _audit_refusal(provider_id, data, outcome, detail, invoice)
        return CallbackResult(status, outcome, detail, invoice)

    def flag(kind: str, detail: str, status: int, invoice: Invoice) -> CallbackResult:
        event = log_event(kind, detail, invoice)
        _audit_refusal(provider_id, data, kind, detail, invoice)
        if _flaggable(data.amount):
            _flag_issue(provider_id, data, kind, detail, invoice, event)
        return CallbackResult(status, kind, detail, invoice)

    already = Invoice.objects.filter(provider=provider_id, provider_txn_id=data.txn_id).first()
    if already is not None:
        return settle(Outcome.DUPLICATE, "transaction already processed", 200, already)
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(ref2=data.ref2)
        .first()
    )
    if invoice is None or invoice.ref1 != data.ref1:
        return settle(
            Outcome.UNKNOWN_INVOICE,
            _("No invoice with Ref1 %(ref1)s, Ref2 %(ref2)s")
            % {"ref1": data.ref1, "ref2": data.ref2},
            422,
        )
    if data.biller_id != settings.PAYMENT_BILLER_ID:
        return settle(
            Outcome.UNKNOWN_INVOICE,
            _("Biller ID %(biller)s is not ours") % {"biller": data.biller_id},
            422,
            invoice,
        )
    # Under the invoice's lock: a concurrent delivery of this transaction has committed.
    if invoice.provider == provider_id and invoice.provider_txn_id == data.txn_id:
        return settle(Outcome.DUPLICATE, "transaction already processed", 200, invoice)
    flagged = PaymentIssue.objects.filter(provider=provider_id, provider_txn_id=data.txn_id)
    if flagged.exists():
        return settle(
            Outcome.DUPLICATE, "transaction already recorded and flagged for refund", 200, invoice
        )
    if invoice.status == Invoice.Status.PAID:
        return flag(
            Outcome.PAID_TWICE,
            _("Invoice %(number)s was already paid by %(txn)s; this payment is flagged for refund")
            % {"number": invoice.number, "txn": invoice.provider_txn_id},
            200,
            invoice,
        )
    if not _payable(invoice, data.paid_at):
        return flag(Outcome.LATE, _late_detail(invoice, data.paid_at), 200, invoice)
    if data.currency != invoice.currency or data.amount != invoice.amount:
        return flag(
            Outcome.WRONG_AMOUNT,
            _("Paid %(paid)s, invoice is %(due)s")
            % {
                "paid": f"{data.amount} {data.currency}",
                "due": f"{invoice.amount:.2f} {invoice.currency}",
            },
            422,
            invoice,
        )
    revived = invoice.status == Invoice.Status.EXPIRED
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
        paid_in_time_notice_late=revived,
    )
    applications.complete_system_step(
        invoice.application,
        "payment",
        Completion(
            data={"fee": f"{invoice.amount:.2f}", "invoice": invoice.number},
            note=f"{invoice.number} · {receipt.number}",
            action="paid",
            label=gettext_noop("Fee paid"),
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


def _payable(invoice: Invoice, paid_at: dt.datetime) -> bool:
    """May this payment, made at ``paid_at``, pay ``invoice``? An unpaid invoice, if paid
    before it expired; an expired one too if so (the notice was delayed, not the
    payer), unless a re-issue replaced it or the application stopped waiting for it."""
    from bizportal.applications.models import Status

    in_time = invoice.expires_at is None or paid_at <= invoice.expires_at
    if invoice.status == Invoice.Status.PENDING:
        return in_time
    return (
        invoice.status == Invoice.Status.EXPIRED
        and in_time
        and invoice.replacement is None
        and invoice.application.status == Status.AWAITING_PAYMENT
    )


def _late_detail(invoice: Invoice, paid_at: dt.datetime) -> str:
    """Why a payment cannot pay ``invoice``; an unpaid one it came too late for is
    marked expired on the spot (the sweeper would have)."""
    replacement = invoice.replacement
    if replacement is not None:
        return _(
            "Invoice %(number)s was replaced by %(new)s; this payment is flagged for refund"
        ) % {"number": invoice.number, "new": replacement.number}
    if invoice.status == Invoice.Status.PENDING:
        _close(
            invoice,
            Invoice.Status.EXPIRED,
            EXPIRED_REASON,
            actor=None,
            actor_label="Biz Portal",
        )
    if invoice.status == Invoice.Status.CANCELLED:
        return _("Invoice %(number)s was cancelled; this payment is flagged for refund") % {
            "number": invoice.number
        }
    return _(
        "Paid at %(moment)s UTC, after invoice %(number)s expired; "
        "this payment is flagged for refund"
    ) % {"moment": f"{paid_at:%Y-%m-%d %H:%M}", "number": invoice.number}


def _flaggable(amount: Decimal) -> bool:
    """Money a refund can give back: above zero and within the amount column."""
    return amount.is_finite() and Decimal(0) < amount < Decimal("1e10")


def _audit_refusal(
    provider_id: str, data: CallbackData, outcome: str, detail: str, invoice: Invoice | None
) -> None:
    target = invoice if invoice is not None else ("payments.invoice", data.ref2 or "?")
    audit.record(
        f"payment.callback_{outcome}",
        target,
        actor_label=f"payment provider {provider_id}",
        txn=data.txn_id,
        detail=detail,
    )


def _flag_issue(
    provider_id: str,
    data: CallbackData,
    kind: str,
    detail: str,
    invoice: Invoice,
    event: PaymentEvent,
) -> PaymentIssue:
    """Record the money for the agency's finance officers (one flag per transaction:
    the database refuses a second, which :func:`receive_callback` reads as a repeat)."""
    issue = PaymentIssue.objects.create(
        kind=kind,
        invoice=invoice,
        agency_id=invoice.application.agency_id,
        provider=provider_id,
        provider_txn_id=data.txn_id,
        amount=baht(data.amount),
        currency=data.currency[:3],
        paid_at=data.paid_at,
        detail=detail,
        event=event,
    )
    audit.record(
        "payment.flagged",
        issue,
        actor_label=f"payment provider {provider_id}",
        kind=kind,
        invoice=invoice.number,
        txn=data.txn_id,
        amount=f"{issue.amount:.2f}",
        currency=issue.currency,
    )
    events.publish(
        PAYMENT_FLAGGED,
        issue,
        {
            "kind": kind,
            "invoice": invoice.number,
            "provider": provider_id,
            "amount": f"{issue.amount:.2f}",
            "currency": issue.currency,
        },
        actor_label=f"payment provider {provider_id}",
    )
    return issue


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
