"""Demo records for the sandbox registries: the sandbox Digital ID's demo people, and
two companies whose directors are among them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from bizportal.core import audit, demo
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from .models import SandboxJuristicPerson, SandboxPerson

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
    return written


@demo.loader("registries", order=30)
def load_demo() -> list[demo.DemoLogin]:
    seed()
    return []
