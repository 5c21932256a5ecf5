"""Demo exchange: the civil and juristic registries as data services, the missions of
the demo agencies with the agreements behind them, a consent, and accesses the data
tracker can show.

Runs after the journeys (order 95): the accesses are what the demo officers' reviews
would have asked for, made through the gateway over HTTP like any other request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from bizportal.catalog.models import Agency, RequiredDocument, Service
from bizportal.core import demo
from bizportal.registries.demo import embedded_registries_at
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import gateway, persons, services
from .models import (
    Consent,
    DataService,
    DocumentSource,
    MessageLogEntry,
    MissionRule,
    SharingAgreement,
)

PERSON_FIELDS = [
    ("citizen_id", "เลขประจำตัวประชาชน", "Citizen ID"),
    ("full_name_th", "ชื่อ-นามสกุล (ไทย)", "Name (Thai)"),
    ("full_name_en", "ชื่อ-นามสกุล (อังกฤษ)", "Name (English)"),
    ("title_th", "คำนำหน้าชื่อ (ไทย)", "Title (Thai)"),
    ("first_name_th", "ชื่อ (ไทย)", "First name (Thai)"),
    ("last_name_th", "นามสกุล (ไทย)", "Last name (Thai)"),
    ("title_en", "คำนำหน้าชื่อ (อังกฤษ)", "Title (English)"),
    ("first_name_en", "ชื่อ (อังกฤษ)", "First name (English)"),
    ("last_name_en", "นามสกุล (อังกฤษ)", "Last name (English)"),
    ("birth_date", "วันเกิด", "Date of birth"),
    ("address", "ที่อยู่ตามทะเบียนบ้าน", "Registered address"),
]
#: The agency of the demo service-counter officer (``counter.osc``): the Department of
#: Business Development's business service counter, where walk-in people file.
COUNTER_AGENCY = "dbd"
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


TAX_FIELDS = [
    ("taxpayer_id", "เลขประจำตัวผู้เสียภาษีอากร", "Taxpayer ID", "public"),
    ("name_th", "ชื่อผู้เสียภาษี", "Taxpayer name", "personal"),
    ("taxpayer_status", "สถานะผู้เสียภาษี", "Taxpayer status", "personal"),
    ("vat_registered", "จดทะเบียนภาษีมูลค่าเพิ่ม", "VAT registered", "personal"),
    ("vat_registration_number", "เลขทะเบียนภาษีมูลค่าเพิ่ม", "VAT registration number", "personal"),
    ("vat_registered_since", "จดทะเบียนภาษีมูลค่าเพิ่มตั้งแต่", "VAT registered since", "personal"),
    ("branch_code", "รหัสสาขา", "Branch code", "public"),
]
FACTORY_FIELDS = [
    ("owner_id", "เลขประจำตัวผู้ประกอบกิจการ", "Owner ID", "personal"),
    ("has_valid_licence", "มีใบอนุญาตประกอบกิจการโรงงานที่ยังมีผล", "Holds a valid licence", "personal"),
    ("licences", "ใบอนุญาตประกอบกิจการโรงงาน (ร.ง.4)", "Factory licences (Ror Ngor 4)", "personal"),
]
#: The fields a licensing decision needs as evidence of tax registration.
TAX_EVIDENCE = ["taxpayer_id", "name_th", "taxpayer_status", "vat_registered"]


def _fields(rows: list[tuple[str, str, str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "label_th": th, "label_en": en, "pdpa": pdpa} for n, th, en, pdpa in rows]


def _evidence_services(agencies: dict[str, Agency]) -> DataService:
    """The Revenue Department's taxpayer registration and DIW's factory licences: the
    evidence licences ask for, fetched instead of uploaded. Returns the tax one."""
    tax, _ = DataService.objects.update_or_create(
        code="revenue-tax-status",
        defaults={
            "provider": agencies["rd"],
            "name_th": "สถานะการจดทะเบียนผู้เสียภาษีอากร",
            "name_en": "Taxpayer registration status",
            "subject_kind": "any",
            "fields": _fields(TAX_FIELDS),
            "legal_basis_th": "ประมวลรัษฎากร มาตรา 3 เอกาทศ และมาตรา 85",
            "legal_basis_en": "Revenue Code s. 3 undecies and s. 85",
            "connector": "revenue_tax_status",
        },
    )
    DataService.objects.update_or_create(
        code="diw-factory-licence",
        defaults={
            "provider": agencies["diw"],
            "name_th": "ใบอนุญาตประกอบกิจการโรงงานของผู้ประกอบการ",
            "name_en": "Factory licences of an operator",
            "subject_kind": "any",
            "fields": _fields(FACTORY_FIELDS),
            "legal_basis_th": "พระราชบัญญัติโรงงาน พ.ศ. 2535 มาตรา 12",
            "legal_basis_en": "Factory Act B.E. 2535 (1992) s. 12",
            "connector": "diw_factory_licence",
        },
    )
    return tax


def _tax_evidence(agencies: dict[str, Agency], tax: DataService) -> None:
    """Both demo services that ask for evidence of tax registration fetch it: the
    Excise Department on its mission under the Liquor Act, Bangkok with the applicant's
    consent (it has no mission for tax data), so the demo shows both bases."""
    liquor = Service.objects.filter(slug="liquor-sale-licence").first()
    MissionRule.objects.get_or_create(
        agency=agencies["excise"],
        data_service=tax,
        service=liquor,
        defaults={
            "fields": TAX_EVIDENCE,
            "legal_basis_th": "พระราชบัญญัติภาษีสรรพสามิต พ.ศ. 2560 มาตรา 155",
            "legal_basis_en": "Excise Tax Act B.E. 2560 (2017) s. 155",
        },
    )
    for document in RequiredDocument.objects.filter(
        code="tax_registration", service__slug__in=["liquor-sale-licence", "food-shop-licence"]
    ):
        DocumentSource.objects.update_or_create(
            document=document, defaults={"data_service": tax, "fields": TAX_EVIDENCE}
        )


def civil_person_service(provider: Agency) -> DataService:
    """The civil registry's ``civil-person`` data service, which the portal itself reads
    at sign-in and at the counter (so it must exist wherever people sign in)."""
    civil, _ = DataService.objects.update_or_create(
        code=persons.CIVIL_PERSON,
        defaults={
            "provider": provider,
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
    return civil


def counter_proofing_mission(agency: Agency, civil: DataService) -> MissionRule:
    """The counter's agency proves a walk-in person's identity against the civil registry
    before filing for them: a mission for that step only (``counter_proofing``), for the
    fields an account needs, not a general licence to read the registry."""
    rule, _ = MissionRule.objects.get_or_create(
        agency=agency,
        data_service=civil,
        service=None,
        step=persons.COUNTER_PROOFING,
        defaults={
            "fields": list(persons.PERSON_RECORD_FIELDS),
            "legal_basis_th": (
                "พระราชบัญญัติการอำนวยความสะดวกในการพิจารณาอนุญาตของทางราชการ พ.ศ. 2558 "
                "(ศูนย์บริการร่วมรับคำขอแทนผู้อนุญาต) และพระราชบัญญัติการบริหารงานและ"
                "การให้บริการภาครัฐผ่านระบบดิจิทัล พ.ศ. 2562 (ไม่เรียกสำเนาบัตรประจำตัวประชาชน)"
            ),
            "legal_basis_en": (
                "Licensing Facilitation Act B.E. 2558 (2015): a one-stop service centre "
                "receives applications for the licensing authorities; Digital Government "
                "Administration Act B.E. 2562 (2019): no copy of the ID card is asked for"
            ),
        },
    )
    return rule


def seed() -> None:
    codes = ["dopa", "dbd", "bma", "fda", "rd", "diw", "excise"]
    agencies = {a.code: a for a in Agency.objects.filter(code__in=codes)}
    if len(agencies) < len(codes):
        return  # the demo catalogue is not loaded
    _tax_evidence(agencies, _evidence_services(agencies))
    civil = civil_person_service(agencies["dopa"])
    counter_proofing_mission(agencies[COUNTER_AGENCY], civil)
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


#: Purpose and retention of the agreement behind each demo mission, by the consumer's
#: agency code and the data service's code.
AGREEMENT_TERMS = {
    ("bma", "civil-person"): (
        "พิจารณาคำขอใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร: ชื่อและที่อยู่ของผู้ขออนุญาต",
        "Deciding food shop licence applications: the applicant's name and address",
        365 * 5,
    ),
    ("bma", "juristic-company"): (
        "ตรวจสอบสถานะและที่ตั้งของนิติบุคคลผู้ขออนุญาต",
        "Checking the status and registered office of a company that applies",
        365 * 5,
    ),
    ("excise", "revenue-tax-status"): (
        "พิจารณาคำขอใบอนุญาตขายสุรา: การจดทะเบียนภาษีมูลค่าเพิ่มของผู้ขออนุญาต",
        "Deciding liquor sale licence applications: the applicant's VAT registration",
        365 * 10,
    ),
}


def sharing_agreements() -> None:
    """One signed agreement behind each demo mission, so the record of processing lists
    what each consumer agency receives, why and for how long."""
    for number, rule in enumerate(
        MissionRule.objects.select_related("agency", "data_service").order_by("pk"), start=1
    ):
        default = (
            "ตรวจสอบตัวตนผู้ยื่นคำขอที่ศูนย์บริการ",
            "Proving a walk-in applicant's identity at the service counter",
            365 * 2,
        )
        purpose_th, purpose_en, days = AGREEMENT_TERMS.get(
            (rule.agency.code, rule.data_service.code), default
        )
        SharingAgreement.objects.get_or_create(
            reference=f"mou-2568-{number:03d}",
            defaults={
                "consumer": rule.agency,
                "data_service": rule.data_service,
                "purpose_th": purpose_th,
                "purpose_en": purpose_en,
                "fields": rule.fields,
                "legal_basis_th": rule.legal_basis_th,
                "legal_basis_en": rule.legal_basis_en,
                "retention_days": days,
                "signed_on": dt.date(2025, 10, 1),
                "valid_from": dt.date(2025, 10, 1),
                "valid_until": dt.date(2028, 9, 30),
            },
        )


def _accesses(url: str) -> None:
    """What the demo officers' reviews asked of the registries, through the gateway."""
    person = DEMO_IDENTITIES[0]
    bma = get_user_model().objects.filter(username="officer.bma").first()
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
    with embedded_registries_at(url):
        for consumer, fields, purpose in asks:
            # A refusal is an access the person sees too.
            with contextlib.suppress(gateway.Refused):
                gateway.fetch(consumer, "civil-person", person.citizen_id, fields, purpose)


@demo.loader("exchange", order=85)
def load_demo() -> list[Any]:
    """Data services, missions, document sources and a consent, before the journeys
    (which fetch evidence through them)."""
    seed()
    sharing_agreements()
    return []


@demo.loader("exchange-accesses", order=95)
def load_accesses() -> list[Any]:
    if (
        DataService.objects.exists()
        and not MessageLogEntry.objects.filter(data_service="civil-person").exists()
    ):
        with demo.serving() as url:
            _accesses(url)
    return []
