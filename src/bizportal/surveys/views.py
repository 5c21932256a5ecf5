"""The answer page an invitation's link opens: ``/surveys/<token>/``.

The signed token is the credential, so a person who complained by email answers
without an account; no page lists invitations, and a forged or expired token is simply
"not valid". Every refusal is shown in Thai and English with the status that fits
(400 wrong answers, 404 unknown link, 409 already answered, 410 expired or closed).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import services
from .models import RATING_MAX, RATING_MIN, Invitation, QuestionKind, SurveyVersion


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token)
    except services.SurveyRefusal as refusal:
        return _refused(request, refusal)
    if invitation.answered_at is not None:
        return _thanks(request, invitation, status=200 if request.method == "GET" else 409)
    version = services.live_version(invitation.survey)
    if version is None:
        return _refused(request, services.SurveyRefusal(*_CLOSED, status=410))
    if request.method == "GET":
        return _form(request, invitation, version, {}, {})
    submitted = {
        key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"
    }
    try:
        services.answer(
            invitation,
            submitted,
            version_id=request.POST.get("version") or None,
            actor=request.user,
        )
    except services.AnswersInvalid as invalid:
        return _form(request, invitation, version, submitted, invalid.errors, status=400)
    except services.SurveyRefusal as refusal:
        if refusal.code == services.ALREADY_ANSWERED[0]:
            return _thanks(request, invitation, status=409)
        return _refused(request, refusal)
    invitation.refresh_from_db()
    return _thanks(request, invitation, status=200, just_now=True)


_CLOSED = ("survey_closed", _("This survey is closed"))


def _form(
    request: HttpRequest,
    invitation: Invitation,
    version: SurveyVersion,
    submitted: dict[str, list[str]],
    errors: dict[str, str],
    status: int = 200,
) -> HttpResponse:
    questions = [
        {
            "q": question,
            "values": submitted.get(question.code, []),
            "error": errors.get(question.code, ""),
        }
        for question in version.questions.all()
    ]
    context: dict[str, Any] = {
        "invitation": invitation,
        "service": invitation.survey.service,
        "version": version,
        "questions": questions,
        "errors": errors,
        "ratings": [str(n) for n in range(RATING_MIN, RATING_MAX + 1)],
        "kinds": QuestionKind,
    }
    return render(request, "surveys/answer.html", context, status=status)


def _thanks(
    request: HttpRequest, invitation: Invitation, *, status: int, just_now: bool = False
) -> HttpResponse:
    context = {
        "service": invitation.survey.service,
        "just_now": just_now,
        "message": "" if just_now else services.ALREADY_ANSWERED[1],
    }
    return render(request, "surveys/thanks.html", context, status=status)


def _refused(request: HttpRequest, refusal: services.SurveyRefusal) -> HttpResponse:
    return render(
        request,
        "surveys/refused.html",
        {"message": str(refusal), "code": refusal.code},
        status=refusal.status,
    )
