"""The advisor's state changes: its questionnaire loaded and checked, advice computed
with fees and days, and bundles of applications started from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bizportal.applications import services as applications
from bizportal.applications.models import Application
from bizportal.catalog.models import Service
from bizportal.core import audit
from bizportal.rules import feel
from bizportal.rules.services import FeeRuleError, calculate_fee

from . import engine
from .models import Bundle, BundleItem, Prerequisite, Question, Recommendation

QUESTIONNAIRE = Path(__file__).resolve().parent / "fixtures" / "questionnaire.json"


class AdvisorError(Exception):
    """The questionnaire or a bundle cannot be used; the message is Thai / English."""


# --- the questionnaire -----------------------------------------------------------------


def questions() -> list[Question]:
    return list(Question.objects.filter(is_active=True))


def rules() -> list[Recommendation]:
    return list(
        Recommendation.objects.filter(is_active=True, service__is_published=True).select_related(
            "service__agency"
        )
    )


def prerequisites() -> list[Prerequisite]:
    return list(Prerequisite.objects.all())


def check_condition(expression: str) -> None:
    """Refuse a condition that is not FEEL, naming it (admin forms and the loader)."""
    if expression.strip():
        try:
            feel.check_expression(expression)
        except feel.FeelError as error:
            raise ValidationError(
                _("Not a valid FEEL condition: %(error)s") % {"error": error}
            ) from error


def check_no_cycle(links: list[tuple[int, int]]) -> None:
    """``(before, service)`` pairs must not loop, or no order could satisfy them."""
    graph: dict[int, set[int]] = {}
    for before, service in links:
        graph.setdefault(before, set()).add(service)
    visiting: set[int] = set()
    done: set[int] = set()

    def visit(node: int) -> None:
        if node in done:
            return
        if node in visiting:
            raise ValidationError(_("The prerequisites form a loop"))
        visiting.add(node)
        for nxt in graph.get(node, ()):
            visit(nxt)
        visiting.discard(node)
        done.add(node)

    for node in list(graph):
        visit(node)


@transaction.atomic
def load_questionnaire(path: Path = QUESTIONNAIRE) -> dict[str, int]:
    """Create or update the shipped questions, rules and prerequisites (idempotent).
    Rules and prerequisites naming a service the catalogue does not have are skipped."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for order, entry in enumerate(data["questions"]):
        check_condition(entry.get("ask_when", ""))
        fields = {k: v for k, v in entry.items() if k != "code"}
        Question.objects.update_or_create(code=entry["code"], defaults={"order": order, **fields})
    services = {s.slug: s for s in Service.objects.filter(slug__in=_slugs(data))}
    kept = 0
    Recommendation.objects.all().delete()
    for order, entry in enumerate(data["rules"]):
        service = services.get(entry["service"])
        if service is None:
            continue
        check_condition(entry["when"])
        fields = {k: v for k, v in entry.items() if k != "service"}
        Recommendation.objects.create(service=service, order=order, **fields)
        kept += 1
    links = [
        (services[before], services[after])
        for before, after in data["prerequisites"]
        if before in services and after in services
    ]
    check_no_cycle([(b.pk, a.pk) for b, a in links])
    for before, after in links:
        Prerequisite.objects.get_or_create(service=after, before=before)
    audit.record("advisor.questionnaire_loaded", ("advisor", "questionnaire"), rules=kept)
    return {"questions": len(data["questions"]), "rules": kept, "prerequisites": len(links)}


def _slugs(data: dict[str, Any]) -> set[str]:
    slugs = {entry["service"] for entry in data["rules"]}
    for before, after in data["prerequisites"]:
        slugs |= {before, after}
    return slugs


# --- advice ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fee:
    """What a service costs: exact from its fee table, or the smallest listed amount."""

    amount: Decimal | None
    exact: bool


@dataclass(frozen=True)
class Result:
    advice: list[engine.Advice]
    fees: dict[int, Fee]
    unanswered: list[Question]

    @property
    def fee_total(self) -> Decimal:
        return sum((f.amount for f in self.fees.values() if f.amount is not None), Decimal(0))

    @property
    def fees_unknown(self) -> int:
        return sum(1 for f in self.fees.values() if f.amount is None)

    @property
    def days_one_by_one(self) -> int:
        return sum(int(a.service.processing_days or 0) for a in self.advice)

    @property
    def days_side_by_side(self) -> int:
        return max((a.earliest_day for a in self.advice), default=0)


