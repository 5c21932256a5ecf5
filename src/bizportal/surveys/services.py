"""Every change to surveys: design (drafts, publishing), invitations and answers.

Each change and its audit record are written in one transaction. The rules a person
can break (a missing answer, a rating out of range, a second answer) are refused with
a message in the reader's language and a stable code, which the pages show to people and
the API turns into problem+json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bizportal.applications.models import Application
from bizportal.catalog.models import Service
from bizportal.core import audit
from bizportal.notifications.models import Audience
from bizportal.notifications.services import Recipient, notify

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
    Trigger,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TOKEN_SALT = "bizportal.surveys.invitation"  # noqa: S105 (a salt, not a secret)
MESSAGE_KEY = "survey_invitation"


class SurveyRefusal(ValueError):
    """A refused change: ``code`` for machines, ``str()`` in the reader's language for
    people."""

    def __init__(self, code: str, message: StrOrPromise, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class AnswersInvalid(SurveyRefusal):
    """Some answers are wrong: ``errors`` maps each question's code to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid_answers", _("Please correct the answers shown"), 400)
        self.errors = errors


ALREADY_ANSWERED = (
    "already_answered",
    _("This survey has already been answered, thank you"),
)


# --- Design ------------------------------------------------------------------------


def draft_for(service: Service, *, actor: Any) -> SurveyVersion:
    """The service's draft version to edit: the open draft, else a new one copying the
    live (or latest) version's questions. Published versions are never edited."""
    with transaction.atomic():
        survey, _ = Survey.objects.get_or_create(service=service)
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        draft = survey.versions.filter(status=SurveyVersion.Status.DRAFT).first()
        if draft is not None:
            return draft
        latest = survey.versions.order_by("-number").first()
        draft = SurveyVersion.objects.create(
            survey=survey,
            number=(latest.number + 1) if latest else 1,
            intro_th=latest.intro_th if latest else "",
            intro_en=latest.intro_en if latest else "",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if latest is not None:
            Question.objects.bulk_create(
                [_copy(question, draft) for question in latest.questions.all()]
            )
        audit.record(
            "surveys.draft_created",
            draft,
            actor=actor,
            service=service.slug,
            number=draft.number,
            copied_from=latest.number if latest else None,
        )
        return draft


def _copy(question: Question, version: SurveyVersion) -> Question:
    return Question(
        version=version,
        position=question.position,
        code=question.code,
        kind=question.kind,
        text_th=question.text_th,
        text_en=question.text_en,
        required=question.required,
        choices=list(question.choices),
        max_length=question.max_length,
    )


def require_draft(version: SurveyVersion) -> None:
    """Refuse any edit of a published version."""
    if not version.is_draft:
        raise SurveyRefusal(
            "version_published",
            gettext("Version %(number)s is published and cannot change; create a new draft")
            % {"number": version.number},
            409,
        )


def question_problems(question: Question) -> list[str]:
    """What is wrong with one question's definition (empty when it is fine)."""
    problems = []
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        codes = question.choice_codes
        if len(codes) < 2:
            problems.append(
                gettext("question %(code)s: give at least two choices") % {"code": question.code}
            )
        if len(set(codes)) != len(codes):
            problems.append(
                gettext("question %(code)s: choice codes repeat") % {"code": question.code}
            )
        if any(not (c.get("th") and c.get("en")) for c in question.choices):
            problems.append(
                gettext("question %(code)s: every choice needs a Thai and an English text")
                % {"code": question.code}
            )
    elif question.choices:
        problems.append(
            gettext("question %(code)s: this kind of question has no choices")
            % {"code": question.code}
        )
    return problems


def publish(version: SurveyVersion, *, actor: Any) -> SurveyVersion:
    """Make a checked draft the live version; the previous live version retires (its
    answers keep pointing to it)."""
    with transaction.atomic():
        Survey.objects.select_for_update().get(pk=version.survey_id)
        version = SurveyVersion.objects.select_related("survey__service").get(pk=version.pk)
        require_draft(version)
        questions = list(version.questions.all())
        if not questions:
            raise SurveyRefusal(
                "no_questions",
                _("The draft has no questions yet"),
            )
        problems = [problem for question in questions for problem in question_problems(question)]
        if problems:
            raise SurveyRefusal("bad_question", "; ".join(problems))
        previous = SurveyVersion.objects.filter(
            survey_id=version.survey_id, status=SurveyVersion.Status.LIVE
        ).first()
        if previous is not None:
            previous.status = SurveyVersion.Status.RETIRED
            previous.save(update_fields=["status"])
        version.status = SurveyVersion.Status.LIVE
        version.published_at = timezone.now()
        version.published_by = actor if getattr(actor, "is_authenticated", False) else None
        version.save(update_fields=["status", "published_at", "published_by"])
        audit.record(
            "surveys.version_published",
            version,
            actor=actor,
            service=version.survey.service.slug,
            number=version.number,
            retired=previous.number if previous else None,
            questions=[q.code for q in questions],
        )
        return version


def live_version(survey: Survey) -> SurveyVersion | None:
    return survey.versions.filter(status=SurveyVersion.Status.LIVE).first()


# --- Invitations ----------------------------------------------------------------------


def token_for(invitation: Invitation) -> str:
    """The signed token of the invitation's link (nothing secret is stored)."""
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(str(invitation.public_id))


def link_for(invitation: Invitation) -> str:
    return settings.BASE_URL + reverse("surveys:answer", args=[token_for(invitation)])


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link names; refused when forged or older than
    ``SURVEY_INVITATION_DAYS``."""
    max_age = dt.timedelta(days=settings.SURVEY_INVITATION_DAYS)
    try:
        public_id = signing.TimestampSigner(salt=TOKEN_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise SurveyRefusal(
            "invitation_expired",
            _("This survey link has expired"),
            410,
        ) from None
    except signing.BadSignature:
        raise SurveyRefusal("invitation_unknown", _("This survey link is not valid"), 404) from None
    invitation = (
        Invitation.objects.select_related("survey__service__agency", "application")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None:
        raise SurveyRefusal("invitation_unknown", _("This survey link is not valid"), 404)
    return invitation


@dataclass(frozen=True)
class Invitee:
    """Who is invited: a person with an account, or only an email address."""

    user: Any = None
    email: str = ""

    def recipient(self) -> Recipient | None:
        if self.user is not None:
            return Recipient(user=self.user, email=self.email)
        return Recipient(mailbox=self.email) if self.email else None


def invite_for_application(application: Application, *, event_id: Any) -> Invitation | None:
    """Invite the applicant once the licence is issued (once per application); nothing
    when the service has no live survey."""
    invitee = Invitee(user=application.applicant, email=str(application.data.get("email") or ""))
    return _invite(
        application.service,
        invitee,
        event_id=event_id,
        trigger=Trigger.LICENCE,
        application=application,
        reference=application.reference or "",
    )


def invite_for_complaint(
    service: Service, complaint: str, invitee: Invitee, *, event_id: Any
) -> Invitation | None:
    """Invite the person who complained once the complaint is closed (once per complaint)."""
    return _invite(
        service,
        invitee,
        event_id=event_id,
        trigger=Trigger.COMPLAINT,
        complaint=complaint,
        reference="",
    )


def _invite(
    service: Service,
    invitee: Invitee,
    *,
    event_id: Any,
    trigger: str,
    reference: str,
    application: Application | None = None,
    complaint: str = "",
) -> Invitation | None:
    survey = Survey.objects.filter(service=service).first()
    if survey is None or live_version(survey) is None or invitee.recipient() is None:
        return None
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                survey=survey,
                agency_id=service.agency_id,
                trigger=trigger,
                application=application,
                complaint=complaint,
                user=invitee.user,
                email=invitee.email,
            )
    except IntegrityError:
        return None  # invited already (a redelivered event)
    audit.record(
        "surveys.invited",
        invitation,
        actor_label="Biz Portal",
        service=service.slug,
        trigger=trigger,
        application=reference,
        complaint=complaint,
    )
    link = link_for(invitation)
    notify(
        event_id,
        MESSAGE_KEY,
        Audience.APPLICANT,
        [invitee.recipient()],  # type: ignore[list-item]
        invitation_context(invitation, link),
        link=link,
        application_reference=reference,
    )
    return invitation


def invitation_context(invitation: Invitation, link: str) -> dict[str, Any]:
    """The documented variables of the invitation message (see the catalogue's sample)."""
    service = invitation.survey.service
    user = invitation.user
    return {
        "service": {"name_th": service.name_th, "name_en": service.name_en},
        "agency": {"name_th": service.agency.name_th, "name_en": service.agency.name_en},
        "display_name": user.display_name if user is not None else "",
        "complaint": invitation.trigger == Trigger.COMPLAINT,
        "link": link,
    }


# --- Answers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cleaned:
    question: Question
    rating: int | None = None
    choices: tuple[str, ...] = ()
    text: str = ""

    @property
    def empty(self) -> bool:
        return self.rating is None and not self.choices and not self.text


MISSING = _("Please answer this question")


def clean_answers(
    questions: Sequence[Question], data: Mapping[str, Sequence[str]]
) -> list[Cleaned]:
    """Each question's answer from ``data`` (code -> submitted values), or
    :class:`AnswersInvalid` naming every wrong one."""
    cleaned: list[Cleaned] = []
    errors: dict[str, str] = {}
    for question in questions:
        values = [str(v).strip() for v in data.get(question.code, ()) if str(v).strip()]
        try:
            answer = _clean_one(question, values)
        except ValueError as error:
            errors[question.code] = str(error)
            continue
        if answer.empty and question.required:
            errors[question.code] = str(MISSING)
        elif not answer.empty:
            cleaned.append(answer)
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def _clean_one(question: Question, values: list[str]) -> Cleaned:
    if not values:
        return Cleaned(question)
    if question.kind == QuestionKind.RATING:
        return Cleaned(question, rating=_rating(values))
    if question.kind == QuestionKind.TEXT:
        text = "\n".join(values)
        if len(text) > question.max_length:
            raise ValueError(
                gettext("The answer is longer than %(limit)s characters (%(length)s)")
                % {"limit": question.max_length, "length": len(text)}
            )
        return Cleaned(question, text=text)
    unknown = [v for v in values if v not in question.choice_codes]
    if unknown:
        raise ValueError(
            gettext("“%(value)s” is not a choice of this question") % {"value": unknown[0][:40]}
        )
    if question.kind == QuestionKind.SINGLE and len(values) > 1:
        raise ValueError(_("Choose only one"))
    return Cleaned(question, choices=tuple(dict.fromkeys(values)))


def _rating(values: list[str]) -> int:
    bad = ValueError(
        gettext("Give a whole-number rating from %(low)s to %(high)s")
        % {"low": RATING_MIN, "high": RATING_MAX}
    )
    if len(values) != 1 or not values[0].isdigit():
        raise bad
    rating = int(values[0])
    if not RATING_MIN <= rating <= RATING_MAX:
        raise bad
    return rating


def answer(
    invitation: Invitation,
    data: Mapping[str, Sequence[str]],
    *,
    version_id: Any = None,
    actor: Any = None,
) -> Response:
    """Record the answers to ``invitation`` on the live version, once: a second answer
    (also one racing this one) is refused with ``already_answered``."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.answered_at is not None:
            raise SurveyRefusal(*ALREADY_ANSWERED, status=409)
        version = _answerable_version(locked, version_id)
        cleaned = clean_answers(list(version.questions.all()), data)
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    invitation=locked,
                    application_id=locked.application_id,
                    version=version,
                    agency_id=locked.agency_id,
                    service_id=version.survey.service_id,
                )
        except IntegrityError:
            raise SurveyRefusal(*ALREADY_ANSWERED, status=409) from None
        Answer.objects.bulk_create(
            [
                Answer(
                    response=response,
                    question=item.question,
                    rating=item.rating,
                    choices=list(item.choices),
                    text=item.text,
                )
                for item in cleaned
            ]
        )
        locked.answered_at = response.submitted_at
        locked.save(update_fields=["answered_at"])
        audit.record(
            "surveys.answered",
            response,
            actor=actor,
            actor_label="" if getattr(actor, "is_authenticated", False) else "invitation link",
            invitation=str(locked.public_id),
            version=version.number,
            answered=len(cleaned),
        )
        return response


def _answerable_version(invitation: Invitation, version_id: Any) -> SurveyVersion:
    version = (
        SurveyVersion.objects.select_related("survey")
        .filter(survey_id=invitation.survey_id, status=SurveyVersion.Status.LIVE)
        .first()
    )
    if version is None:
        raise SurveyRefusal("survey_closed", _("This survey is closed"), 410)
    if version_id is not None and str(version_id) != str(version.public_id):
        raise SurveyRefusal(
            "survey_changed",
            _("The survey was updated while you answered; please answer again"),
            409,
        )
    return version
