"""Survey results for reports: per agency, service, version and question.

Why a fixed number of queries: the results page and its CSV export cost the same for
ten answers or a hundred thousand. Ratings are counted by the database (grouped by
question and value); choices are stored as lists, so their counts are summed here from
one narrow query of the choice answers.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from bizportal.core.db import reporting_db

from .models import (
    RATING_MAX,
    RATING_MIN,
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyVersion,
)

#: How many of the latest free-text answers the results page shows per question.
LATEST_TEXTS = 10


@dataclass
class Option:
    code: str
    th: str
    en: str
    count: int = 0
    share: float = 0.0


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    average: float | None = None
    options: list[Option] = field(default_factory=list)
    texts: list[Answer] = field(default_factory=list)


@dataclass
class Results:
    surveys: list[Survey]
    survey: Survey | None = None
    versions: list[SurveyVersion] = field(default_factory=list)
    version: SurveyVersion | None = None
    invited: int = 0
    responses: int = 0
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.invited, 1) if self.invited else None


def surveys_of(agency_id: int) -> QuerySet[Survey]:
    return (
        Survey.objects.using(reporting_db())
        .filter(service__agency_id=agency_id)
        .select_related("service")
        .order_by("service__name_th", "pk")
    )


def results(agency_id: int, service: str = "", version: str = "") -> Results:
    """The agency's results for one service's survey (``service`` slug; default the
    first) on one version (``version`` number; default the live, else the newest)."""
    db = reporting_db()
    surveys = list(surveys_of(agency_id))
    found = Results(surveys=surveys)
    chosen = next(
        (s for s in surveys if s.service.slug == service), surveys[0] if surveys else None
    )
    if chosen is None:
        return found
    found.survey = chosen
    found.versions = list(
        SurveyVersion.objects.using(db).filter(survey=chosen).exclude(status="draft")
    )
    found.version = next((v for v in found.versions if str(v.number) == version), None) or next(
        (v for v in found.versions if v.status == SurveyVersion.Status.LIVE),
        found.versions[0] if found.versions else None,
    )
    if found.version is None:
        return found
    found.invited = Invitation.objects.using(db).filter(survey=chosen, agency_id=agency_id).count()
    found.responses = (
        Response.objects.using(db).filter(version=found.version, agency_id=agency_id).count()
    )
    found.questions = _per_question(db, found.version, agency_id)
    return found


def _per_question(db: str, version: SurveyVersion, agency_id: int) -> list[QuestionResult]:
    questions = list(Question.objects.using(db).filter(version=version))
    answers = Answer.objects.using(db).filter(
        response__version=version, response__agency_id=agency_id
    )
    ratings: dict[int, Counter[int]] = defaultdict(Counter)
    for question_id, rating, n in (
        answers.filter(rating__isnull=False)
        .values_list("question_id", "rating")
        .annotate(n=Count("id"))
        .order_by()
    ):
        ratings[question_id][rating] = n
    chosen: dict[int, Counter[str]] = defaultdict(Counter)
    answered: Counter[int] = Counter()
    for question_id, codes in answers.filter(
        question__kind__in=[QuestionKind.SINGLE, QuestionKind.MULTIPLE]
    ).values_list("question_id", "choices"):
        answered[question_id] += 1
        chosen[question_id].update(codes)
    texts: dict[int, list[Answer]] = defaultdict(list)
    text_counts = dict(
        answers.filter(question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .values_list("question_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for text in _latest_texts(answers, questions):
        texts[text.question_id].append(text)
    return [
        _result(q, ratings[q.pk], chosen[q.pk], answered[q.pk], text_counts, texts[q.pk])
        for q in questions
    ]


def _latest_texts(answers: QuerySet[Answer], questions: list[Question]) -> list[Answer]:
    """The newest free-text answers, at most :data:`LATEST_TEXTS` per question: one query
    per free-text question of the version (a number fixed by the design, not the data)."""
    found: list[Answer] = []
    for question in questions:
        if question.kind == QuestionKind.TEXT:
            found.extend(
                answers.filter(question=question)
                .exclude(text="")
                .select_related("response")
                .order_by("-response__submitted_at", "-id")[:LATEST_TEXTS]
            )
    return found


def _result(
    question: Question,
    ratings: Counter[int],
    chosen: Counter[str],
    chose: int,
    text_counts: dict[int, int],
    texts: list[Answer],
) -> QuestionResult:
    result = QuestionResult(question=question, texts=texts)
    if question.kind == QuestionKind.RATING:
        result.answered = sum(ratings.values())
        if result.answered:
            total = sum(value * n for value, n in ratings.items())
            result.average = round(total / result.answered, 2)
        result.options = [
            Option(str(v), str(v), str(v), ratings[v]) for v in range(RATING_MIN, RATING_MAX + 1)
        ]
    elif question.kind == QuestionKind.TEXT:
        result.answered = text_counts.get(question.pk, 0)
    else:
        result.answered = chose
        result.options = [
            Option(str(c["code"]), c["th"], c["en"], chosen[str(c["code"])])
            for c in question.choices
        ]
    for option in result.options:
        option.share = round(100 * option.count / result.answered, 1) if result.answered else 0.0
    return result


CSV_HEADER = [
    "agency",
    "service",
    "version",
    "question",
    "question_th",
    "question_en",
    "kind",
    "answered",
    "average",
    "option",
    "option_th",
    "option_en",
    "count",
]


def results_csv(found: Results, agency_code: str) -> str:
    """The results as CSV, one row per question and option (no free texts: they may name
    people, and stay on the audited page)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    if found.survey is None or found.version is None:
        return out.getvalue()
    head = [agency_code, found.survey.service.slug, found.version.number]
    for item in found.questions:
        q = item.question
        first = [*head, q.code, q.text_th, q.text_en, q.kind, item.answered, item.average or ""]
        if not item.options:
            writer.writerow([*first, "", "", "", ""])
        for option in item.options:
            writer.writerow([*first, option.code, option.th, option.en, option.count])
    return out.getvalue()
