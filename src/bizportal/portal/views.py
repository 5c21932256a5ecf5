"""Public and applicant pages: find a service, apply, follow the application."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from bizportal.applications import selectors, services
from bizportal.applications.downloads import serve_attachment
from bizportal.applications.models import FINAL_STATUSES, Application, Kind, Status
from bizportal.catalog.bundles import bundle, offered_kinds
from bizportal.catalog.models import Agency, Service
from bizportal.catalog.search import search
from bizportal.forms.fields import build_fields, coerce
from bizportal.licences.models import Licence
from bizportal.licences.services import LicenceError, check_change, verdict
from bizportal.payments.models import Receipt
from bizportal.payments.services import invoice_for


def _published(slug: str) -> Service:
    return get_object_or_404(Service.objects.select_related("agency"), slug=slug, is_published=True)


def _lang(request: HttpRequest) -> str:
    return "th" if (request.LANGUAGE_CODE or "th").startswith("th") else "en"


def home(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.prefetch_related(
        Prefetch("services", queryset=Service.objects.filter(is_published=True))
    )
    return render(request, "portal/home.html", {"agencies": agencies})


def service_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    services_qs = (
        search(query)
        if query
        else Service.objects.filter(is_published=True).select_related("agency")
    )
    return render(
        request, "portal/service_list.html", {"query": query, "services": list(services_qs)}
    )


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The citizen-manual page of a service: what a new licence needs, and where holders
    go for the other kinds (changes start from the licence in their account)."""
    service = _published(slug)
    kinds = offered_kinds(service)
    return render(
        request,
        "portal/service_detail.html",
        {
            "service": service,
            "documents": list(bundle(service, Kind.NEW, offered_only=False).documents),
            "changes": [kind for kind in kinds if kind != Kind.NEW],
        },
    )


