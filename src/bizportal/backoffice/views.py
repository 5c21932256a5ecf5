"""Officer pages: the agency's worklist, one application, and the decision.

An officer sees only the applications of their own agency; any other reference is
"not found". Every page view of an application is an access to personal data and
is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bizportal.applications import selectors, services
from bizportal.applications.downloads import serve_attachment
from bizportal.applications.models import Status
from bizportal.core import audit


class OfficerAuthenticationForm(AuthenticationForm):
    """Staff sign in with a password here; entrepreneurs use Digital ID instead."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if user.role != "officer":
            raise ValidationError(
                "หน้านี้สำหรับเจ้าหน้าที่หน่วยงานเท่านั้น / This sign-in is for agency officers only",
                code="not_officer",
            )


class OfficerLoginView(LoginView):
    template_name = "backoffice/login.html"
    authentication_form = OfficerAuthenticationForm
    redirect_authenticated_user = False

    def get_default_redirect_url(self) -> str:
        return reverse("backoffice:worklist")


def officer_required(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        if not getattr(user, "is_officer", False):
            raise Http404("officers only")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@officer_required
def worklist(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    page = selectors.worklist(request.user, status=status, cursor=request.GET.get("after", ""))
    return render(
        request,
        "backoffice/worklist.html",
        {"page": page, "status": status, "statuses": [s for s in Status if s != Status.DRAFT]},
    )


@officer_required
def application_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    from bizportal.payments.services import invoice_for
    from bizportal.workflow.services import ready_tasks

    application = selectors.for_officer(request.user, public_id)
    audit.record("application.viewed_by_officer", application, actor=request.user)
    lang = "th" if (request.LANGUAGE_CODE or "th").startswith("th") else "en"
    tasks = ready_tasks(application) if application.status not in {Status.DRAFT} else []
    return render(
        request,
        "backoffice/application.html",
        {
            "application": application,
            "answers": selectors.answer_rows(application, lang),
            "attachments": list(application.attachments.all()),
            "history": list(application.history.select_related("actor")),
            "can_review": "review" in tasks,
            "can_inspect": "inspection" in tasks,
            "invoice": invoice_for(application),
        },
    )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[(d, d) for d in services.DECISIONS])
    note = forms.CharField(required=False, max_length=2000)


@officer_required
@require_POST
def decide(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = selectors.for_officer(request.user, public_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "กรุณาเลือกการดำเนินการ / Please choose an action")
        return redirect("backoffice:application", public_id=public_id)
    try:
        services.decide(application, officer=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except services.refusals() as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "บันทึกผลการพิจารณาแล้ว / Decision recorded")
    return redirect("backoffice:application", public_id=public_id)


@officer_required
def attachment_download(request: HttpRequest, public_id: Any, attachment_id: Any) -> FileResponse:
    application = selectors.for_officer(request.user, public_id)
    return serve_attachment(request, selectors.attachment_of(application, attachment_id))
