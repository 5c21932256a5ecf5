"""The messages the portal sends: their keys, kinds, default texts and variables.

Each message names the variables its templates may use by giving a *sample context*:
an administrator's template is validated by rendering it against that sample, and a
variable it does not define refuses the template. The same shape is what the
subscribers build from the real records, so templates only ever see the data listed
here (data minimisation: no citizen ID reaches a template by accident).

Default texts come from the ``.txt`` files under ``templates/notifications/``; they
seed :class:`~bizportal.notifications.models.MessageTemplate` rows after migrations,
and stand in for a row an administrator deleted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import Audience, Channel, Kind

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "notifications"
MESSAGES_DIR = TEMPLATES_DIR / "messages"


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    audiences: tuple[str, ...]
    subject: str
    #: the full text, for email and the inbox: a file under templates/notifications/
    body_file: str
    #: the short text for SMS and LINE (SMS in Thai fits 70 characters a part)
    short: str
    sample: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False
    #: the first line of the body file is the subject (notify-step messages)
    subject_in_body: bool = False

    def body(self) -> str:
        text = (TEMPLATES_DIR / self.body_file).read_text(encoding="utf-8")
        if self.subject_in_body:
            text = text.replace("{% autoescape off %}", "").replace("{% endautoescape %}", "")
            text = text.strip().partition("\n")[2]
        return text.strip() + "\n"

    def file_subject(self) -> str:
        text = (TEMPLATES_DIR / self.body_file).read_text(encoding="utf-8")
        return text.replace("{% autoescape off %}", "").strip().partition("\n")[0].strip()


_AGENCY = {"name_th": "สำนักงานเขตบางรัก", "name_en": "Bang Rak District Office"}
_PERSON = {"display_name": "สมชาย ใจดี", "full_name_en": "Somchai Jaidee"}
APPLICATION_SAMPLE: dict[str, Any] = {
    "application": {
        "reference": "BP-2569-000123",
        "service": {
            "name_th": "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
            "name_en": "Food premises licence",
            "agency": _AGENCY,
        },
        "agency": _AGENCY,
        "applicant": _PERSON,
        "holder_name_th": "บริษัท ตัวอย่าง จำกัด",
        "holder_name_en": "Example Co., Ltd.",
        "party": {"name_th": "บริษัท ตัวอย่าง จำกัด", "name_en": "Example Co., Ltd."},
        "licence": {"number": "กทม.01-2569-000045"},
    },
    "link": "https://bizportal.example/applications/0000/",
    "backoffice_link": "https://bizportal.example/backoffice/applications/0000/",
}
LICENCE_SAMPLE: dict[str, Any] = {
    "licence": {
        "number": "กทม.01-2569-000045",
        "title_th": "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        "title_en": "Food premises licence",
        "account": _PERSON,
        "agency": _AGENCY,
    },
    "link": "https://bizportal.example/account/",
    "verify_link": "https://bizportal.example/licences/verify/0000/",
}

_STATUS_SHORT = (
    "บิซพอร์ทัล: คำขอ {{ application.reference }} {{ status_th }} / "
    "Biz Portal: {{ application.reference }} {{ status_en }} {{ link }}"
)

MESSAGES: tuple[Message, ...] = (
    Message(
        key="status_changed",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT,),
        subject="[Biz Portal] {{ application.reference }} {{ status_th }} / {{ status_en }}",
        body_file="status_email.txt",
        short=_STATUS_SHORT,
        sample={
            **APPLICATION_SAMPLE,
            "status_th": "อยู่ระหว่างพิจารณา",
            "status_en": "Under review",
            "note": "โปรดแนบแผนผังร้าน",
            "licence_number": "",
        },
    ),
    Message(
        key="payment_requested",
        kind=Kind.PAYMENTS,
        audiences=(Audience.APPLICANT,),
        subject="[Biz Portal] {{ application.reference }} {{ status_th }} / {{ status_en }}",
        body_file="status_email.txt",
        short=_STATUS_SHORT,
        sample={
            **APPLICATION_SAMPLE,
            "status_th": "รอชำระค่าธรรมเนียม",
            "status_en": "Awaiting payment",
            "note": "",
            "licence_number": "",
        },
    ),
    Message(
        key="invoice_closed",
        kind=Kind.PAYMENTS,
        audiences=(Audience.APPLICANT,),
        subject=(
            "[Biz Portal] ใบแจ้งหนี้ {{ invoice.number }} {{ state_th }} / "
            "Invoice {{ invoice.number }} {{ state_en }}"
        ),
        body_file="invoice_closed.txt",
        short=(
            "บิซพอร์ทัล: ใบแจ้งหนี้ {{ invoice.number }} {{ state_th }} / "
            "Invoice {{ invoice.number }} {{ state_en }} {{ pay_link }}"
        ),
        sample={
            **APPLICATION_SAMPLE,
            "invoice": {"number": "INV-2569-000042", "amount": "1,000.00"},
            "state_th": "หมดอายุ",
            "state_en": "expired",
            "reason": "",
            "reissue": True,
            "pay_link": "https://bizportal.example/payments/invoices/0000/",
        },
    ),
    Message(
        key="inspection_scheduled",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT,),
        subject="",
        body_file="messages/inspection_scheduled.txt",
        subject_in_body=True,
        short=(
            "บิซพอร์ทัล: นัดตรวจสถานที่ {{ application.reference }} {{ scheduled_th }} / "
            "Inspection {{ scheduled_en }} {{ link }}"
        ),
        sample={
            **APPLICATION_SAMPLE,
            "scheduled_th": "3 ธ.ค. 2569 10:00",
            "scheduled_en": "3 Dec 2026 10:00",
            "place": "ร้านเลขที่ 1 ถนนสีลม",
        },
    ),
    Message(
        key="signature_requested",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT,),
        subject="",
        body_file="messages/signature_requested.txt",
        subject_in_body=True,
        short=(
            "บิซพอร์ทัล: โปรดลงนามคำขอ {{ application.reference }} ภายใน {{ deadline_th }} / "
            "Please co-sign by {{ deadline_en }} {{ link }}"
        ),
        sample={
            **APPLICATION_SAMPLE,
            "deadline_th": "5 ธ.ค. 2569 17:00",
            "deadline_en": "5 Dec 2026 17:00",
        },
        urgent=True,
    ),
    Message(
        key="step.application_received",
        kind=Kind.STATUS,
        audiences=(Audience.AGENCY, Audience.APPLICANT),
        subject="",
        body_file="messages/application_received.txt",
        subject_in_body=True,
        short="บิซพอร์ทัล: คำขอใหม่ {{ application.reference }} / New application {{ link }}",
        sample=APPLICATION_SAMPLE,
    ),
    Message(
        key="step.licence_ready",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT, Audience.AGENCY),
        subject="",
        body_file="messages/licence_ready.txt",
        subject_in_body=True,
        short=(
            "บิซพอร์ทัล: ใบอนุญาตพร้อมแล้ว {{ application.reference }} / Your licence is ready {{ link }}"
        ),
        sample=APPLICATION_SAMPLE,
    ),
    Message(
        key="licence_changed",
        kind=Kind.LICENCE,
        audiences=(Audience.APPLICANT,),
        subject="[Biz Portal] {{ licence.number }}: {{ change_th }} / {{ change_en }}",
        body_file="licence_change_email.txt",
        short=(
            "บิซพอร์ทัล: ใบอนุญาต {{ licence.number }} {{ change_th }} / "
            "Licence {{ change_en }} {{ verify_link }}"
        ),
        sample={**LICENCE_SAMPLE, "change_th": "พักใช้", "change_en": "suspended"}
        | {"until": "2026-12-31", "reason": "ไม่ผ่านการตรวจสุขลักษณะ"},
        urgent=True,
    ),
    Message(
        key="licence_expiry",
        kind=Kind.REMINDERS,
        audiences=(Audience.APPLICANT,),
        subject=(
            "[Biz Portal] {{ licence.number }}: {% if expired %}หมดอายุแล้ว / has expired"
            "{% else %}จะหมดอายุใน {{ days_left }} วัน / expires in {{ days_left }} days"
            "{% endif %}"
        ),
        body_file="licence_expiry_email.txt",
        short=(
            "บิซพอร์ทัล: ใบอนุญาต {{ licence.number }} {% if expired %}หมดอายุแล้ว / expired"
            "{% else %}หมดอายุใน {{ days_left }} วัน / expires in {{ days_left }} days"
            "{% endif %} {{ renew_link }}"
        ),
        sample={
            **LICENCE_SAMPLE,
            "expired": False,
            "days_left": 30,
            "valid_until_th": "31 ธ.ค. 2569",
            "valid_until_en": "31 Dec 2026",
            "renew_link": "https://bizportal.example/account/licences/0000/renew/",
        },
    ),
    Message(
        key="officer.worklist_new",
        kind=Kind.WORKLIST,
        audiences=(Audience.OFFICER,),
        subject="[Biz Portal] งานใหม่ {{ application.reference }} / New in your worklist",
        body_file="officer_worklist.txt",
        short=("บิซพอร์ทัล: งานใหม่ {{ application.reference }} / New work item {{ backoffice_link }}"),
        sample={**APPLICATION_SAMPLE, "resubmitted": False},
    ),
    Message(
        key="officer.resubmitted",
        kind=Kind.WORKLIST,
        audiences=(Audience.OFFICER,),
        subject=(
            "[Biz Portal] ผู้ยื่นแก้ไขแล้ว {{ application.reference }} / Resubmitted after correction"
        ),
        body_file="officer_worklist.txt",
        short=(
            "บิซพอร์ทัล: คำขอ {{ application.reference }} แก้ไขแล้ว / Resubmitted {{ backoffice_link }}"
        ),
        sample={**APPLICATION_SAMPLE, "resubmitted": True},
    ),
    Message(
        key="officer.payment_flagged",
        kind=Kind.WORKLIST,
        audiences=(Audience.OFFICER,),
        subject=(
            "[Biz Portal] รับเงินที่ต้องคืน {{ invoice.number }} / "
            "Payment to refund on {{ invoice.number }}"
        ),
        body_file="payment_flagged.txt",
        short=(
            "บิซพอร์ทัล: รับเงินที่ต้องคืน {{ invoice.number }} {{ amount }} {{ currency }} / "
            "Payment to refund {{ finance_link }}"
        ),
        sample={
            **APPLICATION_SAMPLE,
            "invoice": {"number": "INV-2569-000042", "amount": "1,000.00"},
            "kind_th": "ชำระหลังใบแจ้งหนี้หมดอายุหรือถูกยกเลิก",
            "kind_en": "Paid after the invoice closed",
            "amount": "1,000.00",
            "currency": "THB",
            "provider": "sandbox",
            "finance_link": "https://bizportal.example/backoffice/finance/refunds/",
        },
    ),
    Message(
        key="officer.service_level",
        kind=Kind.WORKLIST,
        audiences=(Audience.OFFICER,),
        subject=(
            "[Biz Portal] {{ application.reference }}: {% if breached %}เกินกำหนดเวลา / "
            "past its due date{% else %}ใกล้ครบกำหนด / due soon{% endif %}"
        ),
        body_file="service_level_alert.txt",
        short=(
            "บิซพอร์ทัล: {{ application.reference }} {% if breached %}เกินกำหนด / overdue"
            "{% else %}ใกล้ครบกำหนด / due soon{% endif %} {{ backoffice_link }}"
        ),
        sample={
            **APPLICATION_SAMPLE,
            "breached": False,
            "days_left": 2,
            "overdue_days": -2,
            "due_th": "31 ธ.ค. 2569",
            "due_en": "31 Dec 2026",
        },
    ),
    Message(
        key="contact.verify_code",
        kind=Kind.SECURITY,
        audiences=(Audience.APPLICANT, Audience.OFFICER),
        subject="[Biz Portal] รหัสยืนยัน / Verification code",
        body_file="verify_code.txt",
        short=(
            "บิซพอร์ทัล: รหัสยืนยัน {{ code }} (ใช้ได้ {{ minutes }} นาที) / "
            "Biz Portal code {{ code }}, valid {{ minutes }} min"
        ),
        sample={"code": "123456", "minutes": 10, "display_name": "สมชาย ใจดี"},
        urgent=True,
    ),
    Message(
        key="survey_invitation",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT,),
        subject="",
        body_file="messages/survey_invitation.txt",
        subject_in_body=True,
        short=(
            "บิซพอร์ทัล: โปรดประเมินความพึงพอใจ {{ service.name_th }} / "
            "Please rate our service {{ link }}"
        ),
        sample={
            "service": {
                "name_th": "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
                "name_en": "Food premises licence",
            },
            "agency": _AGENCY,
            "display_name": "สมชาย ใจดี",
            "complaint": False,
            "link": "https://bizportal.example/surveys/0000/",
        },
    ),
)

_CASE = {
    "reference": "CT-2569-000042",
    "subject": "ยื่นคำขอแล้วยังไม่ได้รับการติดต่อ",
    "kind_th": "เรื่องร้องเรียน",
    "kind_en": "Complaint",
    "category_th": "ล่าช้าเกินกำหนด",
    "category_en": "Delay",
    "agency": _AGENCY,
    "due_th": "31 ธ.ค. 2569",
    "due_en": "31 Dec 2026",
}
CONTACT_MESSAGES: tuple[Message, ...] = (
    Message(
        key="contact.person",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT,),
        subject=(
            "[Biz Portal] {{ case.reference }}: {% if what == 'opened' %}รับเรื่องแล้ว / "
            "received{% elif what == 'answered' %}หน่วยงานตอบแล้ว / answered{% else %}"
            "ปิดเรื่องแล้ว / closed{% endif %}"
        ),
        body_file="contact_person.txt",
        short=(
            "บิซพอร์ทัล: เรื่อง {{ case.reference }} {% if what == 'opened' %}รับเรื่องแล้ว"
            "{% elif what == 'answered' %}มีคำตอบ{% else %}ปิดแล้ว{% endif %} {{ link }}"
        ),
        sample={
            "case": _CASE,
            "what": "answered",
            "closing_note": "",
            "link": "https://bizportal.example/contact/follow/0000/abcd/",
        },
    ),
    Message(
        key="contact.officer",
        kind=Kind.WORKLIST,
        audiences=(Audience.OFFICER,),
        subject=(
            "[Biz Portal] {{ case.reference }}: {% if what == 'escalated' %}เกินกำหนด / "
            "overdue{% elif what == 'reply' %}ผู้ติดต่อส่งข้อความ / the person wrote"
            "{% else %}เรื่องใหม่ / new case{% endif %}"
        ),
        body_file="contact_officer.txt",
        short=(
            "บิซพอร์ทัล: เรื่อง {{ case.reference }} {% if what == 'escalated' %}เกินกำหนด"
            "{% elif what == 'reply' %}มีข้อความใหม่{% else %}เรื่องใหม่{% endif %} "
            "{{ backoffice_link }}"
        ),
        sample={
            "case": _CASE,
            "what": "new",
            "backoffice_link": "https://bizportal.example/backoffice/cases/0000/",
        },
    ),
    Message(
        key="contact.application_message",
        kind=Kind.STATUS,
        audiences=(Audience.APPLICANT, Audience.OFFICER),
        subject=("[Biz Portal] {{ application.reference }}: ข้อความใหม่ / new message"),
        body_file="contact_application_message.txt",
        short=(
            "บิซพอร์ทัล: คำขอ {{ application.reference }} มีข้อความใหม่ / new message "
            "{% if to_officer %}{{ backoffice_link }}{% else %}{{ link }}{% endif %}"
        ),
        sample={**APPLICATION_SAMPLE, "to_officer": False},
    ),
)
MESSAGES = MESSAGES + CONTACT_MESSAGES

BY_KEY = {message.key: message for message in MESSAGES}
#: Kinds a person chooses channels for (security codes always go to the new address).
CHOOSABLE_KINDS = (Kind.STATUS, Kind.PAYMENTS, Kind.LICENCE, Kind.REMINDERS, Kind.WORKLIST)
DEFAULT_CHANNELS = (Channel.EMAIL, Channel.INBOX)
SHORT_CHANNELS = (Channel.SMS, Channel.LINE)


def message(key: str) -> Message:
    try:
        return BY_KEY[key]
    except KeyError:
        raise LookupError(f"unknown message {key!r}") from None


@functools.cache
def step_message_names() -> tuple[str, ...]:
    """The messages a notify step may name: the catalogue's ``step.<name>`` entries."""
    return tuple(sorted(key.removeprefix("step.") for key in BY_KEY if key.startswith("step.")))


def default_text(key: str, channel: str) -> tuple[str, str]:
    """The built-in (subject, body) of a message on a channel."""
    entry = message(key)
    subject = entry.file_subject() if entry.subject_in_body else entry.subject
    if channel in SHORT_CHANNELS:
        return "", entry.short
    return subject, entry.body()
