"""Demo records for the sandbox registries: the sandbox Digital ID's demo people, two
companies whose directors are among them, their tax registration and the coffee
company's factory licences (one in force, one expired)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction

from bizportal.core import audit, demo
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from .models import SandboxFactoryLicence, SandboxJuristicPerson, SandboxPerson, SandboxTaxpayer

DEMO_COMPANIES: list[dict[str, Any]] = [
    {
        "juristic_id": "0105558123451",
        "name_th": "บริษัท ครัวสมศรี จำกัด",
        "name_en": "Krua Somsri Company Limited",
        "registration_date": dt.date(2015, 6, 1),
        "director_citizen_ids": [DEMO_IDENTITIES[0].citizen_id],
        "address": {
            "house_no": "12/3",
            "moo": "",
            "street": "ซอยอารีย์ 1 ถนนพหลโยธิน",
            "subdistrict": "สามเสนใน",
            "district": "พญาไท",
            "province": "กรุงเทพมหานคร",
            "postcode": "10400",
        },
    },
    {
        "juristic_id": "0105560987653",
        "name_th": "บริษัท ทองคำ คอฟฟี่ จำกัด",
        "name_en": "Thongkham Coffee Company Limited",
        "registration_date": dt.date(2017, 9, 15),
        "director_citizen_ids": [DEMO_IDENTITIES[1].citizen_id, DEMO_IDENTITIES[0].citizen_id],
        # Registered with joint signing: a submission needs both directors.
        "signing_rule": "two",
        "address": {
            "house_no": "88",
            "moo": "4",
            "street": "ถนนเชียงใหม่-ลำปาง",
            "subdistrict": "ฟ้าฮ่าม",
            "district": "เมืองเชียงใหม่",
            "province": "เชียงใหม่",
            "postcode": "50000",
        },
    },
]

# Both companies are VAT registered (head office); the demo people are taxpayers
# without VAT.
DEMO_TAXPAYERS: list[dict[str, Any]] = [
    {
        "taxpayer_id": "0105558123451",
        "name_th": "บริษัท ครัวสมศรี จำกัด",
        "vat_registered": True,
        "vat_registration_number": "0105558123451",
        "vat_registered_since": dt.date(2015, 8, 1),
    },
    {
        "taxpayer_id": "0105560987653",
        "name_th": "บริษัท ทองคำ คอฟฟี่ จำกัด",
        "vat_registered": True,
        "vat_registration_number": "0105560987653",
        "vat_registered_since": dt.date(2018, 1, 1),
    },
    *(
        {
            "taxpayer_id": person.citizen_id,
            "name_th": f"{person.title_th}{person.given_name_th} {person.family_name_th}",
        }
        for person in DEMO_IDENTITIES
    ),
]

# The coffee company roasts in Chiang Mai; its older hulling plant's licence expired
# under the five-year term licences had before the 2019 amendment.
DEMO_FACTORY_LICENCES: list[dict[str, Any]] = [
    {
        "licence_number": "3-2(1)-12/61ชม",
        "owner_id": "0105560987653",
        "factory_name": "โรงคั่วกาแฟทองคำ",
        "factory_type_code": "2(1)",
        "factory_type_th": "การต้ม นึ่ง หรืออบพืชหรือเมล็ดพืช",
        "issued_on": dt.date(2018, 3, 20),
        "address": {
            "house_no": "88/1",
            "moo": "4",
            "street": "ถนนเชียงใหม่-ลำปาง",
            "subdistrict": "ฟ้าฮ่าม",
            "district": "เมืองเชียงใหม่",
            "province": "เชียงใหม่",
            "postcode": "50000",
        },
    },
    {
        "licence_number": "3-2(2)-4/56ชร",
        "owner_id": "0105560987653",
        "factory_name": "โรงสีกาแฟทองคำ ดอยช้าง",
        "factory_type_code": "2(2)",
        "factory_type_th": "การกระเทาะเมล็ดหรือเปลือกเมล็ดพืช",
        "status": SandboxFactoryLicence.Status.EXPIRED,
        "issued_on": dt.date(2013, 11, 5),
        "expires_on": dt.date(2018, 12, 31),
        "address": {
            "house_no": "201",
            "moo": "7",
            "street": "",
            "subdistrict": "วาวี",
            "district": "แม่สรวย",
            "province": "เชียงราย",
            "postcode": "57180",
        },
    },
]


@transaction.atomic
def seed() -> list[str]:
    """Create or refresh the demo registry records (idempotent).

    Returns the citizen IDs and juristic IDs written.
    """
    written: list[str] = []
    for person in DEMO_IDENTITIES:
        record, created = SandboxPerson.objects.update_or_create(
            citizen_id=person.citizen_id,
            defaults={
                "title_th": person.title_th,
                "first_name_th": person.given_name_th,
                "last_name_th": person.family_name_th,
                "title_en": person.title_en,
                "first_name_en": person.given_name_en,
                "last_name_en": person.family_name_en,
                "birth_date": person.birth_date,
                **person.address,
            },
        )
        audit.record("registries.demo_seeded", record, actor_label="load_demo", created=created)
        written.append(person.citizen_id)
    for company in DEMO_COMPANIES:
        fields = {k: v for k, v in company.items() if k not in {"juristic_id", "address"}}
        company_record, created = SandboxJuristicPerson.objects.update_or_create(
            juristic_id=company["juristic_id"], defaults={**fields, **company["address"]}
        )
        audit.record(
            "registries.demo_seeded", company_record, actor_label="load_demo", created=created
        )
        written.append(company["juristic_id"])
    _seed_tax_and_factories()
    return written


def _seed_tax_and_factories() -> None:
    for taxpayer in DEMO_TAXPAYERS:
        fields = {k: v for k, v in taxpayer.items() if k != "taxpayer_id"}
        record, created = SandboxTaxpayer.objects.update_or_create(
            taxpayer_id=taxpayer["taxpayer_id"], defaults=fields
        )
        audit.record("registries.demo_seeded", record, actor_label="load_demo", created=created)
    for licence in DEMO_FACTORY_LICENCES:
        fields = {k: v for k, v in licence.items() if k not in {"licence_number", "address"}}
        factory, created = SandboxFactoryLicence.objects.update_or_create(
            licence_number=licence["licence_number"], defaults={**fields, **licence["address"]}
        )
        audit.record("registries.demo_seeded", factory, actor_label="load_demo", created=created)


@demo.loader("registries", order=30)
def load_demo() -> list[demo.DemoLogin]:
    seed()
    return []


#: The settings that locate each registry (``registries.client``).
REGISTRY_URL_SETTINGS = (
    "CIVIL_REGISTRY_URL",
    "JURISTIC_REGISTRY_URL",
    "REVENUE_REGISTRY_URL",
    "DIW_REGISTRY_URL",
)


@contextlib.contextmanager
def embedded_registries_at(url: str) -> Iterator[None]:
    """Point each registry that is this portal's embedded sandbox at ``url`` (the
    server ``core.demo.serving`` started) while demo journeys run; an external registry
    is left as configured."""
    saved = {name: str(getattr(settings, name)) for name in REGISTRY_URL_SETTINGS}
    for name, configured in saved.items():
        if configured.startswith(settings.BASE_URL):
            setattr(settings, name, url + configured.removeprefix(settings.BASE_URL))
    try:
        yield
    finally:
        for name, configured in saved.items():
            setattr(settings, name, configured)
