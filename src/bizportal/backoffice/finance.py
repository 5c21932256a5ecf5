"""The finance back office (issue 10): refunds with maker–checker, the bank statement's
reconciliation, and the finance and treasury reports.

A finance officer sees the refunds and invoices of their own agency (any other is 404);
the collection account's statements are reconciled by any finance officer (references
and amounts, no personal data); reports cover the officer's agency, or every agency for
an executive. Every change goes through ``payments.refunds`` / ``payments.reconciliation``,
which check the permission again on the locked row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from bizportal.core import audit
from bizportal.payments import billpay, reconciliation, refunds, reports, selectors
from bizportal.payments import services as payments
from bizportal.payments.models import (
    PaymentFileImport,
    PaymentIssue,
    Refund,
    RefundReason,
    StatementImport,
    StatementLine,
)
from bizportal.payments.providers import DailyFileProvider, enabled_providers, providers

from .views import staff_only

finance_required = staff_only("payments.finance")
reconcile_required = staff_only("payments.reconcile")
reports_required = staff_only("payments.reports")


# --- refunds ------------------------------------------------------------------------------


@finance_required
def refund_list(request: HttpRequest) -> HttpResponse:
    """The agency's refunds, newest first (invoice numbers and amounts, no payer names);
    ``?invoice=INV-…`` opens that invoice to ask for a refund."""
    number = request.GET.get("invoice", "").strip()
    if number:
        try:
            invoice = selectors.invoice_for_finance(request.user, number=number)
        except Http404:
            messages.error(
                request,
                _("No invoice %(number)s of your agency") % {"number": number[:20]},
            )
        else:
            return redirect("backoffice:finance-invoice", public_id=invoice.public_id)
    state = request.GET.get("state", "")
    code = 200
    try:
        page = selectors.refunds_page(
            request.user, state=state, cursor=request.GET.get("after", "")
        )
    except ValidationError:
        messages.error(request, selectors.BAD_CURSOR)
        page, code = selectors.refunds_page(request.user, state=state), 400
    flagged = (
        PaymentIssue.objects.filter(agency_id=int(getattr(request.user, "agency_id", 0) or 0))
        .exclude(state=PaymentIssue.State.CLOSED)
        .select_related("invoice")[:50]
    )
    return render(
        request,
        "backoffice/finance_refunds.html",
        {"page": page, "state": state, "states": Refund.State.choices, "flagged": flagged},
        status=code,
    )


class RefundRequestForm(forms.Form):
    amount = forms.CharField(max_length=20)
    reason_code = forms.ChoiceField(choices=RefundReason.choices)
    note = forms.CharField(max_length=2000)
    origin = forms.CharField(max_length=200, required=False)
    issue = forms.UUIDField(required=False, help_text="a flagged payment of this invoice")


class InvoiceActionForm(forms.Form):
    """What else a finance officer does on an invoice page: cancel an unpaid invoice,
    re-issue a closed one, close a flagged payment without a refund."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("cancel", "reissue", "close-issue")])
    note = forms.CharField(max_length=2000, required=False)
    issue = forms.UUIDField(required=False)


