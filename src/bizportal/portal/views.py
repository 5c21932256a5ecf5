"""Public and applicant pages: find a service, apply, follow the application."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizportal.applications import evidence, selectors, services
from bizportal.applications.downloads import serve_attachment
from bizportal.applications.models import FINAL_STATUSES, Application, Kind, Status
from bizportal.catalog import selectors as catalog
from bizportal.catalog import views as catalog_views
from bizportal.catalog.bundles import bundle, offered_kinds
from bizportal.catalog.models import Category, Service, ServiceSource
from bizportal.catalog.search import first, ranked
from bizportal.contact import selectors as contact
from bizportal.core import audit, authz, ratelimits
from bizportal.core.db import reporting_db
from bizportal.forms.fields import build_fields, coerce
from bizportal.identity.acting import Acting, StepUpRequired, require_aal, session_aal
from bizportal.identity.acting import options as acting_options
from bizportal.identity.models import MandateAction
from bizportal.identity.services import mandates_offered_to
from bizportal.licences.models import Licence, LicenceVersion
from bizportal.licences.services import LicenceError, check_change, verdict
from bizportal.payments.models import Receipt
from bizportal.payments.selectors import receipts_of_party
from bizportal.payments.services import invoice_for
from bizportal.service_levels import selectors as service_levels

from . import journey


def _published(slug: str) -> Service:
    return get_object_or_404(Service.objects.select_related("agency"), slug=slug, is_published=True)


def _lang(request: HttpRequest) -> str:
    return "th" if (request.LANGUAGE_CODE or "th").startswith("th") else "en"


def home(request: HttpRequest) -> HttpResponse:
    """Agencies with their first few services and a count: a national catalogue holds tens
    of thousands of services, and listing them all here took minutes at 90,000."""
    agencies = catalog.agency_showcase(reporting_db())
    groupings = list(
        Category.objects.using(reporting_db())
        .filter(kind__in=[Category.Kind.LIFECYCLE, Category.Kind.TARGET_GROUP])
        .only("kind", "code", "name_th", "name_en")
    )
    return render(
        request,
        "portal/home.html",
        {
            "agencies": agencies,
            "lifecycle": [c for c in groupings if c.kind == Category.Kind.LIFECYCLE],
            "target_groups": [c for c in groupings if c.kind == Category.Kind.TARGET_GROUP],
        },
    )


#: Services one search page shows. A national catalogue holds tens of thousands of
#: services; rendering every match of a common word took seconds, so the page shows the
#: first ones in its order and asks for more words (the API pages through all of them).
SERVICE_PAGE_LIMIT = 50


def service_list(request: HttpRequest) -> HttpResponse:
    """Search with facets (agency, lifecycle stage, target group, industry) that combine
    with the words and with each other. A facet value the catalogue does not know (a
    stale bookmark) is ignored and the page says so, rather than showing nothing."""
    db = reporting_db()
    query = request.GET.get("q", "").strip()[:200]
    # The public catalogue tolerates replication lag: read it from the reporting database.
    corrected, partial = "", False
    facets = catalog.resolve_facets(request.GET, using=db)
    services_qs = catalog.apply_facets(catalog.published(db), facets, using=db)
    # A card reads a dozen columns; the forms and manuals stay in the database.
    if query:
        # Best match first; a misspelt word is corrected and the page says so.
        found = ranked(query, services_qs)
        corrected, partial = found.corrected, found.partial
        services = first(found, SERVICE_PAGE_LIMIT + 1, catalog.CARD_FIELDS)
    else:
        services_qs = services_qs.select_related("agency").only(*catalog.CARD_FIELDS)
        services = list(services_qs[: SERVICE_PAGE_LIMIT + 1])
    return render(
        request,
        "portal/service_list.html",
        {
            "query": query,
            "corrected": corrected,
            "partial": partial,
            "agency": facets.agency,
            "facets": facets,
            "facet_choices": _facet_choices(request, facets, db),
            "services": services[:SERVICE_PAGE_LIMIT],
            "more": len(services) > SERVICE_PAGE_LIMIT,
        },
    )


def _facet_choices(request: HttpRequest, facets: catalog.Facets, db: str) -> dict[str, Any]:
    """The ``<option>`` elements of each filter, in the page's language, built here with
    ``format_html_join`` (which escapes every value and label): rendering some 140
    options through template loops cost more than the search itself (8 ms a page)."""
    options = catalog.facet_options(db)
    lang = _lang(request)

    def label(option: catalog.Option) -> str:
        return option.name_en if lang == "en" and option.name_en else option.name_th

    def html(rows: list[tuple[str, str]], chosen: str) -> str:
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((value, SELECTED if value == chosen else "", text) for value, text in rows),
        )

    def chosen(name: str) -> str:
        category = facets.chosen.get(name)
        return category.code if category is not None else ""

    industry = chosen("industry")
    from django.utils.translation import gettext  # local: the view module's imports are shared

    whole = gettext("whole section")
    return {
        "agencies": html(
            [(o.value, label(o)) for o in options.agencies],
            facets.agency.code if facets.agency else "",
        ),
        "lifecycle": html([(o.value, label(o)) for o in options.lifecycle], chosen("lifecycle")),
        "target_groups": html(
            [(o.value, label(o)) for o in options.target_groups], chosen("target_group")
        ),
        "industries": [
            (
                f"{section.value} {label(section)}",
                html(
                    [(section.value, f"{section.value} {whole}")]
                    + [(d.value, f"{d.value} {label(d)}") for d in divisions],
                    industry,
                ),
            )
            for section, divisions in options.industries
        ],
    }


SELECTED = mark_safe(" selected")  # a constant attribute: no input in it


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The citizen-manual page of a service: what a new licence needs, where to apply (here,
    or the agency's own e-service or office), and where holders go for the other kinds
    (changes start from the licence in their account). Its URL is also the service's URI
    in the published catalogue: asked for Turtle or JSON-LD, it answers the service's
    CPSV-AP description instead."""
    service = _published(slug)
    if media_type := catalog_views.preferred_rdf_type(request):
        response = catalog_views.service_document(request, service, media_type)
    else:
        kinds = offered_kinds(service)
        categories = list(service.categories.select_related("parent").order_by("kind", "order"))
        response = render(
            request,
            "portal/service_detail.html",
            {
                "service": service,
                "documents": list(bundle(service, Kind.NEW, offered_only=False).documents),
                "changes": [kind for kind in kinds if kind != Kind.NEW],
                "takes_new": Kind.NEW in kinds,
                "harvest_source": ServiceSource.objects.filter(service=service).first(),
                **_eligibility(request, service),
                "categories": {
                    kind: [c for c in categories if c.kind == kind] for kind in Category.Kind.values
                },
            },
        )
    patch_vary_headers(response, ["Accept"])
    return response