@login_required
@require_POST
def start_application(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (or continue) a draft for a new licence."""
    service = _published(slug)
    if request.user.role != "applicant":  # type: ignore[union-attr]
        messages.error(request, "บัญชีเจ้าหน้าที่ยื่นคำขอไม่ได้ / Officer accounts cannot apply")
        return redirect("portal:service", slug=slug)
    draft = (
        selectors.my_applications(request.user)
        .filter(service=service, kind=Kind.NEW, status=Status.DRAFT)
        .first()
    )
    if draft is None:
        try:
            draft = services.start_application(service, request.user)
        except services.refusals() as error:
            messages.error(request, str(error))
            return redirect("portal:service", slug=slug)
    return redirect("portal:application-edit", public_id=draft.public_id)


@login_required
@require_POST
def start_change(request: HttpRequest, public_id: Any, kind: str) -> HttpResponse:
    """Amend, renew or cancel a licence in the account: continue the open draft for it,
    or start one; a refusal (revoked, outside the renewal window ...) says why."""
    licence = get_object_or_404(
        Licence.objects.select_related("service"), public_id=public_id, account_id=request.user.pk
    )
    if kind not in (Kind.AMEND, Kind.RENEW, Kind.CANCEL):
        raise Http404("no such kind of application")
    open_draft = Application.objects.filter(
        licence=licence, kind=kind, applicant_id=request.user.pk, status=Status.DRAFT
    ).first()
    if open_draft is not None:
        return redirect("portal:application-edit", public_id=open_draft.public_id)
    try:
        application = services.start_application(
            licence.service, request.user, kind=kind, licence=licence
        )
    except services.refusals() as error:
        messages.error(request, str(error))
        return redirect("portal:account")
    return redirect("portal:application-edit", public_id=application.public_id)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    applications = list(selectors.my_applications(request.user).select_related("licence")[:100])
    licences = list(
        Licence.objects.filter(account_id=request.user.pk)
        .select_related("agency", "service")
        .prefetch_related("service__application_types")
    )
    open_changes = {
        a.licence_id: a
        for a in applications
        if a.kind != Kind.NEW and a.status not in FINAL_STATUSES and a.licence_id
    }
    receipts = Receipt.objects.filter(
        invoice__application__applicant_id=request.user.pk
    ).select_related("invoice__application__service")
    return render(
        request,
        "portal/account.html",
        {
            "applications": applications,
            "licences": [_licence_row(licence, open_changes) for licence in licences],
            "receipts": list(receipts),
        },
    )


def _licence_row(licence: Licence, open_changes: dict[Any, Application]) -> dict[str, Any]:
    """A licence with the changes the holder may start now, and why others are not offered."""
    offered = offered_kinds(licence.service)
    changes: list[str] = []
    for kind in (Kind.AMEND, Kind.RENEW, Kind.CANCEL):
        if kind not in offered:
            continue
        if kind == Kind.RENEW:
            # Offered whenever the licence expires and still stands; outside the
            # window the click says from when (or until when) renewal is possible.
            if licence.valid_until is not None and licence.status == Licence.Status.VALID:
                changes.append(kind)
            continue
        try:
            check_change(licence, kind)  # type: ignore[arg-type]
        except LicenceError:
            continue
        changes.append(kind)
    return {
        "licence": licence,
        "status": verdict(licence),
        "changes": changes,
        "open_change": open_changes.get(licence.pk),
    }


@login_required
def application_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.for_applicant(request.user, public_id)
    licence = application.licence
    return render(
        request,
        "portal/application_detail.html",
        {
            "application": application,
            "answers": selectors.answer_rows(application, _lang(request)),
            "history": list(application.history.select_related("actor")),
            "attachments": list(application.attachments.all()),
            "invoice": invoice_for(application),
            "licence": licence,
            "issued": application.status == Status.ISSUED,
            "editable": services.is_editable(application),
            "waiting": services.ready_steps(application),
            "inspections": list(application.inspections.all()),
        },
    )


@login_required
def application_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.for_applicant(request.user, public_id)
    if not services.is_editable(application):
        return redirect("portal:application", public_id=public_id)
    service = application.service
    chosen = services.bundle_of(application)
    field_errors: dict[str, str] = {}
    document_errors: dict[str, str] = {}
    terms_error = ""
    status_code = 200
    if request.method == "POST":
        answers = coerce(chosen.form_schema, request.POST.dict())
        services.save_answers(application, answers, actor=request.user)
        document_errors = _attach_uploads(application, request)
        if request.POST.get("action") == "submit" and not document_errors:
            try:
                application = services.submit(
                    application,
                    actor=request.user,
                    accept_terms=request.POST.get("accept_terms") == "on",
                )
            except services.SubmissionErrors as errors:
                field_errors, document_errors, terms_error = (
                    errors.fields,
                    errors.documents,
                    errors.terms,
                )
            except services.refusals() as error:
                messages.error(request, str(error))
                return redirect("portal:application", public_id=public_id)
            else:
                messages.success(
                    request,
                    f"ยื่นคำขอเรียบร้อย เลขที่คำขอ {application.reference} / "
                    f"Application submitted, reference {application.reference}",
                )
                return redirect("portal:application", public_id=public_id)
        elif not document_errors:
            messages.success(request, "บันทึกฉบับร่างแล้ว / Draft saved")
            return redirect("portal:application-edit", public_id=public_id)
        status_code = 400
        application.refresh_from_db()
    attachments = {a.document_code: a for a in application.attachments.all()}
    documents = [
        {
            "document": document,
            "required": document.is_required_for(application.data)
            or (document.required and bool(document.required_when)),
            "attachment": attachments.get(document.code),
            "error": document_errors.get(document.code, ""),
        }
        for document in chosen.documents
    ]
    context = {
        "application": application,
        "service": service,
        "fields": build_fields(
            chosen.form_schema, chosen.ui_schema, application.data, field_errors
        ),
        "documents": documents,
        "terms_error": terms_error,
        "has_errors": bool(field_errors or document_errors or terms_error),
    }
    return render(request, "portal/application_form.html", context, status=status_code)


def _attach_uploads(application: Any, request: HttpRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key in request.FILES:
        if not key.startswith("doc_"):
            continue
        upload = request.FILES.get(key)
        if upload is None:
            continue
        code = key.removeprefix("doc_")
        try:
            services.attach_document(application, code, upload, actor=request.user)
        except ValidationError as error:
            errors[code] = " ".join(error.messages)
    return errors


@login_required
def attachment_download(request: HttpRequest, public_id: Any, attachment_id: Any) -> FileResponse:
    application = selectors.for_applicant(request.user, public_id)
    attachment = selectors.attachment_of(application, attachment_id)
    return serve_attachment(request, attachment)
