"""A service with a published satisfaction survey, and invitations to answer it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bizportal.catalog.models import Service
from bizportal.surveys import services
from bizportal.surveys.models import Invitation, Question, SurveyVersion
from tests.factories import ApplicantFactory, ServiceFactory, StaffFactory

QUESTIONS: list[dict[str, Any]] = [
    {"code": "overall", "kind": "rating", "text_th": "ความพึงพอใจโดยรวม", "text_en": "Overall"},
    {
        "code": "channel",
        "kind": "single",
        "text_th": "ท่านยื่นคำขอทางใด",
        "text_en": "How did you apply?",
        "choices": [
            {"code": "online", "th": "ออนไลน์", "en": "Online"},
            {"code": "counter", "th": "ที่ศูนย์บริการ", "en": "At a counter"},
        ],
    },
    {
        "code": "liked",
        "kind": "multiple",
        "text_th": "ท่านชอบอะไร",
        "text_en": "What did you like?",
        "required": False,
        "choices": [
            {"code": "speed", "th": "ความรวดเร็ว", "en": "Speed"},
            {"code": "staff", "th": "เจ้าหน้าที่", "en": "Staff"},
            {"code": "clarity", "th": "ความชัดเจน", "en": "Clarity"},
        ],
    },
    {
        "code": "comment",
        "kind": "text",
        "text_th": "ข้อเสนอแนะ",
        "text_en": "Suggestions",
        "required": False,
        "max_length": 50,
    },
]

GOOD = {"overall": ["5"], "channel": ["online"], "liked": ["speed", "staff"], "comment": ["ดีมาก"]}


def admin_user() -> Any:
    return StaffFactory(roles=["platform_admin"], is_superuser=True, is_staff=True)


def design(
    service: Service, actor: Any = None, questions: list[dict[str, Any]] | None = None
) -> SurveyVersion:
    """A published version of ``service``'s survey with ``questions``."""
    draft = services.draft_for(service, actor=actor)
    draft.questions.all().delete()
    for position, fields in enumerate(questions or QUESTIONS, start=1):
        Question.objects.create(version=draft, position=position, **fields)
    return services.publish(draft, actor=actor)


def invitation_for(service: Service, *, user: Any = "new", email: str = "") -> Invitation:
    """An invitation about a closed complaint (no licence journey needed)."""
    person = ApplicantFactory() if user == "new" else user
    invitation = services.invite_for_complaint(
        service,
        f"C-{uuid.uuid4().hex[:8]}",
        services.Invitee(user=person, email=email),
        event_id=uuid.uuid4(),
    )
    assert invitation is not None
    return invitation


@pytest.fixture
def surveyed() -> Service:
    service = ServiceFactory()
    design(service, admin_user())
    return service
