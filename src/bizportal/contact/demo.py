"""Demo complaints and contacts, on top of the demo journeys: the first demo person's
complaint about her application, shared by two agencies and answered; an anonymous
enquiry waiting for its answer; a complaint closed; one past its due date and escalated
to the supervisors; a hotline call and a walk-in logged by ``helpdesk.osc``; and a
question on an application's own thread."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from bizportal.applications.models import BEFORE_AGENCY, Application
from bizportal.catalog.models import Agency, Service
from bizportal.core import demo
from bizportal.identity.models import StaffRole, User
from bizportal.service_levels import calendar

from . import services
from .models import Case


def _officer(agency: Agency) -> User | None:
    return (
        User.objects.filter(agency=agency, is_active=True, groups__name=StaffRole.AGENCY_OFFICER)
        .order_by("pk")
        .first()
    )


@demo.loader("contact", order=98)
def load_demo() -> list[demo.DemoLogin]:
    if Case.objects.exists():  # loaded already
        return []
    open_apps = (
        Application.objects.exclude(status__in=BEFORE_AGENCY)
        .filter(applicant__role=User.Role.APPLICANT)
        .select_related("agency", "service", "applicant")
        .order_by("pk")
    )
    first = open_apps.first()
    helpdesk = User.objects.filter(username="helpdesk.osc").first()
    if first is None or helpdesk is None:
        return []
    person = first.applicant
    other = Agency.objects.exclude(pk=first.agency_id).order_by("code").first()
    officer = _officer(first.agency)
    shared = services.file_case(
        services.Filing(
            kind="complaint",
            category="delay",
            subject="ยื่นคำขอแล้วยังไม่มีความคืบหน้า",
            body="ยื่นคำขอมาหลายวันแล้ว ยังไม่มีเจ้าหน้าที่ติดต่อกลับ และต้องขอเอกสารจากอีกหน่วยงานด้วย",
            application=first,
            also=(other,) if other else (),
        ),
        person=person,
    )
    if officer is not None:
        services.answer(
            shared, officer, "ได้รับเรื่องแล้ว กำลังประสานหน่วยงานที่เกี่ยวข้อง จะแจ้งผลภายใน 3 วันทำการ"
        )
        services.post_application_message(
            first, "ขอสำเนาแผนผังร้านฉบับล่าสุดเพิ่มเติมด้วยครับ", author=officer
        )
    service = Service.objects.filter(is_published=True).order_by("slug").first()
    services.file_case(
        services.Filing(
            kind="enquiry",
            category="information",
            subject="เปิดร้านอาหารต้องใช้เอกสารอะไรบ้าง",
            body="อยากทราบเอกสารที่ต้องใช้ และยื่นออนไลน์ได้หรือไม่",
            email="visitor@example.test",
            name="ผู้สนใจ",
            service=service,
        ),
    )
    closed = services.file_case(
        services.Filing(
            kind="complaint",
            category="fees",
            subject="ชำระเงินแล้วสถานะไม่เปลี่ยน",
            body="ชำระค่าธรรมเนียมผ่าน QR แล้ว แต่สถานะยังเป็นรอชำระ",
            application=first,
        ),
        person=person,
    )
    if officer is not None:
        services.close(closed, actor=officer, note="ตรวจสอบแล้ว ธนาคารแจ้งผลล่าช้า สถานะปรับปรุงแล้ว")
    late = services.file_case(
        services.Filing(
            kind="complaint",
            category="conduct",
            subject="ติดต่อเจ้าหน้าที่ไม่ได้",
            body="โทรไปที่หน่วยงานหลายครั้งไม่มีผู้รับสาย",
            service=first.service,
            channel="hotline",
        ),
        person=person,
        logged_by=helpdesk,
    )
    _age(late, days=30)
    services.escalate_overdue()
    services.log_contact(
        services.Contact(
            channel="walk_in",
            type="help",
            summary="ช่วยเข้าสู่ระบบด้วย Digital ID ครั้งแรก",
            person_key=person.citizen_id or "",
        ),
        actor=helpdesk,
    )
    services.log_contact(
        services.Contact(
            channel="chat",
            type="follow_up",
            summary="สอบถามความคืบหน้าคำขอ",
            person_key=person.citizen_id or "",
            application_reference=first.reference or "",
        ),
        actor=helpdesk,
    )
    return []


def _age(case: Case, *, days: int) -> None:
    """Move a case back in time so that it is past its due date."""
    shift = dt.timedelta(days=days)
    opened = case.opened_at - shift
    due_on = calendar.add_working_days(timezone.localdate(opened), case.sla_days)
    Case.objects.filter(pk=case.pk).update(opened_at=opened, due_on=due_on)
    case.entries.update(at=F("at") - shift)
