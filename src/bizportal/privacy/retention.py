"""Retention: how long each class of personal data is kept, and what the law keeps.

Two lists, both read by people (the privacy page, the DPO's record of processing) and by
the retention job, so what the portal says and what it does cannot drift apart:

* :data:`LEGAL_HOLDS` are data the portal must keep under Thai law even when the person
  asks for deletion (PDPA s. 33 para. 2 lets a controller refuse erasure where another
  law requires the data to be kept).
* :func:`rules` are the retention periods the ``apply_retention`` job enforces. Which
  fields a rule blanks is never listed here: it is the model's ``PERSONAL_DATA``
  declaration (:class:`~bizportal.core.models.PersonalDataLabel`), so a field labelled
  tomorrow is anonymised tomorrow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q, QuerySet

from bizportal.applications.models import FINAL_STATUSES, Application, Attachment, Status
from bizportal.core.models import PersonalDataLabel


@dataclass(frozen=True)
class LegalHold:
    """A class of data kept under a legal duty, with the law that sets the duty."""

    key: str
    model: str
    what_th: str
    what_en: str
    law_th: str
    law_en: str
    years: int


LEGAL_HOLDS: tuple[LegalHold, ...] = (
    LegalHold(
        key="receipts",
        model="payments.Receipt",
        what_th="ใบเสร็จรับเงินและใบแจ้งชำระค่าธรรมเนียม",
        what_en="Receipts and fee invoices",
        law_th="พ.ร.บ. การบัญชี พ.ศ. 2543 มาตรา 14: เก็บเอกสารประกอบการลงบัญชีไม่น้อยกว่า 5 ปี",
        law_en="Accounting Act B.E. 2543 (2000) s. 14: accounting documents kept at least 5 years",
        years=5,
    ),
    LegalHold(
        key="licences",
        model="licences.Licence",
        what_th="ใบอนุญาตที่ออกแล้วและทะเบียนใบอนุญาต",
        what_en="Issued licences and the licence register",
        law_th=(
            "กฎหมายเฉพาะของใบอนุญาตแต่ละประเภท และระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ "
            "พ.ศ. 2526 ข้อ 57: เก็บหนังสือราชการไม่น้อยกว่า 10 ปี"
        ),
        law_en=(
            "the Act governing each licence, and the Prime Minister's Office Regulation on "
            "Correspondence B.E. 2526 (1983) cl. 57: official documents kept at least 10 years"
        ),
        years=10,
    ),
    LegalHold(
        key="audit",
        model="core.AuditEvent",
        what_th="บันทึกการตรวจสอบ (ใครทำอะไร เมื่อใด)",
        what_en="The audit trail (who did what, when)",
        law_th=(
            "พ.ร.บ. ว่าด้วยการกระทำความผิดเกี่ยวกับคอมพิวเตอร์ พ.ศ. 2550 มาตรา 26 "
            "(ข้อมูลจราจรทางคอมพิวเตอร์อย่างน้อย 90 วัน) และ พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล "
            "พ.ศ. 2562 มาตรา 39 (บันทึกรายการ) ใช้เป็นหลักฐานการพิจารณาทางปกครอง"
        ),
        law_en=(
            "Computer-Related Crime Act B.E. 2550 (2007) s. 26 (traffic data at least 90 days) "
            "and PDPA B.E. 2562 (2019) s. 39 (records of processing); the evidence of "
            "administrative decisions"
        ),
        years=10,
    ),
)


@dataclass(frozen=True)
class RetentionRule:
    """One data class, how long it is kept and what happens after."""

    key: str
    model: str
    what_th: str
    what_en: str
    days: int
    action: str  # "delete" or "anonymise"
    due: Callable[[dt.datetime, int], QuerySet[Any]]

    @property
    def label(self) -> str:
        return f"{self.action} after {self.days} days"


def _days(key: str, default: int) -> int:
    """Periods come from ``PRIVACY_RETENTION_DAYS`` so an operator can follow the DPO."""
    overrides: dict[str, int] = getattr(settings, "PRIVACY_RETENTION_DAYS", {})
    return int(overrides.get(key, default))


def _abandoned_drafts(now: dt.datetime, days: int) -> QuerySet[Any]:
    return Application.objects.filter(
        status=Status.DRAFT, updated_at__lt=now - dt.timedelta(days=days)
    )


def _closed_answers(now: dt.datetime, days: int) -> QuerySet[Any]:
    # Rows already blanked are left out, so a second run changes nothing.
    return Application.objects.filter(
        status__in=FINAL_STATUSES, decided_at__lt=now - dt.timedelta(days=days)
    ).exclude(Q(data={}) & Q(holder_name_th="") & Q(holder_name_en="") & Q(holder_id=""))


def _closed_attachments(now: dt.datetime, days: int) -> QuerySet[Any]:
    return Attachment.objects.filter(
        application__status__in=FINAL_STATUSES,
        application__decided_at__lt=now - dt.timedelta(days=days),
    ).exclude(file="")


def _notifications(now: dt.datetime, days: int) -> QuerySet[Any]:
    notification = apps.get_model("notifications", "Notification")
    return notification.objects.filter(created_at__lt=now - dt.timedelta(days=days))


def _contact_codes(now: dt.datetime, days: int) -> QuerySet[Any]:
    """Codes verified, superseded or expired: the new address lives on in the account,
    the row (with the address asked for) has no further use."""
    verification = apps.get_model("notifications", "ContactVerification")
    return verification.objects.filter(
        Q(closed_at__lt=now - dt.timedelta(days=days))
        | Q(closed_at__isnull=True, expires_at__lt=now - dt.timedelta(days=days))
    )


def _refused_callbacks(now: dt.datetime, days: int) -> QuerySet[Any]:
    event = apps.get_model("payments", "PaymentEvent")
    return event.objects.filter(signature_valid=False, at__lt=now - dt.timedelta(days=days))


def _payment_callbacks(now: dt.datetime, days: int) -> QuerySet[Any]:
    event = apps.get_model("payments", "PaymentEvent")
    return event.objects.filter(signature_valid=True, at__lt=now - dt.timedelta(days=days))


def _sessions(now: dt.datetime, days: int) -> QuerySet[Any]:
    return Session.objects.filter(expire_date__lt=now - dt.timedelta(days=days))


def rules() -> list[RetentionRule]:
    """The rules in force, with the periods configured now."""
    return [
        RetentionRule(
            "abandoned_drafts",
            "applications.Application",
            "คำขอฉบับร่างที่ไม่ได้แก้ไขเกินกำหนด: ลบ",
            "Drafts not touched for the period: deleted",
            _days("abandoned_drafts", 180),
            "delete",
            _abandoned_drafts,
        ),
        RetentionRule(
            "closed_application_answers",
            "applications.Application",
            "คำตอบในคำขอที่ปิดแล้ว: ลบข้อมูลส่วนบุคคลออก (เลขที่คำขอและสถานะคงไว้)",
            "Answers of closed applications: personal data blanked (reference, status kept)",
            _days("closed_application_answers", 365 * 5),
            "anonymise",
            _closed_answers,
        ),
        RetentionRule(
            "closed_application_documents",
            "applications.Attachment",
            "เอกสารแนบของคำขอที่ปิดแล้ว: ลบไฟล์",
            "Documents of closed applications: files deleted",
            _days("closed_application_documents", 365 * 5),
            "anonymise",
            _closed_attachments,
        ),
        RetentionRule(
            "notifications",
            "notifications.Notification",
            "ประวัติการแจ้งเตือนทุกช่องทาง (การส่งและข้อความในกล่องข้อความ): ลบ",
            "Log of notifications on every channel (deliveries, inbox messages): deleted",
            _days("notifications", 365 * 2),
            "delete",
            _notifications,
        ),
        RetentionRule(
            "contact_codes",
            "notifications.ContactVerification",
            "รหัสยืนยันอีเมลหรือเบอร์มือถือที่ใช้แล้วหรือหมดอายุ: ลบ",
            "Email and mobile verification codes used or expired: deleted",
            _days("contact_codes", 30),
            "delete",
            _contact_codes,
        ),
        RetentionRule(
            "refused_payment_callbacks",
            "payments.PaymentEvent",
            "การเรียกกลับการชำระเงินที่ถูกปฏิเสธ (ลายมือชื่อไม่ถูกต้อง: ขนาด แฮช ที่อยู่ไอพี): ลบ",
            "Refused payment callbacks (bad signature: size, hash, source address): deleted",
            _days("refused_payment_callbacks", 90),
            "delete",
            _refused_callbacks,
        ),
        RetentionRule(
            "payment_callbacks",
            "payments.PaymentEvent",
            "บันทึกการเรียกกลับจากธนาคารที่ลงลายมือชื่อถูกต้อง: ลบเมื่อพ้นระยะเก็บเอกสารบัญชี",
            "Signed bank callbacks: deleted once past the accounting period",
            _days("payment_callbacks", 365 * 5),
            "delete",
            _payment_callbacks,
        ),
        RetentionRule(
            "sessions",
            "sessions.Session",
            "เซสชันการเข้าสู่ระบบที่หมดอายุ: ลบ",
            "Expired sign-in sessions: deleted",
            _days("sessions", 0),
            "delete",
            _sessions,
        ),
    ]


def personal_fields(model: type[models.Model]) -> dict[str, str]:
    """The fields a model labels personal or sensitive (public ones are left alone)."""
    declared: dict[str, str] = getattr(model, "PERSONAL_DATA", {})
    return {
        name: str(label)
        for name, label in declared.items()
        if label in (PersonalDataLabel.PERSONAL, PersonalDataLabel.SENSITIVE)
    }


def blank_value(field: models.Field[Any, Any]) -> Any:
    """What an anonymised field holds: empty, of the field's own kind."""
    if isinstance(field, models.JSONField):
        return {}
    if field.null:
        return None
    return ""


def labelled_models() -> list[tuple[type[models.Model], dict[str, str]]]:
    """Every installed model that declares personal data, for the DPO's record."""
    found = []
    for model in apps.get_models():
        declared = getattr(model, "PERSONAL_DATA", None)
        if declared:
            found.append((model, {name: str(label) for name, label in declared.items()}))
    return sorted(found, key=lambda pair: pair[0]._meta.label)
