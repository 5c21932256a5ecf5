"""Demo staff accounts: an officer per demo agency, supervisors, an agency administrator,
two finance officers, a service-counter officer, an executive and the platform
administrator."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from bizportal.catalog.models import Agency
from bizportal.core import demo
from bizportal.exchange.demo import COUNTER_AGENCY

OFFICER_PASSWORD = "officer-demo-2569"  # noqa: S105 - published demo credential
ADMIN_PASSWORD = "admin-demo-2569"  # noqa: S105 - published demo credential
#: Base32 TOTP secret of every demo staff account (staff need a second factor): put it
#: in any authenticator app, or compute a code with ``pyotp.TOTP(secret).now()``.
#: Published, for demos and tests only.
STAFF_TOTP_SECRET = "BIZPORTALSTAFFDEMOTOTPSECRET2567"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    role: str
    name: str


OFFICERS = {
    "dbd": ("officer.dbd", "สมศรี ทะเบียนดี", "Somsri Thabiandee"),
    "bma": ("officer.bma", "วิชัย สุขาภิบาล", "Wichai Sukhaphiban"),
    "excise": ("officer.excise", "ประภา สรรพกิจ", "Prapa Sappakit"),
    "diw": ("officer.diw", "ธนพล โรงงานงาม", "Thanapon Rongnganngam"),
    "dot": ("officer.dot", "มาลี เที่ยวไทย", "Malee Thiaothai"),
    "fda": ("officer.fda", "ปิยะ อาหารปลอดภัย", "Piya Aharnplodphai"),
}


#: Staff beyond the agency officers: (username, agency code or None, roles, names).
OTHER_STAFF: tuple[tuple[str, str | None, list[str], str, str], ...] = (
    ("supervisor.diw", "diw", ["agency_supervisor"], "อำนาจ หัวหน้ากลุ่ม", "Amnat Huanaklum"),
    ("supervisor.bma", "bma", ["agency_supervisor"], "สุดา หัวหน้างาน", "Suda Huanangan"),
    ("admin.bma", "bma", ["agency_admin"], "กมล ดูแลระบบ", "Kamol Doolaerabob"),
    # Agency IT: the agency's systems, OAuth2 clients and integrations, in /admin/.
    ("it.bma", "bma", ["agency_it"], "ธีระ ไอทีดี", "Teera Itee"),
    # Two finance officers, so a refund has a maker and a checker (issue 10).
    ("finance.bma", "bma", ["finance"], "รัตนา การเงินดี", "Rattana Kanngoendee"),
    ("finance2.bma", "bma", ["finance"], "สมชาย บัญชีตรง", "Somchai Bunchitrong"),
    # The counter officer works at an agency's business service counter: that agency's
    # mission for identity proofing is the basis of the registry read at the counter.
    ("counter.osc", COUNTER_AGENCY, ["counter_officer"], "นภา ศูนย์บริการ", "Napa Soonborikan"),
    # The hotline and chat desk: logs contacts and follows every agency's complaints.
    ("helpdesk.osc", COUNTER_AGENCY, ["helpdesk_officer"], "วันดี สายด่วน", "Wandee Saiduan"),
    ("executive", None, ["executive"], "ชัยวัฒน์ ผู้บริหาร", "Chaiwat Phuborihan"),
)


def _staff(
    username: str, agency: Agency | None, roles: list[str], name_th: str, name_en: str
) -> Any:
    User = get_user_model()
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "role": "staff",
            "agency": agency,
            "full_name_th": name_th,
            "full_name_en": name_en,
            "email": f"{username}@bizportal.example",
            "is_active": True,
            "is_staff": "agency_it" in roles,
        },
    )
    user.set_password(OFFICER_PASSWORD)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    give_demo_authenticator(user)
    return user


def give_demo_authenticator(user: Any) -> TOTPDevice:
    """The demo TOTP device (secret :data:`STAFF_TOTP_SECRET`), put back on each load;
    any other device the account had is removed, so the published secret is the one."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(
        user=user,
        name="demo authenticator",
        key=base64.b32decode(STAFF_TOTP_SECRET).hex(),
        confirmed=True,
    )


def seed() -> list[StaffLogin]:
    """Create or refresh the demo staff (idempotent; passwords reset to the demo ones)."""
    User = get_user_model()
    agencies = {agency.code: agency for agency in Agency.objects.all()}
    logins = []
    for code, (username, name_th, name_en) in OFFICERS.items():
        if code not in agencies:
            continue
        _staff(username, agencies[code], ["agency_officer"], name_th, name_en)
        logins.append(
            StaffLogin(
                username, OFFICER_PASSWORD, f"agency officer · {agencies[code].name_th}", name_th
            )
        )
    for username, agency_code, roles, name_th, name_en in OTHER_STAFF:
        agency = agencies.get(agency_code or "")
        _staff(username, agency, roles, name_th, name_en)
        where = f" · {agency.name_th}" if agency else ""
        logins.append(StaffLogin(username, OFFICER_PASSWORD, f"{roles[0]}{where}", name_th))
    admin, _ = User.objects.update_or_create(
        username="admin",
        defaults={
            "role": "staff",
            "is_staff": True,
            "is_superuser": True,
            "full_name_th": "ผู้ดูแลระบบ",
            "full_name_en": "System administrator",
        },
    )
    admin.set_password(ADMIN_PASSWORD)
    admin.save()
    admin.groups.set([Group.objects.get_or_create(name="platform_admin")[0]])
    give_demo_authenticator(admin)
    logins.append(
        StaffLogin("admin", ADMIN_PASSWORD, "platform_admin (/admin/, statistics)", "ผู้ดูแลระบบ")
    )
    return logins


@demo.loader("backoffice", order=40)
def load_demo() -> list[demo.DemoLogin]:
    return [
        demo.DemoLogin(
            "Staff (sign in at /backoffice/login/; the platform admin also at /admin/), then "
            f"the code of TOTP secret {STAFF_TOTP_SECRET} from any authenticator app",
            login.username,
            login.password,
            f"{login.name} · {login.role}",
        )
        for login in seed()
    ]