def advise(answers: dict[str, Any]) -> Result:
    """Advice for cleaned answers (see :func:`engine.check_answers`)."""
    asked = questions()
    advice = engine.recommend(rules(), prerequisites(), asked, answers)
    given = engine.relevant(asked, answers)
    fees = {a.service.pk: fee_for(a.service, given) for a in advice}
    unanswered = [q for q in engine.applicable(asked, given) if q.code not in given]
    return Result(advice, fees, unanswered)


def fee_for(service: Service, answers: dict[str, Any]) -> Fee:
    """The fee table's answer when Biz Portal takes the application and the answers
    cover its inputs; otherwise the smallest amount the citizen manual lists."""
    if service.channel in Service.PORTAL_CHANNELS and service.fee_table:
        try:
            return Fee(calculate_fee(service, answers), exact=True)
        except FeeRuleError:
            pass
    amounts = [
        Decimal(str(item["amount"]))
        for item in service.fee_items or []
        if isinstance(item, dict) and item.get("amount") not in (None, "")
    ]
    return Fee(min(amounts) if amounts else None, exact=False)


# --- bundles ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    bundle: Bundle | None
    refused: list[tuple[Service, str]]


@transaction.atomic
def start_bundle(applicant: Any, party: Any, answers: dict[str, Any]) -> Started:
    """Start, together, a draft for every recommended service Biz Portal takes, in
    the advised order, each prefilled with the advisor answers its form asks for.
    A service that refuses this applicant (assurance, who may apply) is reported and
    the others start; nothing starts when none can."""
    result = advise(answers)
    portal = [a.service for a in result.advice if a.service.channel in Service.PORTAL_CHANNELS]
    if not portal:
        raise AdvisorError(_("None of the advised services is applied for through Biz Portal"))
    refused: list[tuple[Service, str]] = []
    started: list[Application] = []
    for service in portal:
        try:
            with transaction.atomic():
                draft = applications.start_application(service, applicant, party=party)
                _prefill(draft, answers, applicant)
        except (ValidationError, *applications.refusals()) as error:  # type: ignore[misc]
            refused.append((service, str(error)))
            continue
        started.append(draft)
    if not started:
        return Started(None, refused)
    bundle = Bundle.objects.create(applicant=applicant, party=party, answers=answers)
    BundleItem.objects.bulk_create(
        BundleItem(bundle=bundle, application=draft, order=n) for n, draft in enumerate(started)
    )
    audit.record(
        "advisor.bundle_started",
        bundle,
        actor=applicant,
        services=[d.service.slug for d in started],
        refused=[s.slug for s, _ in refused],
    )
    return Started(bundle, refused)


def _prefill(draft: Application, answers: dict[str, Any], actor: Any) -> None:
    properties = applications.bundle_of(draft).form_schema.get("properties", {})
    matching = {k: v for k, v in answers.items() if k in properties}
    if matching:
        applications.save_answers(draft, {**draft.data, **matching}, actor=actor)


def shared_fields(bundle: Bundle) -> list[str]:
    """Form fields two or more of the bundle's open drafts ask for and the person types
    (not identity fields filled from Digital ID): asked once on the bundle's page."""
    counts: dict[str, int] = {}
    for draft in bundle_drafts(bundle):
        chosen = applications.bundle_of(draft)
        locked = {
            name for name, ui in chosen.ui_schema.get("fields", {}).items() if ui.get("readonly")
        }
        for name in chosen.form_schema.get("properties", {}):
            if name not in locked:
                counts[name] = counts.get(name, 0) + 1
    return [name for name, n in counts.items() if n >= 2]


def bundle_drafts(bundle: Bundle) -> list[Application]:
    return [
        item.application
        for item in bundle.items.select_related("application__service")
        if applications.is_editable(item.application)
    ]


@transaction.atomic
def save_shared_answers(bundle: Bundle, answers: dict[str, Any], *, actor: Any) -> None:
    """Write the shared answers into every open draft of the bundle that asks for
    them, all or none: a value one draft refuses leaves every draft as it was."""
    names = set(shared_fields(bundle))
    unknown = sorted(set(answers) - names)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, _("Not a shared question")))
    for draft in bundle_drafts(bundle):
        properties = applications.bundle_of(draft).form_schema.get("properties", {})
        mine = {k: v for k, v in answers.items() if k in properties}
        if mine:
            applications.save_answers(draft, {**draft.data, **mine}, actor=actor)
    audit.record("advisor.shared_answers_saved", bundle, actor=actor, fields=sorted(answers))