def _eligibility(request: HttpRequest, service: Service) -> dict[str, Any]:
    """Whether the signed-in person may apply here, and why not: shown in place of
    "Apply" so that nobody learns it only after clicking (issue 15)."""
    acting = _acting(request)
    if not request.user.is_authenticated or acting is None:
        return {"refusal": "", "stronger_sign_in": False}
    return {
        "refusal": services.why_cannot_start(service, request.user, acting.party),
        "stronger_sign_in": services.needs_stronger_sign_in(service, request.user),
    }


BROWSE_PAGE_SIZE = 50


def browse(request: HttpRequest) -> HttpResponse:
    """Every grouping with how many published services each holds: target groups, the
    business lifecycle, and TSIC industry sections (their divisions are one click on)."""
    db = reporting_db()
    counts = catalog.category_counts(db)
    rows = list(
        Category.objects.using(db)
        .filter(parent__isnull=True)
        .only("kind", "code", "name_th", "name_en", "description_th", "description_en")
    )
    for category in rows:
        category.count = counts.get(category.pk, 0)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/browse.html",
        {
            "target_groups": [c for c in rows if c.kind == Category.Kind.TARGET_GROUP],
            "lifecycle": [c for c in rows if c.kind == Category.Kind.LIFECYCLE],
            "industries": [c for c in rows if c.kind == Category.Kind.INDUSTRY],
            "all_industries_count": catalog.all_industries_count(db),
        },
    )


