"""Demo people for the sandbox Digital ID provider.

The same people are registered in the sandbox civil registry
(:mod:`bizportal.registries.demo` imports this list), so a demo sign-in finds a
registry record, as it would with real ThaID and DOPA data. Citizen IDs carry valid
check digits (``stdnum.th.pin``) but belong to nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from bizportal.core import audit, demo

from .models import SandboxIdentity

DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class DemoIdentity:
    citizen_id: str
    title_th: str
    given_name_th: str
    family_name_th: str
    title_en: str
    given_name_en: str
    family_name_en: str
    email: str
    ial: str
    birth_date: dt.date
    address: dict[str, str] = field(default_factory=dict)
    password: str = DEMO_PASSWORD

    @property
    def name_th(self) -> str:
        return f"{self.title_th}{self.given_name_th} {self.family_name_th}"

    @property
    def name_en(self) -> str:
        return f"{self.title_en} {self.given_name_en} {self.family_name_en}"


DEMO_IDENTITIES: list[DemoIdentity] = [
    DemoIdentity(
        citizen_id="3101700123452",
        title_th="นาง",
        given_name_th="สมศรี",
        family_name_th="ใจดี",
        title_en="Mrs",
        given_name_en="Somsri",
        family_name_en="Jaidee",
        email="somsri@example.test",
        ial="2.3",
        birth_date=dt.date(1978, 4, 12),
        address={
            "house_no": "12/3",
            "moo": "",
            "street": "ซอยอารีย์ 1 ถนนพหลโยธิน",
            "subdistrict": "สามเสนใน",
            "district": "พญาไท",
            "province": "กรุงเทพมหานคร",
            "postcode": "10400",
        },
    ),
    DemoIdentity(
        citizen_id="1509900345677",
        title_th="นาย",
        given_name_th="ประเสริฐ",
        family_name_th="ทองคำ",
        title_en="Mr",
        given_name_en="Prasert",
        family_name_en="Thongkham",
        email="prasert@example.test",
        ial="2.1",
        birth_date=dt.date(1990, 11, 3),
        address={
            "house_no": "88",
            "moo": "4",
            "street": "ถนนเชียงใหม่-ลำปาง",
            "subdistrict": "ฟ้าฮ่าม",
            "district": "เมืองเชียงใหม่",
            "province": "เชียงใหม่",
            "postcode": "50000",
        },
    ),
    DemoIdentity(
        citizen_id="3700100789011",
        title_th="นางสาว",
        given_name_th="มาลี",
        family_name_th="สุขสวัสดิ์",
        title_en="Ms",
        given_name_en="Malee",
        family_name_en="Suksawat",
        email="malee@example.test",
        ial="1.2",
        birth_date=dt.date(1985, 2, 28),
        address={
            "house_no": "5",
            "moo": "2",
            "street": "",
            "subdistrict": "บ้านโป่ง",
            "district": "บ้านโป่ง",
            "province": "ราชบุรี",
            "postcode": "70110",
        },
    ),
]


@transaction.atomic
def seed() -> list[DemoIdentity]:
    """Create or refresh the demo identities (idempotent); returns the demo people."""
    for person in DEMO_IDENTITIES:
        identity = SandboxIdentity.objects.filter(citizen_id=person.citizen_id).first()
        created = identity is None
        identity = identity or SandboxIdentity(citizen_id=person.citizen_id)
        for name in (
            "title_th",
            "given_name_th",
            "family_name_th",
            "title_en",
            "given_name_en",
            "family_name_en",
            "email",
            "ial",
        ):
            setattr(identity, name, getattr(person, name))
        if created or not identity.check_password(person.password):
            identity.set_password(person.password)
        identity.is_active = True
        identity.save()
        audit.record("sandbox_idp.demo_seeded", identity, actor_label="load_demo", created=created)
    return list(DEMO_IDENTITIES)


@demo.loader("sandbox_idp", order=20)
def load_demo() -> list[demo.DemoLogin]:
    return [
        demo.DemoLogin(
            "Entrepreneurs (sign in with Digital ID: the sandbox provider)",
            person.citizen_id,
            person.password,
            person.name_th,
        )
        for person in seed()
    ]
