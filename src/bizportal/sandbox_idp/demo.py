"""Demo people for the sandbox Digital ID provider.

The Thai people (``DEMO_IDENTITIES``) are registered in the sandbox civil registry too
(:mod:`bizportal.registries.demo` imports this list), so a demo sign-in finds a
registry record, as it would with real ThaID and DOPA data. Citizen IDs carry valid
check digits (``stdnum.th.pin``) but belong to nobody.

The foreign nationals (``DEMO_FOREIGNERS``) are not in the civil registry, which holds
Thai citizens; they sign in with a passport number.

The first Thai person has a fixed TOTP secret (``DEMO_TOTP_SECRET``), so demos and
tests can sign in at AAL2 by computing the code (``pyotp.TOTP(DEMO_TOTP_SECRET).now()``)
instead of enrolling an app first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from bizportal.core import audit, demo

from .models import PersonKind, ProviderSwitch, SandboxIdentity
from .switches import SWITCHABLE

DEMO_PASSWORD = "demo1234"  # noqa: S105 - published demo credential
#: Base32 TOTP secret of นางสมศรี ใจดี (3101700123452): published, for demos and tests only.
DEMO_TOTP_SECRET = "BIZPORTALSANDBOXDEMOTOTPSECRET23"  # noqa: S105 - published demo credential


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
    totp_secret: str = ""

    @property
    def name_th(self) -> str:
        return f"{self.title_th}{self.given_name_th} {self.family_name_th}"

    @property
    def name_en(self) -> str:
        return f"{self.title_en} {self.given_name_en} {self.family_name_en}"


@dataclass(frozen=True)
class DemoForeigner:
    """A foreign national: signs in with the passport number; no Thai-script name."""

    passport_no: str
    nationality: str
    title_en: str
    given_name_en: str
    family_name_en: str
    email: str
    ial: str
    birth_date: dt.date
    citizen_id: str = ""  # the 13-digit Thai ID, for those who have one
    password: str = DEMO_PASSWORD

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
        totp_secret=DEMO_TOTP_SECRET,
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
    # Directs no company: acts for one only under a mandate (the portal's demo).
    DemoIdentity(
        citizen_id="1103700456783",
        title_th="นางสาว",
        given_name_th="วิภา",
        family_name_th="ศรีสุข",
        title_en="Ms",
        given_name_en="Wipa",
        family_name_en="Srisuk",
        email="wipa@example.test",
        ial="2.1",
        birth_date=dt.date(1993, 5, 21),
        address={
            "house_no": "45/12",
            "moo": "",
            "street": "ถนนลาดพร้าว",
            "subdistrict": "จอมพล",
            "district": "จตุจักร",
            "province": "กรุงเทพมหานคร",
            "postcode": "10900",
        },
    ),
]


DEMO_FOREIGNERS: list[DemoForeigner] = [
    DemoForeigner(
        passport_no="XA1234567",
        nationality="GBR",
        title_en="Mr",
        given_name_en="James",
        family_name_en="Whitfield",
        email="james.whitfield@example.test",
        ial="2.1",
        birth_date=dt.date(1982, 7, 19),
    ),
]


def _save(identity: SandboxIdentity, password: str, *, created: bool) -> None:
    if created or not identity.check_password(password):
        identity.set_password(password)
    identity.is_active = True
    identity.save()
    audit.record("sandbox_idp.demo_seeded", identity, actor_label="load_demo", created=created)


@transaction.atomic
def seed() -> list[DemoIdentity]:
    """Create or refresh the Thai demo identities (idempotent); returns them.

    The demo TOTP secret is put back each time; a TOTP someone enrolled for another
    demo person is left alone.
    """
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
            "birth_date",
        ):
            setattr(identity, name, getattr(person, name))
        identity.person_kind = PersonKind.THAI
        if person.totp_secret:
            identity.totp_secret = person.totp_secret
        _save(identity, person.password, created=created)
    return list(DEMO_IDENTITIES)


@transaction.atomic
def seed_foreigners() -> list[DemoForeigner]:
    """Create or refresh the foreign demo identities (idempotent); returns them.

    Apart from :func:`seed` because the Thai list is also the civil registry's.
    """
    for person in DEMO_FOREIGNERS:
        identity = SandboxIdentity.objects.filter(passport_no=person.passport_no).first()
        created = identity is None
        identity = identity or SandboxIdentity(passport_no=person.passport_no)
        identity.person_kind = PersonKind.FOREIGN
        for name in (
            "citizen_id",
            "nationality",
            "title_en",
            "given_name_en",
            "family_name_en",
            "email",
            "ial",
        ):
            setattr(identity, name, getattr(person, name))
        _save(identity, person.password, created=created)
    return list(DEMO_FOREIGNERS)


@demo.loader("sandbox_idp", order=20)
def load_demo() -> list[demo.DemoLogin]:
    group = "Entrepreneurs (sign in with Digital ID or ThaID: the sandbox providers)"
    logins = [
        demo.DemoLogin(
            group,
            person.citizen_id,
            person.password,
            person.name_th
            + (
                f" · AAL2 TOTP secret {person.totp_secret} (any authenticator app)"
                if person.totp_secret
                else ""
            ),
        )
        for person in seed()
    ]
    logins += [
        demo.DemoLogin(
            group,
            person.passport_no,
            person.password,
            f"{person.name_en} · {person.nationality} passport, no Thai ID",
        )
        for person in seed_foreigners()
    ]
    seed_switches()
    return logins


def seed_switches() -> None:
    """One running switch row per sandbox provider, so the admin lists them to stop."""
    for provider in sorted(SWITCHABLE):
        ProviderSwitch.objects.get_or_create(provider=provider)