def browse_category(request: HttpRequest, kind: str, code: str) -> HttpResponse:
    """One category's published services, a page at a time (keyset on the catalogue
    order); a TSIC section also lists its divisions and includes their services."""
    db = reporting_db()
    if kind not in Category.Kind.values or not catalog.CODE.fullmatch(code):
        raise Http404("no such grouping")
    category = get_object_or_404(
        Category.objects.using(db).select_related("parent"), kind=kind, code=code
    )
    status = 200
    try:
        page = catalog.category_services(
            category, cursor=request.GET.get("after", ""), size=BROWSE_PAGE_SIZE, using=db
        )
    except catalog.BadCursor:
        # A cursor we did not make: say so and show the first page.
        messages.error(request, catalog.BAD_CURSOR)
        page = catalog.category_services(category, size=BROWSE_PAGE_SIZE, using=db)
        status = 400
    divisions: list[Category] = []
    if category.kind == Category.Kind.INDUSTRY and category.parent_id is None:
        counts = catalog.category_counts(db)
        divisions = list(Category.objects.using(db).filter(parent=category))
        for division in divisions:
            division.count = counts.get(division.pk, 0)  # type: ignore[attr-defined]
    facet = {v: k for k, v in catalog.FACET_KINDS.items()}[category.kind]
    return render(
        request,
        "portal/browse_category.html",
        {
            "category": category,
            "page": page,
            "divisions": divisions,
            "search_url": f"{reverse('portal:services')}?{urlencode({facet: category.code})}",
        },
        status=status,
    )


def _step_up(request: HttpRequest, needed: int, next_url: str) -> HttpResponse:
    """Off to Digital ID for a second factor, then back to where the person was."""
    query = urlencode({"aal": str(needed), "next": next_url})
    return redirect(f"{reverse('identity:step-up')}?{query}")


def _acting(request: HttpRequest) -> Acting | None:
    return getattr(request, "acting", None)


