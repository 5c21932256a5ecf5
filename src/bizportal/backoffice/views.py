"""Officer pages: the agency's worklist, one application, and the decision.

An officer sees only the applications of their own agency; any other reference is
"not found". Every page that shows an application (or a list of them) is an access to
personal data and is written to the audit trail (``core.audit.audited_read``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bizportal.applications import selectors, services
from bizportal.applications.downloads import serve_attachment
from bizportal.applications.models import BEFORE_AGENCY, Status
from bizportal.contact import selectors as contact
from bizportal.core import audit, authz
from bizportal.inspections.models import Inspection
from bizportal.payments.services import invoice_for
from bizportal.service_levels import selectors as service_levels

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OfficerAuthenticationForm(AuthenticationForm):
    """Staff sign in with a password here; entrepreneurs use Digital ID instead."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.role != "staff" or not user.staff_roles:
            raise ValidationError(
                _("This sign-in is for staff only"),
                code="not_staff",
            )


class OfficerLoginView(LoginView):
    template_name = "backoffice/login.html"
    authentication_form = OfficerAuthenticationForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return reverse("backoffice:home")


def staff_only(permission: str) -> Any:
    """Only staff holding ``permission`` (``core.authz``) see the page; others: 404."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"{reverse('backoffice:login')}?next={request.path}")
            authz.require(request.user, permission)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


officer_required = staff_only("backoffice.worklist")

#: Where each role starts, in order of precedence.
HOMES = (
    ("backoffice.worklist", "backoffice:worklist"),
    ("backoffice.counter", "backoffice:counter"),
    ("contact.helpdesk", "contact:staff-cases"),
    ("backoffice.staff", "backoffice:staff"),
    ("payments.finance", "backoffice:finance-refunds"),
    ("reports.view", "reports:index"),
    ("backoffice.statistics", "backoffice:statistics"),
    ("catalog.use_editor", "backoffice:services"),
    # Agency IT work in the admin, on their agency's systems and integrations.
    ("exchange.manage_systems", "admin:index"),
)


def home(request: HttpRequest) -> HttpResponse:
    """``/backoffice/``: the first page the member of staff's roles open."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('backoffice:login')}?next={request.path}")
    for permission, page in HOMES:
        if authz.allowed(request.user, permission):
            return redirect(page)
    raise Http404("no back-office role")


@officer_required
@audit.audited_read("applications.listed", filters=("status", "sort", "after"))
def worklist(request: HttpRequest) -> HttpResponse:
    """The agency's applications with the working days each has left: in the order
    they arrived, or (``sort=due``) the open ones by due date, earliest first."""
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    by_due = request.GET.get("sort", "") == "due"
    code = 200
    page: Any
    try:
        page = _worklist_page(request, status, by_due, request.GET.get("after", ""))
    except ValidationError:
        # A cursor we did not make: say so and show the first page.
        messages.error(request, selectors.BAD_CURSOR)
        page, code = _worklist_page(request, status, by_due, ""), 400
    audit.saw(request, page.items)
    return render(
        request,
        "backoffice/worklist.html",
        {
            "page": page,
            "status": status,
            "sort": "due" if by_due else "",
            "statuses": [s for s in Status if s not in BEFORE_AGENCY],
            "may_read_exchange_log": authz.allowed(request.user, "backoffice.exchange_log"),
        },
        status=code,
    )


def _worklist_page(request: HttpRequest, status: str, by_due: bool, cursor: str) -> Any:
    """One page, each application carrying its ``standing`` (one query for the page's
    clocks, never one per row)."""
    if by_due:
        return service_levels.worklist_by_due(request.user, status=status, cursor=cursor)
    page = selectors.worklist(request.user, status=status, cursor=cursor)
    standings = service_levels.standings(page.items)
    for application in page.items:
        application.standing = standings.get(application.pk)  # type: ignore[attr-defined]
    return page


@officer_required
@audit.audited_read("application.viewed")
def application_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.for_officer(request.user, public_id)
    audit.saw(request, [application])
    return render(
        request,
        "backoffice/application.html",
        {
            "application": application,
            "answers": selectors.answer_rows(application, _lang(request)),
            "attachments": list(application.attachments.all()),
            "evidence": list(application.evidence.all()),
            "forwardings": list(
                application.forwardings.select_related("agency_system").prefetch_related(
                    "tries", "updates"
                )
            ),
            "history": list(application.history.select_related("actor")),
            "step_actions": [
                _step_panel(item) for item in services.actions_for(application, request.user)
            ],
            "waiting": services.ready_steps(application),
            "inspections": list(application.inspections.all()),
            "invoice": invoice_for(application),
            "standing": service_levels.standing_of(application),
            "step_clocks": service_levels.step_clocks(application),
            "application_thread": contact.application_thread(application, officer=True),
            "thread_post_url": reverse(
                "contact:officer-application-message", args=[application.public_id]
            ),
        },
    )


