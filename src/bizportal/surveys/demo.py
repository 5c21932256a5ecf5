"""Demo surveys: a published questionnaire for the demo services, so the journeys'
licences invite their applicants (through the real subscriber, when the notifications
loader relays the journeys' events); then most invitations are answered, so the back
office's results page (``/backoffice/surveys/``) shows averages and comments. The first
demo person's invitations stay open, so she can answer one from her inbox.
"""

from __future__ import annotations

from typing import Any

from bizportal.catalog.models import Service
from bizportal.core import demo
from bizportal.core.outbox import deliver_pending
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import services
from .models import Invitation, Question, Survey

DEMO_SERVICES = (
    "food-shop-licence",
    "liquor-sale-licence",
    "factory-licence",
    "tour-business-licence",
    "commercial-registration",
)

CHANNELS = [
    {"code": "online", "th": "ยื่นออนไลน์ด้วยตนเอง", "en": "Online, myself"},
    {"code": "counter", "th": "ที่ศูนย์บริการ", "en": "At a service counter"},
    {"code": "agent", "th": "ผู้รับมอบอำนาจยื่นแทน", "en": "Through someone I authorised"},
]
LIKED = [
    {"code": "speed", "th": "ความรวดเร็ว", "en": "Speed"},
    {"code": "clarity", "th": "ขั้นตอนชัดเจน", "en": "Clear steps"},
    {"code": "staff", "th": "เจ้าหน้าที่ให้คำแนะนำดี", "en": "Helpful staff"},
    {"code": "fees", "th": "ชำระค่าธรรมเนียมสะดวก", "en": "Easy payment"},
]
DEMO_QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "overall",
        "kind": "rating",
        "text_th": "ท่านพึงพอใจบริการโดยรวมเพียงใด",
        "text_en": "How satisfied are you with the service overall?",
    },
    {
        "code": "time",
        "kind": "rating",
        "text_th": "ความพึงพอใจต่อระยะเวลาดำเนินการ",
        "text_en": "How satisfied are you with the time it took?",
    },
    {
        "code": "channel",
        "kind": "single",
        "text_th": "ท่านยื่นคำขอด้วยวิธีใด",
        "text_en": "How did you apply?",
        "choices": CHANNELS,
    },
    {
        "code": "liked",
        "kind": "multiple",
        "text_th": "สิ่งที่ท่านชอบ (เลือกได้หลายข้อ)",
        "text_en": "What did you like? (choose any)",
        "required": False,
        "choices": LIKED,
    },
    {
        "code": "comment",
        "kind": "text",
        "text_th": "ข้อเสนอแนะเพิ่มเติม",
        "text_en": "Anything we could do better?",
        "required": False,
        "max_length": 1000,
    },
]

#: The answers the demo gives, in turn.
DEMO_ANSWERS: list[dict[str, list[str]]] = [
    {"overall": ["5"], "time": ["4"], "channel": ["online"], "liked": ["speed", "clarity"]},
    {
        "overall": ["4"],
        "time": ["3"],
        "channel": ["counter"],
        "liked": ["staff"],
        "comment": ["เจ้าหน้าที่อธิบายดีมาก แต่รอคิวนาน"],
    },
    {
        "overall": ["3"],
        "time": ["2"],
        "channel": ["agent"],
        "comment": ["อยากให้แจ้งสถานะทาง LINE เร็วขึ้น"],
    },
    {"overall": ["5"], "time": ["5"], "channel": ["online"], "liked": ["fees", "speed"]},
]


@demo.loader("surveys", order=45)
def load_designs() -> list[demo.DemoLogin]:
    """Before the journeys, so their licences invite; a service with a survey already
    is left as it is (an administrator may have changed it)."""
    for service in Service.objects.filter(slug__in=DEMO_SERVICES, survey__isnull=True):
        draft = services.draft_for(service, actor=None)
        draft.intro_th = "ขอบคุณที่ใช้บริการ โปรดสละเวลาประมาณ 2 นาทีตอบแบบสำรวจนี้"
        draft.intro_en = "Thank you for using the service; this takes about two minutes."
        draft.save(update_fields=["intro_th", "intro_en"])
        for position, fields in enumerate(DEMO_QUESTIONS, start=1):
            Question.objects.create(version=draft, position=position, **fields)
        services.publish(draft, actor=None)
    return []


@demo.loader("survey-answers", order=98)
def load_answers() -> list[demo.DemoLogin]:
    """Answer the open invitations of everyone but the first demo person."""
    deliver_pending()  # the journeys' licences, to the survey subscriber (if not yet)
    open_ones = (
        Invitation.objects.filter(answered_at__isnull=True, survey__in=Survey.objects.all())
        .exclude(user__citizen_id=DEMO_IDENTITIES[0].citizen_id)
        .select_related("survey")
        .order_by("pk")
    )
    for n, invitation in enumerate(open_ones):
        services.answer(invitation, DEMO_ANSWERS[n % len(DEMO_ANSWERS)])
    return []
