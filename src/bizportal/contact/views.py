"""Contact pages: the agencies' contact details, filing a complaint or enquiry, the
person's cases and the anonymous follow-up link; for staff the cases of their agency
(or, at the helpdesk, of every agency) and the contact log; and the message thread of
an application, posted from the application pages of both sides.

Every staff page that shows a person's data is an audited read; every change goes
through :mod:`.services`, whose translated errors are put back on the form's fields.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from bizportal.applications import selectors as applications
from bizportal.applications.models import BEFORE_AGENCY, Application
from bizportal.core import audit, authz, ratelimits

from . import forms, selectors, services
from .models import Case, CaseStatus, Message

SENT = _("Message sent")


def _lang(request: HttpRequest) -> str:
    return "th" if (getattr(request, "LANGUAGE_CODE", "th") or "th").startswith("th") else "en"


def _put_back(form: django_forms.Form, error: ValidationError) -> None:
    """The service's errors on the form's fields (unknown fields: on the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def staff_page(permission: str) -> Any:
    """Staff holding ``permission`` only; others are sent to sign in, or get 404."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"{reverse('backoffice:login')}?next={request.path}")
            authz.require(request.user, permission)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _serve(request: HttpRequest, message: Message, target: Any) -> FileResponse:
    """Stream a thread's file and record who opened it (a file is personal data)."""
    audit.record(
        "contact.file_viewed",
        target,
        actor=request.user,
        actor_label="" if request.user.is_authenticated else "follow-up link",
        message=str(message.public_id),
    )
    try:
        handle: Any = message.attachment.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(
        handle, content_type=message.attachment_type, filename=message.attachment_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def _with_urls(thread: list[Message], file_url: Any) -> list[Message]:
    for message in thread:
        message.file_url = file_url(message) if message.attachment else ""  # type: ignore[attr-defined]
    return thread


# --- public and the person's pages --------------------------------------------------


def contact_page(request: HttpRequest) -> HttpResponse:
    """``/contact/``: every agency's contact details from the catalogue."""
    return render(request, "contact/contact.html", {"agencies": selectors.agency_contacts()})


def _own_applications(request: HttpRequest) -> list[Application]:
    if not getattr(request.user, "is_entrepreneur", False):
        return []
    return list(
        applications.of_acting(getattr(request.user, "acting", None))
        .exclude(status__in=BEFORE_AGENCY)
        .order_by("-submitted_at")[:50]
    )


def new_case(request: HttpRequest) -> HttpResponse:
    """File a complaint or enquiry: signed in, or anonymously with an email."""
    user: Any = request.user if getattr(request.user, "is_entrepreneur", False) else None
    own = _own_applications(request)
    initial = {"service": request.GET.get("service", "")}
    form = forms.CaseForm(
        request.POST or None, request.FILES or None, applications=own, initial=initial
    )
    if request.method == "POST":
        ratelimits.limit(request, "contact")
        if form.is_valid():
            try:
                case = services.file_case(
                    _filing(form), person=user, attachment=form.cleaned_data["attachment"]
                )
            except ValidationError as error:
                _put_back(form, error)
            else:
                return _filed(request, case, user)
    return render(
        request,
        "contact/new.html",
        {"form": form, "signed_in": user is not None},
        status=400 if form.errors else 200,
    )


def _filing(form: forms.CaseForm, *, channel: str = "web") -> services.Filing:
    """The form's answers as a filing; the application by public id (online) or by
    reference (helpdesk). One that does not exist is refused in the same words as one
    that is not the person's."""
    data = form.cleaned_data
    found = Application.objects.select_related("agency", "service")
    application = None
    if data.get("application"):
        application = found.filter(public_id=data["application"]).first()
    elif data.get("application_reference"):
        application = found.filter(reference=data["application_reference"]).first()
    if (data.get("application") or data.get("application_reference")) and application is None:
        field = "application" if "application" in form.fields else "application_reference"
        raise ValidationError({field: [services.NOT_YOURS]})
    return services.Filing(
        kind=data["kind"],
        category=data["category"],
        subject=data["subject"],
        body=data["body"],
        name=data.get("name", ""),
        email=data.get("email", ""),
        phone=data.get("phone", ""),
        service=data.get("service"),
        application=application,
        also=tuple(data.get("also") or ()),
        channel=channel,
    )


def _filed(request: HttpRequest, case: Case, user: Any) -> HttpResponse:
    messages.success(request, _received(case))
    if user is not None:
        return redirect("contact:case", public_id=case.public_id)
    return redirect(selectors.follow_path(case))


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    return render(
        request, "contact/my_cases.html", {"cases": selectors.cases_of_person(request.user)}
    )


def _thread_page(
    request: HttpRequest, case: Case, *, person: Any, file_url: Any, post_url: str
) -> HttpResponse:
    form = forms.MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        ratelimits.limit(request, "contact")
        if form.is_valid():
            try:
                services.reply(
                    case,
                    form.cleaned_data["body"],
                    person=person,
                    attachment=form.cleaned_data["attachment"],
                )
            except ValidationError as error:
                _put_back(form, error)
            else:
                messages.success(request, SENT)
                return redirect(post_url)
    return render(
        request,
        "contact/case.html",
        {
            "case": case,
            "standing": selectors.standing(case),
            "thread": _with_urls(selectors.thread(case), file_url),
            "form": form,
            "post_url": post_url,
            "closed": case.status == CaseStatus.CLOSED,
        },
        status=400 if form.errors else 200,
    )


@login_required
def case_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    case = selectors.case_for_person(request.user, public_id)
    url = reverse("contact:case", args=[case.public_id])
    return _thread_page(
        request,
        case,
        person=request.user,
        file_url=lambda m: reverse("contact:case-file", args=[case.public_id, m.public_id]),
        post_url=url,
    )


@login_required
def case_file(request: HttpRequest, public_id: Any, message_id: Any) -> FileResponse:
    case = selectors.case_for_person(request.user, public_id)
    return _serve(request, selectors.attachment_of(case.messages, message_id), case)


def follow(request: HttpRequest, public_id: Any, key: str) -> HttpResponse:
    """The anonymous follow-up link: the key in it is the credential."""
    case = selectors.case_by_link(public_id, key)
    return _thread_page(
        request,
        case,
        person=None,
        file_url=lambda m: reverse("contact:follow-file", args=[case.public_id, key, m.public_id]),
        post_url=request.path,
    )


def follow_file(request: HttpRequest, public_id: Any, key: str, message_id: Any) -> FileResponse:
    case = selectors.case_by_link(public_id, key)
    return _serve(request, selectors.attachment_of(case.messages, message_id), case)


# --- the application's thread -------------------------------------------------------


def _post_on_application(request: HttpRequest, application: Application, back: str) -> HttpResponse:
    ratelimits.limit(request, "contact")
    form = forms.MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.post_application_message(
                application,
                form.cleaned_data["body"],
                author=request.user,  # type: ignore[arg-type]
                attachment=form.cleaned_data["attachment"],
            )
        except ValidationError as error:
            _put_back(form, error)
    if form.errors:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, str(text))
    else:
        messages.success(request, SENT)
    return redirect(f"{back}#messages")


@login_required
@require_POST
def application_message(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The applicant's (or their people's) question on their application page."""
    application = applications.for_applicant(request.user, public_id)
    if getattr(request.user, "is_officer", False):
        raise Http404("not an applicant")
    return _post_on_application(
        request, application, reverse("portal:application", args=[application.public_id])
    )


@login_required
def application_file(request: HttpRequest, public_id: Any, message_id: Any) -> FileResponse:
    application = applications.for_applicant(request.user, public_id)
    message = selectors.attachment_of(Message.objects.filter(application=application), message_id)
    return _serve(request, message, application)


@staff_page("backoffice.worklist")
@require_POST
def officer_application_message(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The agency's answer on the officer's application page."""
    application = applications.for_officer(request.user, public_id)
    return _post_on_application(
        request, application, reverse("backoffice:application", args=[application.public_id])
    )


@staff_page("backoffice.worklist")
def officer_application_file(request: HttpRequest, public_id: Any, message_id: Any) -> FileResponse:
    application = applications.for_officer(request.user, public_id)
    message = selectors.attachment_of(Message.objects.filter(application=application), message_id)
    return _serve(request, message, application)


# --- staff: cases -------------------------------------------------------------------


@staff_page("contact.cases")
@audit.audited_read("contact.cases_listed", filters=("status", "after"))
def staff_cases(request: HttpRequest) -> HttpResponse:
    """The agency's cases (owned or shared), or at the helpdesk every agency's: earliest
    due first."""
    status = request.GET.get("status", "")
    code = 200
    try:
        page = selectors.cases_for_staff(
            request.user, status=status, cursor=request.GET.get("after", "")
        )
    except ValidationError:
        messages.error(request, selectors.BAD_CURSOR)
        page, code = selectors.cases_for_staff(request.user, status=status), 400
    audit.saw(request, page.items)
    return render(
        request,
        "contact/staff_cases.html",
        {
            "page": page,
            "status": status,
            "statuses": CaseStatus.choices,
            "helpdesk": authz.allowed(request.user, "contact.helpdesk"),
        },
        status=code,
    )


@staff_page("contact.cases")
@audit.audited_read("contact.case_viewed")
def staff_case(request: HttpRequest, public_id: Any) -> HttpResponse:
    case = selectors.case_for_staff(request.user, public_id)
    audit.saw(request, [case])
    return _staff_case_page(request, case)


def _staff_case_page(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    user = request.user
    return render(
        request,
        "contact/staff_case.html",
        {
            "case": case,
            "standing": selectors.standing(case),
            "thread": _with_urls(
                selectors.thread(case),
                lambda m: reverse("contact:staff-case-file", args=[case.public_id, m.public_id]),
            ),
            "routing": selectors.routing(case),
            "may_answer": authz.allowed(user, "contact.answer", case),
            "may_coordinate": authz.allowed(user, "contact.coordinate", case),
            "may_share": authz.allowed(user, "contact.coordinate", case)
            or authz.allowed(user, "contact.helpdesk"),
            "answer_form": bound.get("answer") or forms.MessageForm(),
            "close_form": bound.get("close") or forms.CloseForm(),
            "share_form": bound.get("share") or forms.ShareForm(),
            "closed": case.status == CaseStatus.CLOSED,
        },
        status=status,
    )


@staff_page("contact.cases")
@require_POST
def staff_case_act(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Answer, share or close: each through its service, which checks who may."""
    case = selectors.case_for_staff(request.user, public_id)
    action = request.POST.get("action", "")
    form: django_forms.Form
    if action == "answer":
        form = forms.MessageForm(request.POST, request.FILES)
    elif action == "close":
        form = forms.CloseForm(request.POST)
    elif action == "share":
        form = forms.ShareForm(request.POST)
    else:
        raise Http404("no such action")
    if form.is_valid():
        try:
            _act(request, case, action, form.cleaned_data)
        except ValidationError as error:
            _put_back(form, error)
        else:
            messages.success(request, DONE[action])
            return redirect("contact:staff-case", public_id=case.public_id)
    return _staff_case_page(request, case, bound={action: form}, status=400)


DONE = {
    "answer": _("Answer sent"),
    "close": _("Case closed"),
    "share": _("Case shared"),
}


def _act(request: HttpRequest, case: Case, action: str, data: dict[str, Any]) -> None:
    user: Any = request.user
    if action == "answer":
        services.answer(case, user, data["body"], data.get("attachment"))
    elif action == "close":
        services.close(case, actor=user, note=data["note"])
    else:
        services.share(case, data["agency"], actor=user)


@staff_page("contact.cases")
def staff_case_file(request: HttpRequest, public_id: Any, message_id: Any) -> FileResponse:
    case = selectors.case_for_staff(request.user, public_id)
    return _serve(request, selectors.attachment_of(case.messages, message_id), case)


# --- staff: the contact log ---------------------------------------------------------


@staff_page("contact.helpdesk")
@audit.audited_read(
    "contact.log_searched", filters=("person", "application", "channel", "type", "since", "until")
)
def contact_log(request: HttpRequest) -> HttpResponse:
    """Search the log (GET) and take a new contact (POST)."""
    entry_form = forms.ContactForm(request.POST or None)
    code = 200
    if request.method == "POST":
        if entry_form.is_valid():
            try:
                contact = services.Contact(**entry_form.cleaned_data)
                services.log_contact(contact, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                _put_back(entry_form, error)
            else:
                messages.success(request, _("Contact logged"))
                return redirect("contact:log")
        code = 400
    search = forms.LogSearchForm(request.GET or None)
    page = selectors.Page(items=[])
    if search.is_valid() or not request.GET:
        data = search.cleaned_data if request.GET else {}
        try:
            page = selectors.search_log(
                selectors.LogQuery(**{k: v for k, v in data.items() if v}),
                cursor=request.GET.get("after", ""),
            )
        except ValidationError:
            messages.error(request, selectors.BAD_CURSOR)
            code = 400
    else:
        code = 400
    audit.saw(request, page.items)
    return render(
        request,
        "contact/log.html",
        {
            "search": search,
            "entry_form": entry_form,
            "page": page,
            "query": request.GET.urlencode(),
        },
        status=code,
    )


@staff_page("contact.helpdesk")
def helpdesk_case(request: HttpRequest) -> HttpResponse:
    """Helpdesk staff file a complaint or enquiry for a caller (walk-in, hotline, chat)."""
    form = forms.HelpdeskCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_of(data["person_key"])
            case = services.file_case(
                _filing(form, channel=data["channel"]),
                person=person,
                logged_by=request.user,  # type: ignore[arg-type]
                attachment=data["attachment"],
            )
        except ValidationError as error:
            _put_back(form, error)
        else:
            messages.success(request, _received(case))
            return redirect("contact:staff-case", public_id=case.public_id)
    return render(
        request,
        "contact/helpdesk_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _received(case: Case) -> str:
    return gettext("Received as %(reference)s") % {"reference": case.reference}
