"""What to ask next, what an answer means, and which services a business needs in
which order: pure functions over the questionnaire's rows and the answers.

Conditions are FEEL. An unanswered question is ``null`` in them, and a condition that
cannot be evaluated for the answers at hand (``seats > 50`` before seats is known)
counts as not holding: a question is asked, or a service recommended, only on what
the person has actually said.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from bizportal.rules import feel

from .models import Prerequisite, Question, Recommendation

YES = {"yes", "true", "1", "on", "ใช่"}
NO = {"no", "false", "0", "off", "ไม่ใช่"}
MAX_ANSWER_LENGTH = 100


class AnswerError(ValueError):
    """An answer the question cannot take; the message is Thai / English."""


def holds(expression: str, answers: Mapping[str, Any], codes: Iterable[str]) -> bool:
    """Whether a FEEL condition holds; an empty one always does."""
    if not expression.strip():
        return True
    context = dict.fromkeys(codes)
    context.update({k: _feel_value(v) for k, v in answers.items()})
    try:
        return feel.evaluate(expression, context) is True
    except feel.FeelError:
        return False


def _feel_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def applicable(questions: Sequence[Question], answers: Mapping[str, Any]) -> list[Question]:
    """The questions that apply to these answers, in order. A question's condition sees
    only answers to the applicable questions before it, so changing an early answer
    (no longer a restaurant) drops the questions that followed from it."""
    codes = [q.code for q in questions]
    seen: dict[str, Any] = {}
    result = []
    for question in questions:
        if holds(question.ask_when, seen, codes):
            result.append(question)
            if question.code in answers:
                seen[question.code] = answers[question.code]
    return result


def relevant(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers to questions that still apply."""
    return {q.code: answers[q.code] for q in applicable(questions, answers) if q.code in answers}


def next_question(questions: Sequence[Question], answers: Mapping[str, Any]) -> Question | None:
    return next((q for q in applicable(questions, answers) if q.code not in answers), None)


def clean(question: Question, raw: Any) -> Any:
    """The answer as conditions see it: a choice's value, a bool, a number."""
    if question.kind == Question.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in YES or text in NO:
            return text in YES
        raise AnswerError(_("Answer yes or no"))
    if question.kind == Question.Kind.CHOICE:
        values = [str(option["value"]) for option in question.options]
        if isinstance(raw, str) and raw in values:
            return raw
        raise AnswerError(_("Choose one of the options"))
    return _number(question, raw)


def _number(question: Question, raw: Any) -> int | float:
    if isinstance(raw, bool) or raw is None or len(str(raw)) > MAX_ANSWER_LENGTH:
        raise AnswerError(_("Enter a number"))
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise AnswerError(_("Enter a number")) from None
    if not number.is_finite():
        raise AnswerError(_("Enter a number"))
    if question.minimum is not None and number < question.minimum:
        raise AnswerError(_("Must be at least %(minimum)s") % {"minimum": f"{question.minimum:,}"})
    if question.maximum is not None and number > question.maximum:
        raise AnswerError(_("Must be at most %(maximum)s") % {"maximum": f"{question.maximum:,}"})
    return int(number) if number == number.to_integral_value() else float(number)


def check_answers(
    questions: Sequence[Question], given: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean every given answer; unknown names and bad values are errors by name."""
    by_code = {q.code: q for q in questions}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, raw in given.items():
        question = by_code.get(code)
        if question is None:
            errors[code] = _("No such question")
            continue
        try:
            cleaned[code] = clean(question, raw)
        except AnswerError as error:
            errors[code] = str(error)
    return cleaned, errors


@dataclass
class Advice:
    """One recommended service: why, how necessary, and what must come first."""

    rule: Recommendation
    reasons: list[tuple[str, str]] = field(default_factory=list)
    necessity: str = Recommendation.Necessity.ADVISED
    after: list[int] = field(default_factory=list)  # service ids obtained before this
    earliest_day: int = 0  # working days until it can be decided, with parallel work

    @property
    def service(self) -> Any:
        return self.rule.service


def recommend(
    rules: Sequence[Recommendation],
    prerequisites: Sequence[Prerequisite],
    questions: Sequence[Question],
    answers: Mapping[str, Any],
) -> list[Advice]:
    """The services the answers call for, each once, in an order that respects every
    prerequisite among them (ties in the rules' own order)."""
    codes = [q.code for q in questions]
    given = relevant(questions, answers)
    chosen: dict[int, Advice] = {}
    for rule in rules:
        if not holds(rule.when, given, codes):
            continue
        advice = chosen.setdefault(rule.service_id, Advice(rule))
        advice.reasons.append((rule.reason_th, rule.reason_en))
        if rule.necessity == Recommendation.Necessity.REQUIRED:
            advice.necessity = Recommendation.Necessity.REQUIRED
    for link in prerequisites:
        if link.service_id in chosen and link.before_id in chosen:
            chosen[link.service_id].after.append(link.before_id)
    ordered = _in_dependency_order(chosen)
    _schedule(ordered, chosen)
    return ordered


def _in_dependency_order(chosen: dict[int, Advice]) -> list[Advice]:
    """Kahn's algorithm; among those ready, the first rule first. A cycle (refused when
    saved, see ``services``) would leave services out: they follow in rule order."""
    rank = {sid: i for i, sid in enumerate(chosen)}
    waiting = {sid: set(a.after) for sid, a in chosen.items()}
    ready = [(rank[sid], sid) for sid, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Advice] = []
    while ready:
        _ready_at, sid = heapq.heappop(ready)
        ordered.append(chosen[sid])
        for other, deps in waiting.items():
            if sid in deps:
                deps.discard(sid)
                if not deps:
                    heapq.heappush(ready, (rank[other], other))
    placed = {id(a) for a in ordered}
    ordered.extend(a for a in chosen.values() if id(a) not in placed)
    return ordered


def _schedule(ordered: list[Advice], chosen: dict[int, Advice]) -> None:
    """Working days until each is decided when independent applications run side by
    side: its own days after the latest of what must come first (critical path)."""
    for advice in ordered:
        start = max((chosen[b].earliest_day for b in advice.after), default=0)
        advice.earliest_day = start + int(advice.service.processing_days or 0)
