"""Demo exchange: the civil and juristic registries as data services, the missions of
the demo agencies, a consent, and accesses the data tracker can show.

Runs after the journeys (order 95): the accesses are what the demo officers' reviews
would have asked for, made through the gateway over HTTP like any other request.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from bizportal.catalog.models import Agency, Service
from bizportal.core import demo
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import gateway, services
from .models import Consent, DataService, MessageLogEntry, MissionRule

PERSON_FIELDS = [
    ("citizen_id", "เลขประจำตัวประชาชน", "Citizen ID"),
    ("full_name_th", "ชื่อ-นามสกุล (ไทย)", "Name (Thai)"),
    ("full_name_en", "ชื่อ-นามสกุล (อังกฤษ)", "Name (English)"),
    ("birth_date", "วันเกิด", "Date of birth"),
    ("address", "ที่อยู่ตามทะเบียนบ้าน", "Registered address"),
]
COMPANY_FIELDS = [
    ("juristic_id", "เลขทะเบียนนิติบุคคล", "Juristic ID", "public"),
    ("name_th", "ชื่อนิติบุคคล", "Name (Thai)", "public"),
    ("name_en", "ชื่อนิติบุคคล (อังกฤษ)", "Name (English)", "public"),
    ("juristic_type", "ประเภท", "Type", "public"),
    ("registration_date", "วันจดทะเบียน", "Registered on", "public"),
    ("status", "สถานะ", "Status", "public"),
    ("registered_address", "ที่ตั้งสำนักงานใหญ่", "Registered office", "public"),
    ("director_citizen_ids", "กรรมการ", "Directors", "personal"),
    ("signing_rule", "อำนาจกรรมการ", "Signing rule", "public"),
]


def seed() -> None:
    agencies = {a.code: a for a in Agency.objects.filter(code__in=["dopa", "dbd", "bma", "fda"])}
    if len(agencies) < 4:
        return  # the demo catalogue is not loaded
    civil, _ = DataService.objects.update_or_create(
        code="civil-person",
        defaults={
            "provider": agencies["dopa"],
            "name_th": "ข้อมูลบุคคลจากทะเบียนราษฎร",
            "name_en": "Person record from the civil registry",
            "subject_kind": "person",
            "fields": [
                {"name": n, "label_th": th, "label_en": en, "pdpa": "personal"}
                for n, th, en in PERSON_FIELDS
            ],
            "legal_basis_th": "พระราชบัญญัติการทะเบียนราษฎร พ.ศ. 2534",
            "legal_basis_en": "Civil Registration Act B.E. 2534 (1991)",
            "connector": "civil_registry",
        },
    )
    company, _ = DataService.objects.update_or_create(
        code="juristic-company",
        defaults={
            "provider": agencies["dbd"],
            "name_th": "ข้อมูลนิติบุคคลจากทะเบียนนิติบุคคล",
            "name_en": "Company record from the juristic-person registry",
            "subject_kind": "juristic",
            "fields": [
                {"name": n, "label_th": th, "label_en": en, "pdpa": pdpa}
                for n, th, en, pdpa in COMPANY_FIELDS
            ],
            "legal_basis_th": "ประมวลกฎหมายแพ่งและพาณิชย์ บรรพ 3 ลักษณะ 22",
            "legal_basis_en": "Civil and Commercial Code, Book III, Title XXII",
            "connector": "juristic_registry",
        },
    )
    food_shop = Service.objects.filter(slug="food-shop-licence").first()
    MissionRule.objects.get_or_create(
        agency=agencies["bma"],
        data_service=civil,
        service=food_shop,
        defaults={
            "fields": ["full_name_th", "address"],
            "legal_basis_th": "พระราชบัญญัติการสาธารณสุข พ.ศ. 2535 มาตรา 56 (การพิจารณาออกใบอนุญาต)",
            "legal_basis_en": "Public Health Act B.E. 2535 s. 56 (deciding a licence)",
        },
    )
    MissionRule.objects.get_or_create(
        agency=agencies["bma"],
        data_service=company,
        service=None,
        defaults={
            "fields": ["juristic_id", "name_th", "status", "registered_address"],
            "legal_basis_th": "พระราชบัญญัติการสาธารณสุข พ.ศ. 2535 มาตรา 56",
            "legal_basis_en": "Public Health Act B.E. 2535 s. 56",
        },
    )
    person = DEMO_IDENTITIES[0]
    if not Consent.objects.filter(subject_id=person.citizen_id, agency=agencies["fda"]).exists():
        services.grant_consent(
            subject_id=person.citizen_id,
            agency=agencies["fda"],
            data_service=civil,
            fields=["full_name_th", "birth_date"],
            purpose_th="ตรวจสอบอายุและชื่อผู้ขออนุญาตผลิตอาหาร",
            purpose_en="Check the applicant's name and age for a food production licence",
            notice_th=(
                "ข้าพเจ้ายินยอมให้สำนักงานคณะกรรมการอาหารและยาขอชื่อและวันเกิดของข้าพเจ้าจาก"
                "ทะเบียนราษฎรผ่านระบบแลกเปลี่ยนข้อมูล เพื่อพิจารณาคำขอของข้าพเจ้า"
            ),
        )


def _accesses(url: str) -> None:
    """What the demo officers' reviews asked of the registries, through the gateway."""
    person = DEMO_IDENTITIES[0]
    bma = get_user_model().objects.filter(username="officer.bma").first()
    configured = settings.CIVIL_REGISTRY_URL
    if configured.startswith(settings.BASE_URL):  # the embedded sandbox registry
        settings.CIVIL_REGISTRY_URL = url + "/sandbox/registries/civil"
    asks: list[tuple[gateway.Consumer, list[str], gateway.Purpose]] = [
        (
            gateway.Consumer("bma", "backoffice", bma),
            ["full_name_th", "address"],
            gateway.Purpose(service="food-shop-licence", step="review"),
        ),
        (
            gateway.Consumer("fda", "fda-licensing-system"),
            ["birth_date"],
            gateway.Purpose(description="food production licence"),
        ),
        (
            gateway.Consumer("bma", "backoffice", bma),
            ["birth_date"],
            gateway.Purpose(service="food-shop-licence", step="review"),
        ),
    ]
    try:
        for consumer, fields, purpose in asks:
            # A refusal is an access the person sees too.
            with contextlib.suppress(gateway.Refused):
                gateway.fetch(consumer, "civil-person", person.citizen_id, fields, purpose)
    finally:
        settings.CIVIL_REGISTRY_URL = configured


@demo.loader("exchange", order=95)
def load_demo() -> list[Any]:
    seed()
    if DataService.objects.exists() and not MessageLogEntry.objects.exists():
        with demo.serving() as url:
            _accesses(url)
    return []
