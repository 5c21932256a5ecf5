"""The advisor's pages: one question a page, the advice, and bundles.

Answers live in the session until the person starts a bundle (then they are saved
with it); nothing is stored for someone who only asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from bizportal.applications import services as applications
from bizportal.core.templatetags.thai import pick
from bizportal.forms.fields import build_fields, coerce

from . import engine, services
from .models import Bundle, Question

SESSION_KEY = "advisor_answers"


def _answers(request: HttpRequest) -> dict[str, Any]:
    stored = request.session.get(SESSION_KEY, {})
    return dict(stored) if isinstance(stored, dict) else {}


def _remember(request: HttpRequest, answers: dict[str, Any]) -> None:
    request.session[SESSION_KEY] = answers


def ask(request: HttpRequest) -> HttpResponse:
    """The next question (or, with ``?change=<code>``, one already answered)."""
    asked = services.questions()
    answers = engine.relevant(asked, _answers(request))
    by_code = {q.code: q for q in engine.applicable(asked, answers)}
    question = by_code.get(request.GET.get("change", "")) or engine.next_question(asked, answers)
    error = ""
    if request.method == "POST":
        question = by_code.get(request.POST.get("question", ""))
        if question is None:
            return redirect("advisor:ask")
        try:
            answers[question.code] = engine.clean(question, request.POST.get("answer", ""))
        except engine.AnswerError as refused:
            error = str(refused)
        else:
            _remember(request, engine.relevant(asked, answers))
            return redirect("advisor:ask")
    if question is None:
        return redirect("advisor:result")
    position = [q.code for q in engine.applicable(asked, answers)].index(question.code) + 1
    return render(
        request,
        "advisor/question.html",
        {
            "question": question,
            "current": answers.get(question.code),
            "error": error,
            "position": position,
            "answered": len(answers),
        },
        status=400 if error else 200,
    )


def result(request: HttpRequest) -> HttpResponse:
    asked = services.questions()
    answers = engine.relevant(asked, _answers(request))
    if not answers:
        return redirect("advisor:ask")
    advice = services.advise(answers)
    shown = [
        (q, question_label(q, answers[q.code]))
        for q in engine.applicable(asked, answers)
        if q.code in answers
    ]
    return render(
        request,
        "advisor/result.html",
        {
            "result": advice,
            "rows": [(a, advice.fees[a.service.pk]) for a in advice.advice],
            "shown": shown,
            "can_start": getattr(request, "acting", None),
        },
    )


@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("advisor:ask")


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start the advised applications Biz Portal takes, together, as one bundle."""
    acting = getattr(request, "acting", None)
    answers = engine.relevant(services.questions(), _answers(request))
    if acting is None or not answers:
        messages.error(
            request,
            _("Only an entrepreneur who has answered the questions can start the applications"),
        )
        return redirect("advisor:result" if answers else "advisor:ask")
    try:
        started = services.start_bundle(request.user, acting.party, answers)
    except services.AdvisorError as error:
        messages.error(request, str(error))
        return redirect("advisor:result")
    for service, reason in started.refused:
        messages.warning(request, f"{pick(service, 'name')}: {reason}")
    if started.bundle is None:
        return redirect("advisor:result")
    request.session.pop(SESSION_KEY, None)
    return redirect("advisor:bundle", public_id=started.bundle.public_id)


@login_required
def bundle(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The bundle's drafts in order, and the questions they share, asked once."""
    found = get_object_or_404(Bundle, public_id=public_id)
    if found.applicant_id != request.user.pk:
        raise Http404
    names = services.shared_fields(found)
    drafts = services.bundle_drafts(found)
    errors: dict[str, str] = {}
    answers = _shared_values(drafts, names)
    if request.method == "POST" and names:
        schema, _unused = _shared_schema(drafts, names)
        posted = coerce(schema, {k: v for k, v in request.POST.dict().items() if k in names})
        try:
            services.save_shared_answers(found, posted, actor=request.user)
        except ValidationError as error:
            errors = {name: " ".join(texts) for name, texts in error.message_dict.items()}
            answers = {**answers, **posted}
        except applications.refusals() as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved in every application"))
            return redirect("advisor:bundle", public_id=public_id)
    schema, ui = _shared_schema(drafts, names)
    return render(
        request,
        "advisor/bundle.html",
        {
            "bundle": found,
            "items": list(found.items.select_related("application__service__agency")),
            "fields": build_fields(schema, ui, answers, errors) if names else [],
        },
        status=400 if errors else 200,
    )


def _shared_schema(drafts: list[Any], names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shared fields' definitions, as the first draft that asks for each gives them."""
    properties: dict[str, Any] = {}
    ui_fields: dict[str, Any] = {}
    for draft in drafts:
        chosen = applications.bundle_of(draft)
        for name in names:
            if name in chosen.form_schema.get("properties", {}) and name not in properties:
                properties[name] = chosen.form_schema["properties"][name]
                ui_fields[name] = chosen.ui_schema.get("fields", {}).get(name, {})
    schema = {"type": "object", "properties": properties}
    return schema, {"fields": ui_fields, "order": names}


def _shared_values(drafts: list[Any], names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for draft in drafts:
        for name in names:
            if name not in values and draft.data.get(name) not in (None, ""):
                values[name] = draft.data[name]
    return values


def question_label(question: Question, value: Any) -> tuple[str, str]:
    """How an answer reads on the summary, in Thai and English."""
    if question.kind == Question.Kind.YES_NO:
        word = gettext_noop("Yes") if value else gettext_noop("No")
        with translation.override("th"):
            thai = _(word)
        with translation.override("en"):
            return thai, _(word)
    if question.kind == Question.Kind.CHOICE:
        option = next((o for o in question.options if o["value"] == value), None)
        if option:
            return option["th"], option["en"]
    return f"{value:,}", f"{value:,}"
