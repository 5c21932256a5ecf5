"""Refunds: every change to a :class:`~.models.Refund` happens here.

Maker–checker, like a licence revocation: a finance officer of the invoice's agency
asks (the maker), another one approves or declines (the checker); the service, the
permission rule and a database constraint all refuse the same person in both roles.
Once approved, the order goes to the provider that took the payment after commit, from
a background task, never while a transaction is open (the sandbox bank answers from the
same database in the demo). A confirmed refund gets its own gap-free receipt number
(``RF-2569-000001``) and a bilingual refund receipt PDF.

A refund gives back either the invoice's own payment or a payment flagged as a
:class:`~.models.PaymentIssue` (late, paid twice, wrong amount): then the amount, the
provider and the transaction to refund are the flagged payment's, never the invoice's.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit, authz
from bizportal.core.pdf import render_pdf
from bizportal.core.sequences import next_number
from bizportal.core.thai import baht, baht_text, thai_date

from .models import Invoice, PaymentIssue, Refund, RefundReason
from .providers import RefundError, refunding_provider

log = logging.getLogger(__name__)
State = Refund.State
RECEIPT_PREFIX = "RF"


class RefundRefused(Exception):
    """A refund request or decision we refuse (message translated); nothing changed."""


def refunded_so_far(invoice: Invoice, *, exclude: Refund | None = None) -> Decimal:
    """What is already refunded or on its way (every state but declined) of the
    invoice's own payment (refunds of flagged payments are counted on their flag)."""
    refunds = invoice.refunds.filter(state__in=Refund.HOLDING, issue__isnull=True)
    if exclude is not None:
        refunds = refunds.exclude(pk=exclude.pk)
    return refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def refundable(invoice: Invoice) -> Decimal:
    """What may still be refunded on the invoice: paid minus refunded or pending."""
    if invoice.status != Invoice.Status.PAID:
        return Decimal("0.00")
    return invoice.amount - refunded_so_far(invoice)


def issue_refundable(issue: PaymentIssue) -> Decimal:
    """What may still be refunded of a flagged payment."""
    held = issue.refunds.filter(state__in=Refund.HOLDING).aggregate(total=Sum("amount"))
    return issue.amount - (held["total"] or Decimal("0.00"))


def parse_amount(text: str) -> Decimal:
    """An amount typed by an officer: digits, a point, up to two decimals."""
    try:
        value = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation:
        raise RefundRefused(_("Not an amount: %(text)s") % {"text": repr(str(text)[:40])}) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise RefundRefused(_("At most two decimal places"))
    return value