def _invoice_action(request: HttpRequest, invoice: Any) -> HttpResponse | None:
    """Run an :class:`InvoiceActionForm` POST; None when the POST is a refund request."""
    if "action" not in request.POST:
        return None
    form = InvoiceActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("backoffice:finance-invoice", public_id=invoice.public_id)
    data = form.cleaned_data
    try:
        if data["action"] == "cancel":
            payments.cancel_invoice(invoice, actor=request.user, reason=data["note"])
            messages.success(request, _("Invoice cancelled"))
        elif data["action"] == "reissue":
            new = payments.reissue_invoice(invoice, actor=request.user)
            messages.success(request, _("New invoice %(number)s") % {"number": new.number})
            return redirect("backoffice:finance-invoice", public_id=new.public_id)
        else:
            refunds.close_issue(
                _issue_of(invoice, data["issue"]), actor=request.user, note=data["note"]
            )
            messages.success(request, _("Flag closed"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except refunds.RefundRefused as error:
        messages.error(request, str(error))
    return redirect("backoffice:finance-invoice", public_id=invoice.public_id)


def _issue_of(invoice: Any, public_id: Any) -> PaymentIssue:
    issue = invoice.issues.filter(public_id=public_id).first() if public_id else None
    if issue is None:
        raise refunds.RefundRefused(_("No such flagged payment of this invoice"))
    return issue  # type: ignore[no-any-return]


@finance_required
@audit.audited_read("invoice.viewed", "payments.invoice")
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_refund(request: HttpRequest, public_id: Any) -> HttpResponse:
    """An invoice of the agency: what was paid and refunded; ask for a refund (POST)."""
    invoice = selectors.invoice_for_finance(request.user, public_id=public_id)
    status = 200
    done = _invoice_action(request, invoice) if request.method == "POST" else None
    if done is not None:
        return done
    if request.method == "POST":
        form = RefundRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = _issue_of(invoice, data["issue"]) if data.get("issue") else None
                refund = refunds.request_refund(
                    invoice,
                    amount=refunds.parse_amount(data["amount"]),
                    reason_code=data["reason_code"],
                    note=data["note"],
                    origin=data.get("origin", ""),
                    actor=request.user,
                    issue=issue,
                )
            except refunds.RefundRefused as error:
                messages.error(request, str(error))
                status = 400
            else:
                messages.success(
                    request,
                    _("Refund requested: another finance officer approves it"),
                )
                return redirect("backoffice:finance-refund", public_id=refund.public_id)
        else:
            messages.error(request, _form_errors(form))
            status = 400
    audit.saw(request, [invoice])
    return render(
        request,
        "backoffice/finance_invoice.html",
        {
            "invoice": invoice,
            "refunds": invoice.refunds.select_related("requested_by", "decided_by"),
            "refundable": refunds.refundable(invoice),
            "reasons": RefundReason.choices,
            "payer": invoice.application.party,
            "issues": [(issue, refunds.issue_refundable(issue)) for issue in invoice.issues.all()],
            "may_reissue": payments.may_reissue(invoice),
        },
        status=status,
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("approve", "decline", "retry")])
    note = forms.CharField(max_length=2000, required=False)


@finance_required
@audit.audited_read("refund.viewed", "payments.refund")
@require_http_methods(["GET", "HEAD", "POST"])
def refund_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One refund; another finance officer of the agency approves or declines (POST)."""
    refund = selectors.refund_of(request.user, public_id)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return redirect("backoffice:finance-refund", public_id=public_id)
        action, note = form.cleaned_data["action"], form.cleaned_data.get("note", "")
        try:
            if action == "retry":
                refunds.retry_refund(refund, actor=request.user)
                messages.success(request, _("Refund sent again"))
            else:
                refunds.decide_refund(
                    refund, approve=action == "approve", actor=request.user, note=note
                )
                messages.success(
                    request,
                    _("Approved: the refund is being sent to the provider")
                    if action == "approve"
                    else _("Refund declined"),
                )
        except refunds.RefundRefused as error:
            messages.error(request, str(error))
        return redirect("backoffice:finance-refund", public_id=public_id)
    audit.saw(request, [refund])
    return render(
        request,
        "backoffice/finance_refund.html",
        {
            "refund": refund,
            "invoice": refund.invoice,
            "payer": refund.invoice.application.party,
            "may_check": refund.state == Refund.State.REQUESTED
            and refund.requested_by_id != request.user.pk,
        },
    )


@finance_required
def refund_receipt(request: HttpRequest, public_id: Any) -> FileResponse:
    """The refund receipt PDF (audited by the service: it names the payee)."""
    refund = selectors.refund_of(request.user, public_id)
    if refund.state != Refund.State.COMPLETED:
        raise Http404("not refunded yet")
    refund = refunds.open_refund_receipt(refund, actor=request.user)
    return FileResponse(
        refund.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{refund.number}.pdf",
    )


# --- reconciliation -------------------------------------------------------------------------


def _check_statement_upload(upload: Any) -> bytes:
    """Size and kind of a statement file, before parsing: not empty, at most
    ``PAYMENT_STATEMENT_MAX_BYTES``, named .xml or .csv (the parser then checks the
    content itself and refuses XML named .csv's opposite)."""
    limit = settings.PAYMENT_STATEMENT_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise reconciliation.StatementError(_("The file is empty"))
    if size > limit:
        raise reconciliation.StatementError(
            _("The file is larger than %(mb)s MB") % {"mb": limit // 2**20}
        )
    name = (upload.name or "").lower()
    if not name.endswith((".xml", ".csv")):
        raise reconciliation.StatementError(
            _("Only camt.053 (.xml) or CSV (.csv) statement files are accepted")
        )
    content = bytes(upload.read(limit + 1))
    if b"\x00" in content:
        raise reconciliation.StatementError(_("The file is not text (XML or CSV)"))
    return content


@reconcile_required
@require_http_methods(["GET", "HEAD", "POST"])
def payment_files(request: HttpRequest) -> HttpResponse:
    """The counter channel's daily bill-payment files: upload one (POST) to settle its
    payments; the imports and every row the file could not settle are listed."""
    counter_channels = [
        name for name, plugin in enabled_providers() if isinstance(plugin, DailyFileProvider)
    ]
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        provider = request.POST.get("provider", "")
        try:
            if upload is None or not upload.size:
                raise billpay.PaymentFileError(_("Please choose a file"))
            if provider not in counter_channels:
                raise billpay.PaymentFileError(
                    _("The channel %(channel)r does not report by daily file")
                    % {"channel": provider[:40]}
                )
            if upload.size > settings.PAYMENT_STATEMENT_MAX_BYTES:
                raise billpay.PaymentFileError(_("The file is larger than allowed"))
            imported = billpay.import_file(
                bytes(upload.read()),
                filename=upload.name or "billpay.txt",
                provider=provider,
                actor=request.user,
            )
        except billpay.PaymentFileError as error:
            messages.error(request, str(error))
            status = 400
        else:
            messages.success(
                request,
                ngettext(
                    "Imported %(rows)d payment: ", "Imported %(rows)d payments: ", imported.rows
                )
                % {"rows": imported.rows}
                + ", ".join(f"{k} {v}" for k, v in sorted(imported.counts.items())),
            )
            return redirect("backoffice:finance-payment-files")
    imports = list(PaymentFileImport.objects.all()[:30])
    return render(
        request,
        "backoffice/finance_payment_files.html",
        {
            "imports": [(item, billpay.refused_rows(item)) for item in imports],
            "channels": counter_channels,
            "max_mb": settings.PAYMENT_STATEMENT_MAX_BYTES // 2**20,
        },
        status=status,
    )


@reconcile_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_list(request: HttpRequest) -> HttpResponse:
    """Imported statements and the daily status per channel; upload a file (POST)."""
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        provider = request.POST.get("provider", "")
        try:
            if upload is None:
                raise reconciliation.StatementError(_("Please choose a file"))
            if provider not in providers:
                raise reconciliation.StatementError(
                    _("Unknown channel %(channel)r") % {"channel": provider[:40]}
                )
            statement = reconciliation.import_statement(
                _check_statement_upload(upload),
                filename=upload.name or "statement",
                provider=provider,
                actor=request.user,
            )
        except reconciliation.StatementError as error:
            messages.error(request, str(error))
            status = 400
        else:
            messages.success(request, _("Imported"))
            return redirect("backoffice:finance-statement", public_id=statement.public_id)
    today = timezone.localdate()
    days = [today - dt.timedelta(days=i) for i in range(14)]
    return render(
        request,
        "backoffice/finance_statements.html",
        {
            "statements": StatementImport.objects.all()[:50],
            "daily": reconciliation.daily_status(days),
            "providers": [identifier for identifier, _ in providers],
            "default_provider": settings.PAYMENT_PROVIDER,
            "max_mb": settings.PAYMENT_STATEMENT_MAX_BYTES // 2**20,
        },
        status=status,
    )


@reconcile_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One statement's lines and our missing payments; resolve a line (POST)."""
    statement = StatementImport.objects.filter(public_id=public_id).first()
    if statement is None:
        raise Http404("no such statement")
    if request.method == "POST":
        line = StatementLine.objects.filter(
            statement=statement, line_no=_int(request.POST.get("line", ""))
        ).first()
        try:
            if line is None:
                raise reconciliation.StatementError(_("No such line"))
            reconciliation.resolve_line(line, note=request.POST.get("note", ""), actor=request.user)
            messages.success(request, _("Resolved"))
        except reconciliation.StatementError as error:
            messages.error(request, str(error))
        return redirect("backoffice:finance-statement", public_id=public_id)
    lines = list(
        statement.lines.select_related("invoice", "refund", "resolved_by").order_by("line_no")
    )
    return render(
        request,
        "backoffice/finance_statement.html",
        {
            "statement": statement,
            "lines": lines,
            "missing": list(reconciliation.missing_payments(statement)[:500]),
            "counts": {
                s: sum(1 for line in lines if line.status == s) for s in StatementLine.Status.values
            },
        },
    )


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 10 else 0


# --- reports ------------------------------------------------------------------------------


def _report(request: HttpRequest) -> tuple[reports.FinanceReport, str]:
    start, end, error = reports.period(request.GET.get("start", ""), request.GET.get("end", ""))
    _, agency = reports.agency_filter(request.user)
    return reports.build(start, end, agency=agency), error


@reports_required
def report_page(request: HttpRequest) -> HttpResponse:
    """Collections, remittance, refunds and outstanding invoices, with a chart (aggregates;
    refund rows carry numbers and amounts only)."""
    report, error = _report(request)
    if error:
        messages.error(request, error)
    query = f"?start={report.start.isoformat()}&end={report.end.isoformat()}"
    return render(
        request,
        "backoffice/finance_report.html",
        {
            "report": report,
            "chart": mark_safe(reports.collections_svg(report)),  # noqa: S308 - built and escaped by collections_svg
            "xlsx_url": reverse("backoffice:finance-report-xlsx") + query,
            "pdf_url": reverse("backoffice:finance-report-pdf") + query,
        },
        status=400 if error else 200,
    )


def _download(report: reports.FinanceReport, content: bytes, kind: str, mime: str) -> HttpResponse:
    response = HttpResponse(content, content_type=mime)
    name = f"finance-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@reports_required
def report_xlsx(request: HttpRequest) -> HttpResponse:
    report, error = _report(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    return _download(
        report,
        reports.to_xlsx(report),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@reports_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    report, error = _report(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    return _download(report, reports.to_pdf(report), "pdf", "application/pdf")


def _form_errors(form: forms.Form) -> str:
    return _("The form is not valid: ") + "; ".join(
        f"{name}: {' '.join(str(m) for m in errors)}" for name, errors in form.errors.items()
    )
