"""Demo privacy notices (one per purpose, version 1) so the demo asks for acceptance."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from bizportal.core import demo

from . import services
from .models import PrivacyNotice, Purpose

_TEXTS = {
    Purpose.SERVICE: (
        "ประกาศความเป็นส่วนตัว: การให้บริการขออนุญาต",
        "Privacy notice: licensing services",
        "บิซพอร์ทัลเก็บและใช้ข้อมูลส่วนบุคคลของท่าน (ชื่อ เลขประจำตัวประชาชน ที่อยู่ "
        "ช่องทางติดต่อ คำตอบในคำขอ และเอกสารแนบ) เพื่อรับคำขอ ส่งต่อให้หน่วยงานผู้อนุญาต "
        "รับชำระค่าธรรมเนียม และออกใบอนุญาต ตามอำนาจหน้าที่ตามกฎหมาย (มาตรา 24(4) และ 24(6) "
        "แห่ง พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562) ข้อมูลถูกส่งให้เฉพาะหน่วยงานที่ท่านยื่นคำขอ "
        "ใบเสร็จรับเงินเก็บไว้ 5 ปีตาม พ.ร.บ. การบัญชี ใบอนุญาตและบันทึกการตรวจสอบเก็บไว้ 10 ปี "
        "ท่านขอรับสำเนา ขอแก้ไข ขอลบ หรือคัดค้านได้ที่หน้า บัญชีของฉัน > ความเป็นส่วนตัว",
        "Biz Portal collects and uses your personal data (name, citizen ID, address, "
        "contact details, your answers and documents) to receive your applications, pass "
        "them to the licensing agency, take fees and issue licences, under its legal "
        "duties (PDPA B.E. 2562 s. 24(4) and 24(6)). Data goes only to the agency you "
        "apply to. Receipts are kept 5 years (Accounting Act); licences and the audit "
        "trail 10 years. You may get a copy, ask for correction or deletion, or object, "
        "under My account > Privacy.",
        True,
    ),
    Purpose.IDENTITY: (
        "ประกาศความเป็นส่วนตัว: การยืนยันตัวตน",
        "Privacy notice: proving who you are",
        "เมื่อท่านเข้าสู่ระบบด้วย Digital ID บิซพอร์ทัลได้รับชื่อ เลขประจำตัวประชาชน วันเกิด "
        "ที่อยู่ และระดับการยืนยันตัวตนจากผู้ให้บริการยืนยันตัวตน เพื่อยืนยันว่าท่านเป็นผู้ยื่นคำขอจริง",
        "When you sign in with Digital ID, Biz Portal receives your name, citizen ID, "
        "date of birth, address and assurance level from the identity provider, to know "
        "that the applicant is really you.",
        True,
    ),
    Purpose.SURVEY: (
        "ประกาศความเป็นส่วนตัว: แบบสำรวจและข่าวสาร",
        "Privacy notice: surveys and news",
        "บิซพอร์ทัลอาจส่งแบบสำรวจความพึงพอใจและข่าวสารบริการทางอีเมล ท่านคัดค้านได้ทุกเมื่อ โดยไม่กระทบการให้บริการ",
        "Biz Portal may email you satisfaction surveys and service news. You may object at "
        "any time without any effect on the service.",
        False,
    ),
}


@demo.loader("privacy", order=5)
def load() -> list[demo.DemoLogin]:
    for purpose, (title_th, title_en, text_th, text_en, required) in _TEXTS.items():
        if PrivacyNotice.objects.filter(purpose=purpose).exists():
            continue
        services.publish_notice(
            PrivacyNotice(
                purpose=purpose,
                version=1,
                title_th=title_th,
                title_en=title_en,
                text_th=text_th,
                text_en=text_en,
                effective_from=timezone.now() - dt.timedelta(days=1),
                requires_acceptance=required,
            )
        )
    return []