@transaction.atomic
def request_refund(
    invoice: Invoice,
    *,
    amount: Decimal,
    reason_code: str,
    note: str,
    actor: Any,
    origin: str = "",
    issue: PaymentIssue | None = None,
) -> Refund:
    """A finance officer of the invoice's agency asks for a refund (the maker).

    Refuses an unpaid invoice, an amount of zero or below, or one above what was paid
    less what is already refunded or waiting; the invoice row is locked so two requests
    at once cannot together exceed it. With ``issue`` (a flagged payment of this
    invoice) the flagged payment is refunded instead, up to its amount, and the flag
    shows the refund is under way.
    """
    invoice = (
        Invoice.objects.select_for_update().select_related("application__agency").get(pk=invoice.pk)
    )
    if not authz.allowed(actor, "payments.request_refund", invoice):
        raise RefundRefused(_("Only finance officers of the invoice's agency may do this"))
    if reason_code not in RefundReason.values:
        raise RefundRefused(
            _("The reason is one of %(codes)s") % {"codes": ", ".join(RefundReason.values)}
        )
    note = (note or "").strip()
    if not note:
        raise RefundRefused(_("Please explain the refund"))
    if issue is not None:
        issue = PaymentIssue.objects.select_for_update().get(pk=issue.pk)
        _check_issue(issue, invoice)
    elif invoice.status != Invoice.Status.PAID:
        raise RefundRefused(_("Only a paid invoice can be refunded"))
    value = baht(amount)
    if value <= 0:
        raise RefundRefused(_("The amount must be above zero"))
    paid = issue.amount if issue is not None else invoice.amount
    available = issue_refundable(issue) if issue is not None else paid - refunded_so_far(invoice)
    if value > available:
        raise RefundRefused(
            _(
                "At most %(available)s THB can be refunded (paid %(paid)s THB "
                "less what is refunded or waiting)"
            )
            % {"available": f"{available:,.2f}", "paid": f"{paid:,.2f}"}
        )
    refund = Refund.objects.create(
        invoice=invoice,
        agency=invoice.application.agency,
        amount=value,
        reason_code=reason_code,
        note=note[:2000],
        origin=(origin or "").strip()[:200],
        requested_by=actor,
        provider=issue.provider if issue is not None else invoice.provider,
        issue=issue,
    )
    audit.record(
        "refund.requested",
        refund,
        actor=actor,
        invoice=invoice.number,
        amount=f"{value:.2f}",
        reason_code=reason_code,
        origin=refund.origin,
        flagged_txn=issue.provider_txn_id if issue is not None else "",
    )
    if issue is not None and issue.state == PaymentIssue.State.OPEN:
        issue.state = PaymentIssue.State.REFUNDING
        issue.save(update_fields=["state"])
        audit.record("payment_issue.refunding", issue, actor=actor, refund=str(refund.public_id))
    return refund


def _check_issue(issue: PaymentIssue, invoice: Invoice) -> None:
    if issue.invoice_id != invoice.pk:
        raise RefundRefused(_("The flagged payment is not of this invoice"))
    if issue.state == PaymentIssue.State.CLOSED:
        raise RefundRefused(_("This flagged payment is closed"))
    if issue.currency != invoice.currency:
        raise RefundRefused(
            _("Only %(currency)s can be refunded here (it was paid in %(paid_in)s)")
            % {"currency": invoice.currency, "paid_in": issue.currency}
        )


def paid_by(refund: Refund) -> Invoice:
    """The invoice as the provider sees the payment to refund: for a flagged payment, a
    copy (never saved) carrying that payment's provider, transaction and currency."""
    if refund.issue is None:
        return refund.invoice
    target = copy.copy(refund.invoice)
    target.provider = refund.issue.provider
    target.provider_txn_id = refund.issue.provider_txn_id
    target.currency = refund.issue.currency
    target.paid_at = refund.issue.paid_at
    return target


@transaction.atomic
def decide_refund(refund: Refund, *, approve: bool, actor: Any, note: str = "") -> Refund:
    """The checker: another finance officer of the agency approves (the order goes to
    the provider after commit) or declines (nothing moves)."""
    refund = Refund.objects.select_for_update().select_related("invoice").get(pk=refund.pk)
    if not authz.allowed(actor, "payments.decide_refund", refund):
        raise RefundRefused(_("Only the agency's finance officers may decide"))
    if refund.state != State.REQUESTED:
        raise RefundRefused(_("This request was already decided"))
    if refund.requested_by_id == getattr(actor, "pk", None):
        raise RefundRefused(
            _("The officer who asked cannot approve it: another finance officer must")
        )
    refund.state = State.APPROVED if approve else State.DECLINED
    refund.decided_by = actor
    refund.decided_at = timezone.now()
    refund.decision_note = (note or "").strip()[:2000]
    refund.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit.record(
        f"refund.{refund.state}",
        refund,
        actor=actor,
        invoice=refund.invoice.number,
        amount=f"{refund.amount:.2f}",
    )
    if approve:
        refund_id = refund.pk
        transaction.on_commit(lambda: _enqueue_send(refund_id))
    return refund