@login_required
@require_POST
def start_application(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (or continue) a draft for a new licence, for the party the person acts for."""
    service = _published(slug)
    acting = _acting(request)
    if acting is None:
        messages.error(
            request,
            _("Staff accounts cannot apply here (counter officers file at the counter pages)"),
        )
        return redirect("portal:service", slug=slug)
    draft = (
        selectors.my_applications(request.user)
        .filter(service=service, kind=Kind.NEW, status=Status.DRAFT)
        .first()
    )
    if draft is None or not authz.allowed(request.user, "applications.prepare", draft):
        ratelimits.limit(request, "draft", key="user")
        try:
            draft = services.start_application(service, request.user, party=acting.party)
        except services.refusals() as error:
            messages.error(request, str(error))
            return redirect("portal:service", slug=slug)
    return redirect("portal:application-edit", public_id=draft.public_id)


@login_required
@require_POST
def start_change(request: HttpRequest, public_id: Any, kind: str) -> HttpResponse:
    """Amend, renew or cancel a licence the party holds: continue the open draft for it,
    or start one; a refusal (revoked, outside the renewal window ...) says why."""
    acting = _acting(request)
    licence = get_object_or_404(
        selectors.licences_of(acting).select_related("service"), public_id=public_id
    )
    authz.require(request.user, "licences.change", licence)
    if kind not in (Kind.AMEND, Kind.RENEW, Kind.CANCEL):
        raise Http404("no such kind of application")
    open_draft = (
        selectors.my_applications(request.user)
        .filter(licence=licence, kind=kind, status=Status.DRAFT)
        .first()
    )
    if open_draft is not None:
        return redirect("portal:application-edit", public_id=open_draft.public_id)
    assert acting is not None
    ratelimits.limit(request, "draft", key="user")
    try:
        application = services.start_application(
            licence.service, request.user, kind=kind, licence=licence, party=acting.party
        )
    except services.refusals() as error:
        messages.error(request, str(error))
        return redirect("portal:account")
    return redirect("portal:application-edit", public_id=application.public_id)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The account of the party the person acts for: its applications, licences and
    receipts (a company's are shared by everyone acting for it)."""
    acting = _acting(request)
    if acting is None:
        return redirect("backoffice:home")
    applications = list(
        selectors.my_applications(request.user)
        .select_related("licence")
        .prefetch_related("signatures")[:100]
    )
    licences = list(
        selectors.licences_of(acting)
        .select_related("agency", "service")
        .prefetch_related("service__application_types")
        .annotate(being_issued=Exists(_current_version_unsigned))
        # Versions issued before verifiable credentials have none to download.
        .annotate(
            has_credential=Exists(
                LicenceVersion.objects.filter(
                    licence=OuterRef("pk"), number=OuterRef("version")
                ).exclude(credential="")
            )
        )
    )
    open_changes = {
        a.licence_id: a
        for a in applications
        if a.kind != Kind.NEW and a.status not in FINAL_STATUSES and a.licence_id
    }
    return render(
        request,
        "portal/account.html",
        {
            "acting": acting,
            "applications": applications,
            "to_sign": [a for a in applications if _may_cosign(request.user, a)],
            "licences": [_licence_row(licence, open_changes) for licence in licences],
            "receipts": _receipts(acting),
            "choices": len(acting_options(acting.user)),
            "offers": mandates_offered_to(acting.user).count(),
            "aal": session_aal(request.user),
        },
    )


def _receipts(acting: Acting) -> list[Receipt]:
    if not acting.may_any(MandateAction.VIEW, MandateAction.PAY):
        return []
    receipts = receipts_of_party(acting.party)
    services_ = acting.service_ids()
    if services_ is not None:
        receipts = receipts.filter(invoice__application__service_id__in=services_)
    return list(receipts)


def _may_cosign(user: Any, application: Application) -> bool:
    """A joint-signing company's submission waits for a second signer: this person?"""
    return (
        application.status == Status.AWAITING_SIGNATURE
        and authz.allowed(user, "applications.submit", application)
        and not any(s.signer_id == user.pk and not s.lapsed for s in application.signatures.all())
    )


#: The current version of the outer licence has no signed PDF yet.
_current_version_unsigned = LicenceVersion.objects.filter(
    licence=OuterRef("pk"), number=OuterRef("version"), signed_at__isnull=True
)

#: A licence in one of these states may be renewed (an expired one within its late period).
RENEWABLE = (Licence.Status.VALID, Licence.Status.EXPIRED)


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
            if licence.valid_until is not None and licence.status in RENEWABLE:
                changes.append(kind)
            continue
        try:
            check_change(licence, kind)  # type: ignore[arg-type]
        except LicenceError:
            continue
        changes.append(kind)
    return {
        "licence": licence,
        "being_issued": getattr(licence, "being_issued", False),
        "status": verdict(licence),
        "changes": changes,
        "open_change": open_changes.get(licence.pk),
    }


@login_required
@audit.audited_read("application.viewed", "applications.application")
def application_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.for_applicant(request.user, public_id)
    try:
        require_aal(request.user, application.service.aal_needed("view"))
    except StepUpRequired as needed:
        return _step_up(request, needed.needed, request.get_full_path())
    licence = application.licence
    return render(
        request,
        "portal/application_detail.html",
        {
            "application": application,
            "answers": selectors.answer_rows(application, _lang(request)),
            "history": list(application.history.select_related("actor")),
            "attachments": list(application.attachments.all()),
            "evidence": list(application.evidence.all()),
            "agency_status": application.forwardings.exclude(agency_status="")
            .values_list("agency_status", flat=True)
            .first(),
            "invoice": invoice_for(application),
            "standing": service_levels.standing_of(application),
            "licence": licence,
            "licence_being_issued": licence is not None
            and licence.versions.filter(number=licence.version, signed_at__isnull=True).exists(),
            "issued": application.status == Status.ISSUED,
            "editable": services.is_editable(application)
            and authz.allowed(request.user, "applications.prepare", application),
            "waiting": services.ready_steps(application),
            "inspections": list(application.inspections.all()),
            "signatures": list(application.signatures.select_related("signer")),
            "may_sign": _may_cosign(request.user, application),
            "discardable": application.status == Status.DRAFT
            and authz.allowed(request.user, "applications.prepare", application),
            **_thread(request, application),
        },
    )


def _thread(request: HttpRequest, application: Application) -> dict[str, Any]:
    """The application's questions and answers with the agency, once submitted (a
    counter officer who filed it sees them, the applicant's people write)."""
    if application.status in (Status.DRAFT, Status.AWAITING_SIGNATURE):
        return {}
    writes = not getattr(request.user, "is_officer", False) and getattr(
        request.user, "is_entrepreneur", False
    )
    return {
        "application_thread": contact.application_thread(application, officer=False),
        "thread_post_url": reverse("contact:application-message", args=[application.public_id])
        if writes
        else "",
    }


@login_required
@require_POST
def application_sign(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The second director confirms a joint-signing company's submission."""
    application = selectors.for_applicant(request.user, public_id)
    authz.require(request.user, "applications.submit", application)
    if request.POST.get("confirm") != "on":
        messages.error(
            request,
            _("Please confirm that you checked the application and accept the terms"),
        )
        return redirect("portal:application", public_id=public_id)
    try:
        application = services.submit(application, actor=request.user, accept_terms=True)
    except StepUpRequired as needed:
        return _step_up(request, needed.needed, reverse("portal:application", args=[public_id]))
    except services.SubmissionErrors:
        messages.error(
            request,
            _("The application is incomplete"),
        )
    except services.refusals() as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Signed: application %(reference)s has gone to the agency")
            % {"reference": application.reference},
        )
    return redirect("portal:application", public_id=public_id)


@login_required
@require_POST
def application_discard(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant deletes a draft they no longer want, after confirming."""
    application = selectors.for_applicant(request.user, public_id)
    authz.require(request.user, "applications.prepare", application)
    if request.POST.get("confirm") != "on":
        messages.error(
            request,
            _("Please confirm that you want to delete the draft"),
        )
        return redirect("portal:application", public_id=public_id)
    try:
        services.discard_draft(application, actor=request.user)
    except services.refusals() as error:
        messages.error(request, str(error))
        return redirect("portal:application", public_id=public_id)
    messages.success(request, _("The draft has been deleted"))
    return redirect("portal:account")


@login_required
@audit.audited_read("application.viewed", "applications.application")
def application_edit(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Steps 1 and 2 of the journey: the answers and the documents. One submit checks
    everything together (answers, each file's type and size, the required documents) and
    shows every error at once; a file that passed is kept, nothing invalid is saved."""
    application = selectors.for_applicant(request.user, public_id)
    if not services.is_editable(application) or not authz.allowed(
        request.user, "applications.prepare", application
    ):
        return redirect("portal:application", public_id=public_id)
    chosen = services.bundle_of(application)
    field_errors: dict[str, str] = {}
    document_errors: dict[str, str] = {}
    terms_error = ""
    status_code = 200
    shown_answers: dict[str, Any] | None = None
    consents: set[str] = set()
    if request.method == "POST":
        if any(key.startswith("doc_") for key in request.FILES):
            # Counted before anything is saved, so a refused post changes nothing.
            ratelimits.limit(request, "upload", key="user")
        action = request.POST.get("action", "save")
        answers = coerce(chosen.form_schema, request.POST.dict())
        try:
            services.save_answers(application, answers, actor=request.user)
        except ValidationError as error:
            # Text too long or a number out of bounds: no answer saved; the page shows
            # what was typed with the reason beside each field.
            field_errors = {name: " ".join(texts) for name, texts in error.message_dict.items()}
            shown_answers = answers
        except services.refusals() as error:
            messages.error(request, str(error))
            return redirect("portal:application", public_id=public_id)
        # Checked on the same submit whatever the answers: a file that passes is kept
        # (not asked for again), a refused one leaves nothing behind.
        consents = {
            key.removeprefix("consent_")
            for key in request.POST
            if key.startswith("consent_") and request.POST.get(key) == "on"
        }
        document_errors = _consents_given(application, request)
        document_errors |= _attach_uploads(application, request)
        application.refresh_from_db()
        if action in ("continue", "submit"):
            missing = journey.errors_before_check(application, answers)
            field_errors = {**missing.fields, **field_errors}
            document_errors = {**missing.documents, **document_errors}
        if action == "submit" and not (field_errors or document_errors):
            # The one-page submit (scripts and older pages): the declaration comes along.
            response = _submit_or_errors(
                request, application, request.POST.get("accept_terms") == "on"
            )
            if isinstance(response, HttpResponse):
                return response
            field_errors, document_errors, terms_error = response
        elif not (field_errors or document_errors):
            if action == "continue":
                return redirect("portal:application-check", public_id=public_id)
            messages.success(request, _("Draft saved"))
            return redirect("portal:application-edit", public_id=public_id)
        status_code = 400
    context = {
        **_form_context(
            request, application, shown_answers, field_errors, document_errors, consents
        ),
        "terms_error": terms_error,
        "accept_terms": request.POST.get("accept_terms") == "on",
    }
    return render(request, "portal/application_form.html", context, status=status_code)


def _form_context(
    request: HttpRequest,
    application: Application,
    shown_answers: dict[str, Any] | None,
    field_errors: dict[str, str],
    document_errors: dict[str, str],
    consents: set[str],
) -> dict[str, Any]:
    chosen = services.bundle_of(application)
    attachments = {a.document_code: a for a in application.attachments.all()}
    fetched = {e.document_code: e for e in application.evidence.all()}
    from_exchange = evidence.plan(application, chosen.documents)
    data = application.data if shown_answers is None else shown_answers
    documents = [
        {
            "document": document,
            "required": document.is_required_for(data)
            or (document.required and bool(document.required_when)),
            "attachment": attachments.get(document.code),
            "evidence": from_exchange.get(document.code),
            "fetched": fetched.get(document.code),
            "notice": _notice(from_exchange.get(document.code), application, request),
            "error": document_errors.get(document.code, ""),
            "consented": document.code in consents,
        }
        for document in chosen.documents
    ]
    fields = build_fields(chosen.form_schema, chosen.ui_schema, data, field_errors)
    return {
        "application": application,
        "service": application.service,
        "fields": fields,
        "documents": documents,
        "has_errors": bool(field_errors or document_errors),
        "error_count": len(field_errors) + len(document_errors),
        "may_submit": authz.allowed(request.user, "applications.submit", application),
        "steps": journey.STEPS,
        "max_upload_bytes": settings.BIZPORTAL_UPLOAD_MAX_BYTES,
        "max_upload_mb": settings.BIZPORTAL_UPLOAD_MAX_BYTES // (1024 * 1024),
    }


def _submit_or_errors(
    request: HttpRequest, application: Application, accept_terms: bool
) -> HttpResponse | tuple[dict[str, str], dict[str, str], str]:
    """Submit; the response to send, or (field, document, terms) errors to show."""
    public_id = application.public_id
    try:
        application = services.submit(application, actor=request.user, accept_terms=accept_terms)
    except StepUpRequired as needed:
        return _step_up(request, needed.needed, request.get_full_path())
    except services.SubmissionErrors as errors:
        return errors.fields, errors.documents, errors.terms
    except services.refusals() as error:
        messages.error(request, str(error))
        return redirect("portal:application", public_id=public_id)
    messages.success(request, _submitted_message(application))
    return redirect("portal:application-submitted", public_id=public_id)


@login_required
@audit.audited_read("application.viewed", "applications.application")
def application_check(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Step 3: check your answers (each with a link back to change it), the documents,
    the fee estimated from the answers, then the declaration and the submit button."""
    application = selectors.for_applicant(request.user, public_id)
    if not services.is_editable(application) or not authz.allowed(
        request.user, "applications.prepare", application
    ):
        return redirect("portal:application", public_id=public_id)
    field_errors: dict[str, str] = {}
    document_errors: dict[str, str] = {}
    terms_error = ""
    status_code = 200
    if request.method == "POST":
        response = _submit_or_errors(request, application, request.POST.get("accept_terms") == "on")
        if isinstance(response, HttpResponse):
            return response
        field_errors, document_errors, terms_error = response
        status_code = 400
        application.refresh_from_db()
    else:
        missing = journey.errors_before_check(application, application.data)
        field_errors, document_errors = missing.fields, missing.documents
    context = _form_context(request, application, None, field_errors, document_errors, set())
    edit_url = reverse("portal:application-edit", args=[application.public_id])
    context |= {
        "answers": [field for field in context["fields"] if field.value not in (None, "")],
        "edit_url": edit_url,
        "terms_error": terms_error,
        "has_errors": bool(field_errors or document_errors or terms_error),
        "incomplete": bool(field_errors or document_errors),
        "accept_terms": request.POST.get("accept_terms") == "on"
        or application.terms_accepted_at is not None,
        "fee": journey.fee_estimate(application),
    }
    return render(request, "portal/application_check.html", context, status=status_code)


@login_required
@audit.audited_read("application.viewed", "applications.application")
def application_submitted(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The confirmation: reference, the date a decision is due (working days), what
    happens next and which agency handles it."""
    application = selectors.for_applicant(request.user, public_id)
    if application.submitted_at is None:
        return redirect("portal:application", public_id=public_id)
    return render(
        request,
        "portal/application_submitted.html",
        {
            "application": application,
            "service": application.service,
            "decision_due": journey.decision_due(application),
            "awaiting_signature": application.status == Status.AWAITING_SIGNATURE,
        },
    )


def _submitted_message(application: Application) -> str:
    if application.status == Status.AWAITING_SIGNATURE:
        return _(
            "Signed: application %(reference)s waits for a second director's signature (7 days)"
        ) % {"reference": application.reference}
    return _("Application submitted, reference %(reference)s") % {
        "reference": application.reference
    }


def _notice(item: evidence.Evidence | None, application: Application, request: Any) -> str:
    """The consent text to show beside a fetched document that has no basis yet."""
    if item is None or not item.needs_consent:
        return ""
    if getattr(request, "LANGUAGE_CODE", "th") == "en":
        return item.notice_en(application)
    return item.notice_th(application)


def _consents_given(application: Application, request: HttpRequest) -> dict[str, str]:
    """Consents ticked in the form, each for one document fetched from a data service."""
    errors: dict[str, str] = {}
    for key in request.POST:
        if not key.startswith("consent_") or request.POST.get(key) != "on":
            continue
        code = key.removeprefix("consent_")
        try:
            services.consent_to_evidence(application, code, actor=request.user)
        except services.refusals() as error:
            errors[code] = str(error)
    return errors


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
        except services.refusals() as error:
            errors[code] = str(error)
    return errors


@login_required
def attachment_download(request: HttpRequest, public_id: Any, attachment_id: Any) -> FileResponse:
    application = selectors.for_applicant(request.user, public_id)
    attachment = selectors.attachment_of(application, attachment_id)
    return serve_attachment(request, attachment)
