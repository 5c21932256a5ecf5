"""Invitations and answers: a licence issued invites the applicant, a closed complaint
the person who complained (by email only, without an account); one answer each, and
every wrong answer refused with a message in Thai and English."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from bizportal.core import events, outbox
from bizportal.core.models import DomainEvent
from bizportal.notifications.models import Notification
from bizportal.surveys import services, subscribers
from bizportal.surveys.models import Answer, Invitation, Response
from tests import journeys
from tests.factories import ApplicantFactory

from .conftest import GOOD, invitation_for

pytestmark = pytest.mark.django_db


def _link_path(invitation: Invitation) -> str:
    return reverse("surveys:answer", args=[services.token_for(invitation)])


def test_a_licence_issued_invites_the_applicant_once(surveyed: Any) -> None:
    application = journeys.issued(surveyed, ApplicantFactory())
    outbox.deliver_pending(limit=1000)
    invitation = Invitation.objects.get(application=application)
    assert invitation.trigger == "licence" and invitation.user == application.applicant
    message = Notification.objects.get(key="survey_invitation", user=application.applicant)
    # (the token is timestamped: compare up to the invitation's id)
    assert f"/surveys/{invitation.public_id}:" in message.link
    assert services.invitation_for_token(message.link.split("/")[-2]) == invitation
    assert message.application_reference == application.reference
    # A redelivered event invites nobody twice.
    assert services.invite_for_application(application, event_id=uuid.uuid4()) is None
    assert Invitation.objects.filter(application=application).count() == 1


def test_no_survey_no_invitation() -> None:
    application = journeys.issued()
    outbox.deliver_pending(limit=1000)
    assert not Invitation.objects.filter(application=application).exists()


def test_a_closed_complaint_invites_by_email_and_the_link_answers_without_an_account(
    surveyed: Any,
) -> None:
    assert (
        events.subscriber_named("contact.complaint_closed", "surveys.invite_after_complaint")
        is subscribers.invite_after_complaint
    )
    event = DomainEvent.objects.create(
        name="contact.complaint_closed",
        subject_type="contact.complaint",
        subject_id="CP-2569-000001",
        payload={
            "complaint": "CP-2569-000001",
            "person": None,
            "email": "walkin@example.com",
            "service": surveyed.slug,
        },
    )
    mail.outbox.clear()
    subscribers.invite_after_complaint(event)
    invitation = Invitation.objects.get(complaint="CP-2569-000001")
    assert invitation.user is None and invitation.email == "walkin@example.com"
    (sent,) = mail.outbox
    assert sent.to == ["walkin@example.com"]
    assert f"/surveys/{invitation.public_id}:" in sent.body

    client = Client()
    path = _link_path(invitation)
    page = client.get(path)
    assert page.status_code == 200 and "ความพึงพอใจโดยรวม" in page.content.decode()
    done = client.post(path, GOOD)
    assert done.status_code == 200 and "ขอบคุณ" in done.content.decode()
    response = Response.objects.get(invitation=invitation)
    answers = {a.question.code: a for a in Answer.objects.filter(response=response)}
    assert answers["overall"].rating == 5 and answers["channel"].choices == ["online"]
    assert answers["liked"].choices == ["speed", "staff"] and answers["comment"].text == "ดีมาก"

    again = client.post(path, GOOD)
    assert again.status_code == 409
    assert "ท่านตอบแบบสำรวจนี้แล้ว" in again.content.decode()
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_a_second_answer_is_refused_even_when_it_races_the_first(surveyed: Any) -> None:
    invitation = invitation_for(surveyed)
    services.answer(invitation, GOOD)
    with pytest.raises(services.SurveyRefusal) as refused:
        services.answer(invitation, GOOD)
    assert refused.value.code == "already_answered" and refused.value.status == 409
    # The racing request passed the check before the first committed: the database's
    # unique answer per invitation refuses it all the same.
    Invitation.objects.filter(pk=invitation.pk).update(answered_at=None)
    with pytest.raises(services.SurveyRefusal) as raced:
        services.answer(invitation, GOOD)
    assert raced.value.code == "already_answered"
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_one_answer_per_application_is_a_database_rule(surveyed: Any) -> None:
    application = journeys.issued(surveyed, ApplicantFactory())
    outbox.deliver_pending(limit=1000)
    first = services.answer(Invitation.objects.get(application=application), GOOD)
    other = invitation_for(surveyed)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            invitation=other,
            application=application,
            version=first.version,
            agency_id=first.agency_id,
            service_id=first.service_id,
        )


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"overall": []}, "overall", "Please answer this question"),
        ({"overall": ["6"]}, "overall", "Give a whole-number rating from 1 to 5"),
        ({"overall": ["0"]}, "overall", "Give a whole-number rating from 1 to 5"),
        ({"overall": ["4.5"]}, "overall", "Give a whole-number rating from 1 to 5"),
        ({"channel": ["fax"]}, "channel", "“fax” is not a choice of this question"),
        ({"channel": ["online", "counter"]}, "channel", "Choose only one"),
        ({"liked": ["speed", "bribes"]}, "liked", "“bribes” is not a choice of this question"),
        ({"comment": ["ก" * 51]}, "comment", "longer than 50 characters (51)"),
    ],
)
def test_bad_answers_are_refused_with_a_message_per_question(
    surveyed: Any, changes: dict[str, list[str]], code: str, message: str
) -> None:
    invitation = invitation_for(surveyed)
    with translation.override("en"), pytest.raises(services.AnswersInvalid) as invalid:
        services.answer(invitation, {**GOOD, **changes})
    assert list(invalid.value.errors) == [code]
    assert message in invalid.value.errors[code]
    with pytest.raises(services.AnswersInvalid) as invalid:
        services.answer(invitation, {**GOOD, **changes})
    thai = invalid.value.errors[code]
    assert re.search("[\u0e00-\u0e7f]", thai) and message not in thai  # Thai by default
    page = Client().post(_link_path(invitation), {**GOOD, **changes})
    assert page.status_code == 400
    body = page.content.decode()
    assert thai in body or html.escape(thai) in body
    assert 'class="error-summary"' in body and f'href="#q-{code}"' in body
    assert not Response.objects.filter(invitation=invitation).exists()


def test_a_forged_or_expired_link_answers_nothing(surveyed: Any, settings: Any) -> None:
    invitation = invitation_for(surveyed)
    path = _link_path(invitation)
    forged = path[:-3] + ("aaa" if not path.endswith("aaa/") else "bbb") + "/"
    assert Client().get(forged).status_code == 404
    settings.SURVEY_INVITATION_DAYS = 30
    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        expired = Client().post(path, GOOD)
    assert expired.status_code == 410 and "หมดอายุ" in expired.content.decode()
    assert not Response.objects.exists()


def test_a_survey_changed_while_answering_is_refused(surveyed: Any) -> None:
    invitation = invitation_for(surveyed)
    with pytest.raises(services.SurveyRefusal) as refused:
        services.answer(invitation, GOOD, version_id=uuid.uuid4())
    assert refused.value.code == "survey_changed"