def _step_panel(item: services.StepActions) -> dict[str, Any]:
    """One waiting step as the page shows it.

    Actions that take values (schedule an inspection) get a form of their own, filled
    with what is recorded so far so that moving an appointment starts from it; the
    others share one form with the note, and the note's hint names the actions that
    need it, because those are the ones the applicant is told the reason for.
    """
    inspection = Inspection.objects.filter(task_id=item.step.task_id).first()
    current = _recorded_values(inspection)
    return {
        "step": item.step,
        "inspection": inspection,
        "forms": [
            {
                "action": action,
                "fields": [
                    {"field": field, "value": current.get(field.id, "")} for field in action.fields
                ],
            }
            for action in item.actions
            if action.fields
        ],
        "buttons": [action for action in item.actions if not action.fields],
        "note_needed_for": [action.label for action in item.actions if action.note_required],
    }


def _recorded_values(inspection: Inspection | None) -> dict[str, str]:
    """The appointment as a ``datetime-local`` input and a text input expect it."""
    if inspection is None or inspection.scheduled_for is None:
        return {}
    local = timezone.localtime(inspection.scheduled_for)
    return {"scheduled_for": local.strftime("%Y-%m-%dT%H:%M"), "place": inspection.place}


def _lang(request: HttpRequest) -> str:
    return "th" if (request.LANGUAGE_CODE or "th").startswith("th") else "en"


class DecisionForm(forms.Form):
    action = forms.SlugField(max_length=40)
    note = forms.CharField(required=False, max_length=2000)
    step = forms.CharField(required=False, max_length=80)
    confirmed = forms.BooleanField(required=False)


#: Decisions that cannot be taken back: recorded only once the officer has confirmed them
#: on a page of their own (no JavaScript needed), see ``decide``.
@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page of a decision that cannot be taken back says."""

    title: StrOrPromise
    warning: StrOrPromise
    note_label: StrOrPromise
    tick: StrOrPromise
    button: StrOrPromise
    error: StrOrPromise


#: Decisions an officer confirms on a page of their own before anything is recorded.
DESTRUCTIVE_ACTIONS: dict[str, Confirmation] = {
    "reject": Confirmation(
        title=gettext_lazy("Confirm the rejection"),
        warning=gettext_lazy(
            "A rejection cannot be undone. The applicant is told, with the reason below."
        ),
        note_label=gettext_lazy("Reason (the applicant is told)"),
        tick=gettext_lazy("I confirm that I am rejecting this application"),
        button=gettext_lazy("Confirm: reject the application"),
        error=gettext_lazy("Please confirm before rejecting the application"),
    ),
    "fail": Confirmation(
        title=gettext_lazy("Confirm the failed inspection"),
        warning=gettext_lazy(
            "A failed inspection cannot be undone and ends the application. The applicant "
            "is told, with the findings below."
        ),
        note_label=gettext_lazy("Findings (the applicant is told)"),
        tick=gettext_lazy("I confirm that the premises failed the inspection"),
        button=gettext_lazy("Confirm: record the failed inspection"),
        error=gettext_lazy("Please confirm before recording a failed inspection"),
    ),
}


@officer_required
@require_POST
def decide(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Any action of a step the officer may act on: a decision, a schedule, a result."""
    application = selectors.for_officer(request.user, public_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if "note" in form.errors:
            messages.error(
                request,
                _("The note may be at most 2,000 characters"),
            )
        else:
            messages.error(request, _("Please choose an action"))
        return redirect("backoffice:application", public_id=public_id)
    data = form.cleaned_data
    values = {
        key: value
        for key, value in request.POST.items()
        if key not in {"action", "note", "step", "confirmed", "confirming", "csrfmiddlewaretoken"}
    }
    if data["action"] in DESTRUCTIVE_ACTIONS and not data["confirmed"]:
        # Nothing is recorded yet: a page asks the officer to confirm, keeping the note.
        return render(
            request,
            "backoffice/confirm_decision.html",
            {
                "application": application,
                "action": data["action"],
                "confirmation": DESTRUCTIVE_ACTIONS[data["action"]],
                "note": data["note"],
                "step": data["step"],
                "values": values,
                "error": (
                    DESTRUCTIVE_ACTIONS[data["action"]].error
                    if request.POST.get("confirming")
                    else ""
                ),
            },
            status=400 if request.POST.get("confirming") else 200,
        )
    try:
        services.decide(
            application,
            officer=request.user,
            action=data["action"],
            note=data["note"],
            step=data["step"],
            values=values,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.refusals() as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Recorded"))
    return redirect("backoffice:application", public_id=public_id)


@officer_required
def attachment_download(request: HttpRequest, public_id: Any, attachment_id: Any) -> FileResponse:
    application = selectors.for_officer(request.user, public_id)
    return serve_attachment(request, selectors.attachment_of(application, attachment_id))