@transaction.atomic
def retry_refund(refund: Refund, *, actor: Any) -> Refund:
    """Send a failed refund again (same reference: the provider refunds once)."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if not authz.allowed(actor, "payments.decide_refund", refund):
        raise RefundRefused(_("Only the agency's finance officers may do this"))
    if refund.state != State.FAILED:
        raise RefundRefused(_("Only a failed refund can be resent"))
    refund.state = State.APPROVED
    refund.save(update_fields=["state"])
    audit.record("refund.retried", refund, actor=actor)
    refund_id = refund.pk
    transaction.on_commit(lambda: _enqueue_send(refund_id))
    return refund


def _enqueue_send(refund_id: int) -> None:
    from .tasks import send_refund

    send_refund.enqueue(refund_id)


def send_refund(refund_id: int) -> Refund:
    """Order the approved refund from its provider over the network and record the
    answer. Called by the task, outside any transaction; a refund in any state but
    approved is left alone, so a duplicate task does nothing."""
    refund = Refund.objects.select_related("invoice", "issue").get(pk=refund_id)
    if refund.state != State.APPROVED:
        return refund
    target = paid_by(refund)
    provider = refunding_provider(target.provider)
    status, reference, detail, when = "error", "", "", None
    if provider is None:
        detail = _("The channel %(channel)s cannot refund") % {"channel": repr(target.provider)}
    else:
        try:
            result = provider.refund(target, refund.amount, str(refund.public_id))
            status, reference, detail, when = (
                result.status,
                result.reference,
                result.detail,
                result.refunded_at,
            )
        except RefundError as error:
            detail = str(error)
    return _record_answer(refund.pk, status, reference, detail, when)


@transaction.atomic
def _record_answer(refund_id: int, status: str, reference: str, detail: str, when: Any) -> Refund:
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.state != State.APPROVED:
        return refund
    refund.attempts += 1
    refund.provider_reference = reference[:64]
    refund.provider_detail = detail[:2000]
    if status == "completed":
        _complete(refund, when)
    else:
        refund.state = State.SENT if status == "pending" else State.FAILED
        refund.save()
        audit.record(
            f"refund.{refund.state}",
            refund,
            actor_label=f"payment provider {refund.provider}",
            reference=reference,
            detail=detail[:500],
        )
    return refund


def _complete(refund: Refund, when: Any) -> None:
    refund.state = State.COMPLETED
    refund.completed_at = when or timezone.now()
    refund.number = next_number(RECEIPT_PREFIX, gapless=True)
    refund.save()
    audit.record(
        "refund.completed",
        refund,
        actor_label=f"payment provider {refund.provider}",
        reference=refund.provider_reference,
        number=refund.number,
        amount=f"{refund.amount:.2f}",
    )
    if refund.issue_id is not None:
        _close_refunded_issue(refund)
    refund_id = refund.pk
    transaction.on_commit(lambda: _render_after_commit(refund_id))


def _close_refunded_issue(refund: Refund) -> None:
    """A flagged payment refunded in full is closed: nothing is left to handle."""
    issue = PaymentIssue.objects.select_for_update().get(pk=int(refund.issue_id or 0))
    done = issue.refunds.filter(state=State.COMPLETED).aggregate(total=Sum("amount"))["total"]
    if issue.state != PaymentIssue.State.CLOSED and (done or 0) >= issue.amount:
        issue.state = PaymentIssue.State.CLOSED
        issue.closed_at = timezone.now()
        issue.close_note = _("Refunded in full (%(number)s)") % {"number": refund.number}
        issue.save(update_fields=["state", "closed_at", "close_note"])
        audit.record(
            "payment_issue.closed",
            issue,
            actor_label=f"payment provider {refund.provider}",
            refund=refund.number,
        )


@transaction.atomic
def close_issue(issue: PaymentIssue, *, actor: Any, note: str) -> PaymentIssue:
    """A finance officer of the agency closes a flag without (more) refund, saying why
    (the payer was refunded at the counter, the bank reversed it ...)."""
    issue = PaymentIssue.objects.select_for_update().select_related("invoice").get(pk=issue.pk)
    if not authz.allowed(actor, "payments.request_refund", issue.invoice):
        raise RefundRefused(_("Only finance officers of the invoice's agency may do this"))
    if issue.state == PaymentIssue.State.CLOSED:
        raise RefundRefused(_("This flagged payment is already closed"))
    note = (note or "").strip()
    if not note:
        raise RefundRefused(_("Please say why it is closed"))
    issue.state = PaymentIssue.State.CLOSED
    issue.closed_by = actor
    issue.closed_at = timezone.now()
    issue.close_note = note[:2000]
    issue.save(update_fields=["state", "closed_by", "closed_at", "close_note"])
    audit.record("payment_issue.closed", issue, actor=actor, note=note[:500])
    return issue


def _render_after_commit(refund_id: int) -> None:
    try:
        render_refund_pdf(Refund.objects.get(pk=refund_id))
    except Exception:  # the receipt is rendered on first download otherwise
        log.exception("refund receipt rendering failed for refund %s", refund_id)


@transaction.atomic
def confirm_pending(
    provider_id: str, reference: str, *, status: str, detail: str = "", when: Any = None
) -> Refund:
    """A provider that answered "pending" confirms later (its webhook or statement):
    the sent refund completes (at ``when``, default now), or fails."""
    refund = Refund.objects.select_for_update().get(
        provider=provider_id, provider_reference=reference, state=State.SENT
    )
    refund.provider_detail = detail[:2000]
    if status == "completed":
        _complete(refund, when)
    else:
        refund.state = State.FAILED
        refund.save()
        audit.record("refund.failed", refund, actor_label=f"payment provider {provider_id}")
    return refund


# --- the refund receipt -----------------------------------------------------------------


def refund_context(refund: Refund) -> dict[str, Any]:
    invoice = refund.invoice
    application = invoice.application
    party = application.party
    return {
        "refund": refund,
        "invoice": invoice,
        "application": application,
        "service": application.service,
        "agency": application.agency,
        "payee_name_th": party.name_th or str(party),
        "payee_name_en": party.name_en,
        "amount_text": baht_text(refund.amount),
        "reason": RefundReason(refund.reason_code).label,
        "completed_date_th": thai_date(refund.completed_at, with_time=True),
        "paid_date_th": thai_date(paid_by(refund).paid_at, with_time=True),
        "receipt_number": getattr(getattr(invoice, "receipt", None), "number", ""),
    }


@transaction.atomic
def render_refund_pdf(refund: Refund) -> Refund:
    """Render, fingerprint and store the refund receipt once (later calls return it)."""
    refund = (
        # Lock the refund row only: the party and the receipt are outer joins, which
        # PostgreSQL cannot lock (FOR UPDATE on the nullable side of an outer join).
        Refund.objects.select_for_update(of=("self",))
        .select_related(
            "invoice__application__service",
            "invoice__application__agency",
            "invoice__application__party",
            "invoice__receipt",
        )
        .get(pk=refund.pk)
    )
    if refund.pdf or refund.state != State.COMPLETED:
        return refund
    content = render_pdf("payments/refund_pdf.html", refund_context(refund))
    refund.sha256 = hashlib.sha256(content).hexdigest()
    refund.pdf.save(f"{refund.number}.pdf", ContentFile(content), save=False)
    stored_name = str(refund.pdf.name)
    try:
        refund.save(update_fields=["pdf", "sha256"])
        audit.record(
            "refund.receipt_rendered", refund, actor_label="Biz Portal", sha256=refund.sha256
        )
    except Exception:
        refund.pdf.storage.delete(stored_name)
        raise
    return refund


@transaction.atomic
def open_refund_receipt(refund: Refund, *, actor: Any) -> Refund:
    """The refund receipt for download, audited: it names the payee."""
    refund = render_refund_pdf(refund)
    audit.record("refund.receipt_downloaded", refund, actor=actor)
    return refund
