"""Thai demo catalogue: 45 real business licences and registrations of 23 agencies.

Five services are onboarded on Biz Portal: their form, documents, fee table and process
are defined below as data, exactly as an agency admin would configure them, and people
apply for them here. The other forty are described in ``fixtures/demo_catalogue.json``
as their citizen manuals describe them and are applied for where the agency takes them
(its own e-service or its office), which their pages say. The fixture also holds the
citizen-manual data and categories of the five onboarded services, and the agencies.

Figures (fees, days, contacts) are realistic demo values, not legal advice.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from bizportal.core import demo

from . import demo_synonyms, services  # noqa: F401 - demo_synonyms registers its loader

FIXTURE = Path(__file__).with_name("fixtures") / "demo_catalogue.json"

SCHEMA = "https://json-schema.org/draft/2020-12/schema"

# Fields every application carries. Identity fields are prefilled from Digital ID and
# the civil registry and are read-only: the applicant never types them.
COMMON_PROPERTIES: dict[str, Any] = {
    "applicant_name": {"type": "string", "minLength": 1, "maxLength": 200},
    "applicant_citizen_id": {"type": "string", "format": "th-citizen-id"},
    "applicant_passport": {"type": "string", "maxLength": 40},
    "applicant_address": {"type": "string", "maxLength": 500},
    "phone": {"type": "string", "pattern": "^0[0-9]{8,9}$"},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "business_name": {"type": "string", "minLength": 2, "maxLength": 200},
    "business_address": {"type": "string", "minLength": 10, "maxLength": 500},
}
COMMON_REQUIRED = [
    "applicant_name",
    "phone",
    "business_name",
    "business_address",
]
COMMON_UI: dict[str, Any] = {
    "applicant_name": {
        "label_th": "ชื่อผู้ยื่นคำขอ",
        "label_en": "Applicant's name",
        "prefill": "applicant.full_name_th",
        "readonly": True,
    },
    "applicant_citizen_id": {
        "label_th": "เลขประจำตัวประชาชน",
        "label_en": "Citizen ID",
        "prefill": "applicant.citizen_id",
        "readonly": True,
        "omit_when_empty": True,
    },
    "applicant_passport": {
        "label_th": "หนังสือเดินทาง (สัญชาติ เลขที่)",
        "label_en": "Passport (nationality, number)",
        "prefill": "applicant.passport",
        "readonly": True,
        "omit_when_empty": True,
    },
    "applicant_address": {
        "label_th": "ที่อยู่ตามทะเบียนบ้าน",
        "label_en": "Registered address",
        "prefill": "applicant.address",
        "readonly": True,
        "widget": "textarea",
    },
    "phone": {
        "label_th": "โทรศัพท์มือถือ",
        "label_en": "Mobile phone",
        "widget": "tel",
        "help_th": "ตัวเลข 9–10 หลัก ขึ้นต้นด้วย 0",
        "help_en": "9–10 digits starting with 0",
    },
    "email": {
        "label_th": "อีเมลสำหรับรับแจ้งสถานะ",
        "label_en": "Email for status updates",
        "prefill": "applicant.email",
        "widget": "email",
    },
    "business_name": {"label_th": "ชื่อสถานประกอบการ", "label_en": "Business name"},
    "business_address": {
        "label_th": "ที่ตั้งสถานประกอบการ",
        "label_en": "Business address",
        "widget": "textarea",
    },
}
MANAGER_ID_UI = {
    "label_th": "เลขประจำตัวประชาชนของผู้ควบคุมกิจการ",
    "label_en": "Citizen ID of the person in charge",
    "help_th": "13 หลัก ไม่ต้องใส่ขีด",
    "help_en": "13 digits, no dashes",
}
JURISTIC_ID_UI = {
    "label_th": "เลขทะเบียนนิติบุคคล",
    "label_en": "Juristic person registration number",
    "prefill": "party.juristic_id",
    "readonly": True,
    "omit_when_empty": True,
}
PREMISES = {
    "type": "string",
    "enum": ["owned", "rented"],
}
PREMISES_UI = {
    "label_th": "สถานที่ประกอบการ",
    "label_en": "Premises",
    "widget": "radio",
    "choices": {
        "owned": {"th": "เป็นเจ้าของ", "en": "Owned"},
        "rented": {"th": "เช่า", "en": "Rented"},
    },
}
RENTAL_DOCUMENT = {
    "code": "premises_consent",
    "name_th": "สัญญาเช่าหรือหนังสือยินยอมให้ใช้สถานที่",
    "name_en": "Lease or owner's consent to use the premises",
    "required_when": {"premises": "rented"},
    "note_th": "ต้องแนบเมื่อเช่าสถานที่",
    "note_en": "Required when the premises are rented",
}

#: Held by the Revenue Department: the exchange fetches it where the service declares
#: so (``exchange.DocumentSource``), otherwise the applicant uploads it.
TAX_REGISTRATION = {
    "code": "tax_registration",
    "name_th": "หลักฐานการจดทะเบียนผู้เสียภาษี (ภ.พ.20 หรือบัตรประจำตัวผู้เสียภาษี)",
    "name_en": "Evidence of taxpayer registration (VAT certificate or taxpayer card)",
}


def form(
    properties: dict[str, Any], required: list[str], ui: dict[str, Any], order: list[str]
) -> dict[str, Any]:
    return {
        "form_schema": {
            "$schema": SCHEMA,
            "type": "object",
            "properties": {**COMMON_PROPERTIES, **properties},
            "required": COMMON_REQUIRED + required,
            # A Thai applicant is known by citizen ID; a foreigner without one by passport.
            "if": {"required": ["applicant_passport"]},
            "else": {"required": ["applicant_citizen_id"]},
        },
        "ui_schema": {
            "order": [*list(COMMON_UI), *order],
            "fields": {**COMMON_UI, **ui},
        },
    }


STANDARD_TERMS_TH = (
    "ข้าพเจ้าขอรับรองว่าข้อความและเอกสารที่ยื่นเป็นความจริงทุกประการ และยินยอมให้หน่วยงานตรวจสอบข้อมูล"
    "จากหน่วยงานของรัฐที่เกี่ยวข้องเพื่อพิจารณาคำขอนี้"
)
STANDARD_TERMS_EN = (
    "I certify that the statements and documents submitted are true, and I consent to the agency "
    "verifying them with the government agencies concerned in order to decide this application."
)

AMENDMENT_EVIDENCE = {
    "code": "change_evidence",
    "kind": "amend",
    "name_th": "เอกสารแสดงการเปลี่ยนแปลง (ถ้ามี)",
    "name_en": "Evidence of the change (if any)",
    "note_th": "เช่น หนังสือยินยอมใช้สถานที่ใหม่ หรือหนังสือแต่งตั้งผู้ควบคุมกิจการคนใหม่",
    "note_en": "For example, consent for new premises or the appointment of a new manager",
    "required": False,
}


def application_types(
    renewal_fee: str, *, renew_opens_days_before: int = 90
) -> list[dict[str, Any]]:
    """Every demo service takes all four kinds: amend (its own fee and evidence), renew
    (its own fee table with the late surcharge; the service's form and documents),
    and cancel (no fee, no documents, the platform's cancellation process)."""
    return [
        {"kind": "new"},
        {"kind": "amend", "fee_table": "fee_amendment", "own_documents": True},
        {
            "kind": "renew",
            "fee_table": renewal_fee,
            "renew_opens_days_before": renew_opens_days_before,
            "renew_late_days": 30,
        },
        {
            "kind": "cancel",
            "fee_table": "fee_none",
            "own_documents": True,
            "process_id": "licence_cancellation",
        },
    ]


SERVICES: list[dict[str, Any]] = [
    {
        "slug": "commercial-registration",
        "agency": "dbd",
        "companies_may_apply": False,
        "manual_code": "DBD-CM-01",
        "name_th": "การจดทะเบียนพาณิชย์ (ตั้งใหม่) บุคคลธรรมดา",
        "name_en": "Commercial registration (new business), natural person",
        "summary_th": "จดทะเบียนพาณิชย์สำหรับร้านค้า ร้านค้าออนไลน์ และกิจการบริการของบุคคลธรรมดา",
        "summary_en": "Register a shop, online shop or service business run by a natural person.",
        "who_may_apply_th": "บุคคลธรรมดาสัญชาติไทยที่ประกอบพาณิชยกิจ ภายใน 30 วันนับแต่วันเริ่มกิจการ",
        "who_may_apply_en": "Thai natural persons carrying on a commercial business, within 30 days of starting.",
        "steps": [
            {
                "th": "ยื่นคำขอและเอกสารออนไลน์",
                "en": "Submit the application and documents online",
                "days": 0,
            },
            {
                "th": "นายทะเบียนตรวจสอบและพิจารณา",
                "en": "The registrar checks and decides",
                "days": 1,
            },
            {
                "th": "ชำระค่าธรรมเนียมและรับหนังสือรับรองอิเล็กทรอนิกส์",
                "en": "Pay and receive the e-certificate",
                "days": 0,
            },
        ],
        "processing_days": 1,
        "fee_display_th": "50 บาท",
        "fee_display_en": "THB 50",
        "channel_note_th": "ยื่นออนไลน์ผ่านบิซพอร์ทัล หรือที่สำนักงานเขต",
        "channel_note_en": "Online through Biz Portal, or at a district office",
        "fee_table": "fee_commercial_registration",
        "process_id": "",
        "licence_title_th": "หนังสือรับรองการจดทะเบียนพาณิชย์",
        "licence_title_en": "Commercial Registration Certificate",
        "licence_permits_th": "ประกอบพาณิชยกิจตามชนิดที่จดทะเบียนไว้ ณ ที่ตั้งสำนักงานใหญ่ที่ระบุ",
        "licence_permits_en": "Carrying on the registered kind of commerce at the stated head office",
        "licence_validity_years": 0,
        "licence_prefix": "DBD-CR",
        **form(
            {
                "business_type": {
                    "type": "string",
                    "enum": ["retail", "online", "restaurant", "service"],
                },
                "capital_thb": {"type": "number", "minimum": 0, "maximum": 100000000},
                "premises": PREMISES,
            },
            ["business_type", "capital_thb", "premises"],
            {
                "business_type": {
                    "label_th": "ชนิดแห่งพาณิชยกิจ",
                    "label_en": "Kind of business",
                    "widget": "select",
                    "choices": {
                        "retail": {"th": "ขายปลีก", "en": "Retail"},
                        "online": {"th": "ขายสินค้าออนไลน์", "en": "Online shop"},
                        "restaurant": {"th": "ร้านอาหาร", "en": "Restaurant"},
                        "service": {"th": "บริการ", "en": "Services"},
                    },
                },
                "capital_thb": {
                    "label_th": "จำนวนเงินทุน (บาท)",
                    "label_en": "Capital (THB)",
                    "widget": "number",
                },
                "premises": PREMISES_UI,
            },
            ["business_type", "capital_thb", "premises"],
        ),
        "application_types": application_types("fee_renewal_standard"),
        "documents": [
            AMENDMENT_EVIDENCE,
            {
                "code": "premises_map",
                "name_th": "แผนที่แสดงที่ตั้งสถานประกอบการ",
                "name_en": "Map of the business location",
            },
            RENTAL_DOCUMENT,
        ],
    },
    {
        "slug": "food-shop-licence",
        "agency": "bma",
        "foreigners_may_apply": True,
        "manual_code": "BMA-HL-05",
        "name_th": "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        "name_en": "Licence to operate a food shop",
        "summary_th": "ร้านอาหาร ภัตตาคาร และสถานที่จำหน่ายอาหารในเขตกรุงเทพมหานคร",
        "summary_en": "Restaurants and other places selling food in Bangkok.",
        "who_may_apply_th": "ผู้ประกอบการร้านอาหารที่มีพื้นที่เกิน 200 ตารางเมตร หรือที่ท้องถิ่นกำหนด",
        "who_may_apply_en": "Operators of food shops larger than 200 m² or as the locality requires.",
        "steps": [
            {"th": "ยื่นคำขอออนไลน์", "en": "Apply online", "days": 0},
            {
                "th": "เจ้าพนักงานสาธารณสุขตรวจสอบเอกสาร",
                "en": "Health officer reviews the documents",
                "days": 10,
            },
            {"th": "พิจารณาออกใบอนุญาต", "en": "Decision on the licence", "days": 5},
        ],
        "processing_days": 15,
        "fee_display_th": "500–2,000 บาทต่อปี ตามพื้นที่",
        "fee_display_en": "THB 500–2,000 a year, by floor area",
        "channel_note_th": "ออนไลน์ หรือสำนักงานเขตที่ตั้งร้าน",
        "channel_note_en": "Online, or the district office",
        "fee_table": "fee_food_shop",
        "process_id": "",
        "licence_title_th": "ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        "licence_title_en": "Food Shop Licence",
        "licence_permits_th": "จัดตั้งและดำเนินกิจการสถานที่จำหน่ายอาหาร ณ สถานที่ที่ระบุ",
        "licence_permits_en": "Setting up and running a food shop at the stated premises",
        "licence_validity_years": 1,
        "licence_prefix": "BMA-FD",
        **form(
            {
                "area_sqm": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
                "seats": {"type": "integer", "minimum": 0, "maximum": 5000},
                "manager_citizen_id": {"type": "string", "format": "th-citizen-id"},
                "premises": PREMISES,
            },
            ["area_sqm", "seats", "manager_citizen_id", "premises"],
            {
                "area_sqm": {
                    "label_th": "พื้นที่ประกอบการ (ตารางเมตร)",
                    "label_en": "Floor area (m²)",
                    "widget": "number",
                },
                "seats": {
                    "label_th": "จำนวนที่นั่ง",
                    "label_en": "Number of seats",
                    "widget": "number",
                },
                "manager_citizen_id": MANAGER_ID_UI,
                "premises": PREMISES_UI,
            },
            ["area_sqm", "seats", "manager_citizen_id", "premises"],
        ),
        "application_types": application_types("fee_food_shop_renewal"),
        "documents": [
            AMENDMENT_EVIDENCE,
            {"code": "floor_plan", "name_th": "แผนผังภายในร้าน", "name_en": "Floor plan of the shop"},
            RENTAL_DOCUMENT,
            TAX_REGISTRATION,
            {
                "code": "food_handler_cert",
                "name_th": "ใบรับรองการอบรมผู้สัมผัสอาหาร",
                "name_en": "Food handler training certificate",
                "required": False,
            },
        ],
    },
    {
        "slug": "liquor-sale-licence",
        "agency": "excise",
        "manual_code": "EXC-LQ-02",
        "name_th": "ใบอนุญาตขายสุรา",
        "name_en": "Liquor sale licence",
        "summary_th": "ขออนุญาตขายสุราปลีกหรือส่ง สำหรับร้านค้าและร้านอาหาร",
        "summary_en": "Permission to sell liquor by retail or wholesale, for shops and restaurants.",
        "who_may_apply_th": "บุคคลธรรมดาหรือนิติบุคคลที่มีสถานที่ขายแน่นอน และไม่ขาดคุณสมบัติตามกฎหมาย",
        "who_may_apply_en": "Natural or juristic persons with fixed premises who meet the legal requirements.",
        "steps": [
            {"th": "ยื่นคำขอออนไลน์", "en": "Apply online", "days": 0},
            {"th": "พนักงานเจ้าหน้าที่ตรวจสอบ", "en": "Excise officer reviews", "days": 3},
            {"th": "พิจารณาอนุญาต", "en": "Decision", "days": 2},
        ],
        "processing_days": 5,
        "fee_display_th": "ขายปลีก 1,100 บาท / ขายส่ง 5,500 บาท ต่อปี",
        "fee_display_en": "Retail THB 1,100 / wholesale THB 5,500 a year",
        "channel_note_th": "ออนไลน์ หรือสำนักงานสรรพสามิตพื้นที่",
        "channel_note_en": "Online, or the area excise office",
        "fee_table": "fee_liquor_sale",
        "process_id": "inspection_licence",
        "licence_title_th": "ใบอนุญาตขายสุรา",
        "licence_title_en": "Liquor Sale Licence",
        "licence_permits_th": "ขายสุราตามประเภทที่ได้รับอนุญาต ณ สถานที่ที่ระบุ",
        "licence_permits_en": "Selling liquor of the licensed kind at the stated premises",
        "licence_validity_years": 1,
        "licence_prefix": "EXC-LQ",
        **form(
            {
                "sales_type": {"type": "string", "enum": ["retail", "wholesale"]},
                "juristic_id": {"type": "string", "format": "th-juristic-id"},
                "manager_citizen_id": {"type": "string", "format": "th-citizen-id"},
            },
            ["sales_type", "manager_citizen_id"],
            {
                "sales_type": {
                    "label_th": "ประเภทการขาย",
                    "label_en": "Type of sale",
                    "widget": "radio",
                    "choices": {
                        "retail": {"th": "ขายปลีก", "en": "Retail"},
                        "wholesale": {"th": "ขายส่ง", "en": "Wholesale"},
                    },
                },
                "juristic_id": JURISTIC_ID_UI,
                "manager_citizen_id": MANAGER_ID_UI,
            },
            ["sales_type", "juristic_id", "manager_citizen_id"],
        ),
        "application_types": application_types("fee_renewal_standard"),
        "documents": [
            AMENDMENT_EVIDENCE,
            {
                "code": "premises_photo",
                "name_th": "ภาพถ่ายสถานที่ขาย",
                "name_en": "Photo of the premises",
                "note_th": "JPEG หรือ PNG",
                "note_en": "JPEG or PNG",
            },
            TAX_REGISTRATION,
        ],
    },
    {
        "slug": "factory-licence",
        "agency": "diw",
        "persons_may_apply": False,
        # ร.ง.4 by a delegate needs a written power of attorney (หนังสือมอบอำนาจ).
        "requires_written_mandate": True,
        "manual_code": "DIW-RN4-01",
        "name_th": "ใบอนุญาตประกอบกิจการโรงงาน (ร.ง.4)",
        "name_en": "Factory operation licence (Ror.Ngor.4)",
        "summary_th": "ขออนุญาตประกอบกิจการโรงงานจำพวกที่ 3 มีการตรวจสถานที่ก่อนอนุญาต",
        "summary_en": "Licence to operate a class 3 factory; the premises are inspected before approval.",
        "who_may_apply_th": "นิติบุคคลที่จะประกอบกิจการโรงงานจำพวกที่ 3 โดยกรรมการหรือผู้รับมอบอำนาจ",
        "who_may_apply_en": "Juristic persons, through their directors or delegates, who will operate a class 3 factory.",
        "steps": [
            {"th": "ยื่นคำขอออนไลน์", "en": "Apply online", "days": 0},
            {"th": "ตรวจสอบเอกสาร", "en": "Document review", "days": 10},
            {"th": "ตรวจสถานที่ตั้งโรงงาน", "en": "Premises inspection", "days": 15},
            {"th": "พิจารณาอนุญาต", "en": "Decision", "days": 5},
        ],
        "processing_days": 30,
        "fee_display_th": "500–10,000 บาท ตามแรงม้าเครื่องจักร",
        "fee_display_en": "THB 500–10,000 by machine horsepower",
        "channel_note_th": "ออนไลน์",
        "channel_note_en": "Online",
        "fee_table": "fee_factory",
        "process_id": "three_stage_licence",
        "licence_title_th": "ใบอนุญาตประกอบกิจการโรงงาน",
        "licence_title_en": "Factory Operation Licence",
        "licence_permits_th": "ประกอบกิจการโรงงานจำพวกที่ 3 ตามประเภทและขนาดเครื่องจักรที่ระบุ",
        "licence_permits_en": "Operating a class 3 factory of the stated type and machine capacity",
        "licence_validity_years": 5,
        "licence_prefix": "DIW-F4",
        **form(
            {
                "juristic_id": {"type": "string", "format": "th-juristic-id"},
                "factory_type": {
                    "type": "string",
                    "enum": ["food", "plastics", "metal", "furniture"],
                },
                "machine_hp": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
                "workers": {"type": "integer", "minimum": 1, "maximum": 100000},
            },
            ["juristic_id", "factory_type", "machine_hp", "workers"],
            {
                "juristic_id": JURISTIC_ID_UI,
                "factory_type": {
                    "label_th": "ประเภทโรงงาน",
                    "label_en": "Type of factory",
                    "widget": "select",
                    "choices": {
                        "food": {"th": "ผลิตอาหาร", "en": "Food processing"},
                        "plastics": {"th": "ผลิตภัณฑ์พลาสติก", "en": "Plastic products"},
                        "metal": {"th": "ผลิตภัณฑ์โลหะ", "en": "Metal products"},
                        "furniture": {"th": "เฟอร์นิเจอร์", "en": "Furniture"},
                    },
                },
                "machine_hp": {
                    "label_th": "กำลังเครื่องจักรรวม (แรงม้า)",
                    "label_en": "Total machine power (hp)",
                    "widget": "number",
                },
                "workers": {
                    "label_th": "จำนวนคนงาน",
                    "label_en": "Number of workers",
                    "widget": "number",
                },
            },
            ["juristic_id", "factory_type", "machine_hp", "workers"],
        ),
        "application_types": application_types("fee_renewal_standard"),
        "documents": [
            AMENDMENT_EVIDENCE,
            {
                "code": "factory_plan",
                "name_th": "แผนผังโรงงานและการติดตั้งเครื่องจักร",
                "name_en": "Factory layout and machine installation plan",
            },
        ],
    },
    {
        "slug": "tour-business-licence",
        "agency": "dot",
        "requires_written_mandate": True,
        "min_aal_submit": 2,
        "min_aal_pay": 2,
        "manual_code": "DOT-TB-01",
        "name_th": "ใบอนุญาตประกอบธุรกิจนำเที่ยว",
        "name_en": "Tour business licence",
        "summary_th": "ธุรกิจนำเที่ยวเฉพาะพื้นที่ ในประเทศ นำเที่ยวต่างประเทศ และนำเข้าจากต่างประเทศ",
        "summary_en": "Local, domestic, outbound and inbound tour businesses.",
        "who_may_apply_th": "บุคคลธรรมดาหรือนิติบุคคลที่วางหลักประกันตามประเภทธุรกิจนำเที่ยว",
        "who_may_apply_en": "Natural or juristic persons who lodge the security required for the tour type.",
        "steps": [
            {"th": "ยื่นคำขอและหนังสือค้ำประกันธนาคาร", "en": "Apply with a bank guarantee", "days": 0},
            {"th": "นายทะเบียนพิจารณา", "en": "The registrar decides", "days": 7},
        ],
        "processing_days": 7,
        "fee_display_th": "300–1,000 บาท ตามประเภทธุรกิจนำเที่ยว",
        "fee_display_en": "THB 300–1,000 by tour type",
        "channel_note_th": "ออนไลน์ หรือสำนักทะเบียนธุรกิจนำเที่ยว",
        "channel_note_en": "Online, or the tour business registrar",
        "fee_table": "fee_tour_business",
        "process_id": "",
        "licence_title_th": "ใบอนุญาตประกอบธุรกิจนำเที่ยว",
        "licence_title_en": "Tour Business Licence",
        "licence_permits_th": "ประกอบธุรกิจนำเที่ยวตามประเภทที่ได้รับอนุญาต",
        "licence_permits_en": "Operating a tour business of the licensed type",
        "licence_validity_years": 2,
        "licence_prefix": "DOT-TB",
        **form(
            {
                "tour_area": {
                    "type": "string",
                    "enum": ["local", "domestic", "inbound", "outbound"],
                },
                "manager_citizen_id": {"type": "string", "format": "th-citizen-id"},
            },
            ["tour_area", "manager_citizen_id"],
            {
                "tour_area": {
                    "label_th": "ประเภทธุรกิจนำเที่ยว",
                    "label_en": "Type of tour business",
                    "widget": "select",
                    "choices": {
                        "local": {"th": "เฉพาะพื้นที่", "en": "Local"},
                        "domestic": {"th": "ในประเทศ", "en": "Domestic"},
                        "inbound": {"th": "นำเที่ยวจากต่างประเทศ (Inbound)", "en": "Inbound"},
                        "outbound": {"th": "นำเที่ยวต่างประเทศ (Outbound)", "en": "Outbound"},
                    },
                },
                "manager_citizen_id": MANAGER_ID_UI,
            },
            ["tour_area", "manager_citizen_id"],
        ),
        "application_types": application_types("fee_renewal_standard"),
        "documents": [
            AMENDMENT_EVIDENCE,
            {
                "code": "bank_guarantee",
                "name_th": "หนังสือค้ำประกันของธนาคาร",
                "name_en": "Bank guarantee letter",
            },
        ],
    },
]


#: Catalogue services the demo takes on Biz Portal although the agency decides them in
#: its own system (issue 8): the FDA's licensing system receives food-production
#: applications online as they are submitted, and medical-device importers' registrations
#: in a daily batch
#: (see ``bizportal.integrations.demo``, which publishes both integrations). The
#: catalogue entry gives the manual data; this gives the form, fee and process.
DECIDED_IN_AGENCY_SYSTEMS: dict[str, dict[str, Any]] = {
    "food-production-licence": {
        "channel": "online",
        "apply_url": "",
        "channel_note_th": "ยื่นที่ Biz Portal ระบบของ อย. พิจารณา",
        "channel_note_en": "Apply on Biz Portal; the FDA's own system decides",
        "fee_table": "fee_factory",
        "process_id": "agency_system_licence",
        **form(
            {
                "production_type": {
                    "type": "string",
                    "enum": ["ready_to_eat", "beverage", "snack", "seasoning"],
                },
                "machine_hp": {"type": "number", "minimum": 0, "maximum": 100000},
                "area_sqm": {"type": "number", "exclusiveMinimum": 0, "maximum": 100000},
                "premises": PREMISES,
            },
            ["production_type", "machine_hp", "area_sqm", "premises"],
            {
                "production_type": {
                    "label_th": "ประเภทอาหารที่ผลิต",
                    "label_en": "Kind of food produced",
                    "widget": "select",
                    "choices": {
                        "ready_to_eat": {"th": "อาหารพร้อมรับประทาน", "en": "Ready-to-eat food"},
                        "beverage": {"th": "เครื่องดื่ม", "en": "Beverages"},
                        "snack": {"th": "ขนมขบเคี้ยว", "en": "Snacks"},
                        "seasoning": {"th": "เครื่องปรุงรส", "en": "Seasonings"},
                    },
                },
                "machine_hp": {
                    "label_th": "กำลังเครื่องจักรรวม (แรงม้า)",
                    "label_en": "Total machine power (horsepower)",
                    "widget": "number",
                },
                "area_sqm": {
                    "label_th": "พื้นที่สถานที่ผลิต (ตารางเมตร)",
                    "label_en": "Floor area of the premises (m²)",
                    "widget": "number",
                },
                "premises": PREMISES_UI,
            },
            ["production_type", "machine_hp", "area_sqm", "premises"],
        ),
    },
    "medical-device-establishment-licence": {
        "channel": "online",
        "apply_url": "",
        "channel_note_th": "ยื่นที่ Biz Portal ส่งถึงระบบของ อย. เป็นชุดรายวัน",
        "channel_note_en": "Apply on Biz Portal; sent to the FDA's system in a daily batch",
        "fee_table": "fee_medical_device",
        "process_id": "agency_system_licence",
        **form(
            {
                "device_class": {"type": "string", "enum": ["1", "2", "3", "4"]},
                "storage_area_sqm": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 100000,
                },
                "premises": PREMISES,
            },
            ["device_class", "storage_area_sqm", "premises"],
            {
                "device_class": {
                    "label_th": "ประเภทความเสี่ยงสูงสุดของเครื่องมือแพทย์ที่นำเข้า",
                    "label_en": "Highest risk class of the devices imported",
                    "widget": "select",
                    "choices": {
                        "1": {"th": "ประเภทที่ 1 (ความเสี่ยงต่ำ)", "en": "Class 1 (low risk)"},
                        "2": {"th": "ประเภทที่ 2", "en": "Class 2"},
                        "3": {"th": "ประเภทที่ 3", "en": "Class 3"},
                        "4": {"th": "ประเภทที่ 4 (ความเสี่ยงสูง)", "en": "Class 4 (high risk)"},
                    },
                },
                "storage_area_sqm": {
                    "label_th": "พื้นที่เก็บรักษาเครื่องมือแพทย์ (ตารางเมตร)",
                    "label_en": "Storage area for the devices (m²)",
                    "widget": "number",
                },
                "premises": PREMISES_UI,
            },
            ["device_class", "storage_area_sqm", "premises"],
        ),
    },
}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The demo catalogue file: agencies, the onboarded services' manual data, the rest."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def _category_keys(categories: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(kind, code) for kind, codes in categories.items() for code in codes]


def seed() -> None:
    """Create or update the demo catalogue (idempotent)."""
    data = catalogue()
    agencies = {a["code"]: services.upsert_agency(**a) for a in data["agencies"]}
    for entry in SERVICES:
        fields = {**entry, **data["onboarded"][entry["slug"]]}
        slug = fields.pop("slug")
        agency = agencies[fields.pop("agency")]
        documents = fields.pop("documents")
        kinds = fields.pop("application_types")
        categories = _category_keys(fields.pop("categories"))
        services.upsert_service(
            slug,
            agency=agency,
            documents=documents,
            application_types=kinds,
            categories=categories,
            terms_th=STANDARD_TERMS_TH,
            terms_en=STANDARD_TERMS_EN,
            **fields,
        )
    for entry in data["services"]:
        fields = dict(entry)
        slug = fields.pop("slug")
        taken = DECIDED_IN_AGENCY_SYSTEMS.get(slug)
        if taken:
            fields.update(taken, terms_th=STANDARD_TERMS_TH, terms_en=STANDARD_TERMS_EN)
        services.upsert_service(
            slug,
            agency=agencies[fields.pop("agency")],
            documents=fields.pop("documents"),
            application_types=application_types("fee_renewal_standard") if taken else [],
            categories=_category_keys(fields.pop("categories")),
            **fields,
        )


@demo.loader("catalog", order=10)
def load_demo() -> list[demo.DemoLogin]:
    seed()
    return []
