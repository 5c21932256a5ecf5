"""Designing a survey: drafts are edited, a published version never changes, editing
makes a new draft (a copy), publishing retires the previous version."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from bizportal.core.models import AuditEvent
from bizportal.surveys import services
from bizportal.surveys.models import Question, SurveyVersion
from tests.factories import ServiceFactory, StaffFactory

from .conftest import GOOD, admin_user, design, invitation_for

pytestmark = pytest.mark.django_db


def test_publish_then_edit_makes_a_new_version_and_answers_keep_theirs() -> None:
    service = ServiceFactory()
    admin = admin_user()
    first = design(service, admin)
    assert (first.number, first.status) == (1, "live")
    with pytest.raises(services.SurveyRefusal) as refused:
        services.require_draft(first)
    assert refused.value.code == "version_published"
    assert "เผยแพร่แล้ว" in str(refused.value)
    with translation.override("en"), pytest.raises(services.SurveyRefusal) as refused:
        services.require_draft(first)
    assert "create a new draft" in str(refused.value)
    answered = services.answer(invitation_for(service), GOOD)
    assert answered.version == first

    draft = services.draft_for(service, actor=admin)
    assert (draft.number, draft.status) == (2, "draft")
    assert list(draft.questions.values_list("code", flat=True)) == list(
        first.questions.values_list("code", flat=True)
    )
    assert services.draft_for(service, actor=admin) == draft  # one open draft
    Question.objects.filter(version=draft, code="comment").update(text_en="Anything else?")
    second = services.publish(draft, actor=admin)

    first.refresh_from_db()
    assert (first.status, second.status) == ("retired", "live")
    assert first.questions.get(code="comment").text_en == "Suggestions"  # unchanged
    answered.refresh_from_db()
    assert answered.version == first
    assert services.answer(invitation_for(service), GOOD).version == second
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"surveys.draft_created", "surveys.version_published", "surveys.answered"} <= actions


def test_a_draft_without_questions_or_with_bad_choices_is_not_published() -> None:
    service = ServiceFactory()
    draft = services.draft_for(service, actor=None)
    with pytest.raises(services.SurveyRefusal, match="ยังไม่มีคำถาม"):
        services.publish(draft, actor=None)
    with translation.override("en"), pytest.raises(services.SurveyRefusal, match="no questions"):
        services.publish(draft, actor=None)
    Question.objects.create(
        version=draft,
        code="pick",
        kind="single",
        text_th="เลือก",
        text_en="Pick",
        choices=[{"code": "a", "th": "ก", "en": "A"}],
    )
    with pytest.raises(services.SurveyRefusal, match="ต้องมีตัวเลือกอย่างน้อย 2 ข้อ"):
        services.publish(draft, actor=None)
    english = translation.override("en")
    with english, pytest.raises(services.SurveyRefusal, match="at least two choices"):
        services.publish(draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_admin_creates_a_draft_and_refuses_to_change_a_published_version() -> None:
    service = ServiceFactory()
    client = Client()
    client.force_login(admin_user())
    response = client.post(
        reverse("admin:surveys_survey_add"),
        {"service": service.pk, "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = SurveyVersion.objects.get(survey__service=service)
    assert draft.status == "draft" and response["Location"].endswith(f"/{draft.pk}/change/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    live = design(service)
    form = client.get(reverse("admin:surveys_surveyversion_change", args=[live.pk]))
    assert form.status_code == 200
    refused = client.post(
        reverse("admin:surveys_surveyversion_change", args=[live.pk]),
        {"intro_th": "แก้", "intro_en": "changed"},
        follow=True,
    )
    assert "เผยแพร่แล้ว แก้ไขไม่ได้" in refused.content.decode()
    live.refresh_from_db()
    assert live.intro_en == ""


def test_an_agency_admin_sees_only_their_agencys_surveys_in_the_admin() -> None:
    ours, theirs = ServiceFactory(), ServiceFactory()
    design(ours)
    design(theirs)
    staff = StaffFactory(agency=ours.agency, roles=["agency_admin"], is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="surveys"))
    client = Client()
    client.force_login(staff)
    listing = client.get(reverse("admin:surveys_surveyversion_changelist")).content.decode()
    assert ours.slug in listing and theirs.slug not in listing
