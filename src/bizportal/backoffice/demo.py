"""Demo staff accounts: one officer per demo agency and a system admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from bizportal.catalog.models import Agency
from bizportal.core import demo

OFFICER_PASSWORD = "officer-demo-2569"  # noqa: S105 - published demo credential
ADMIN_PASSWORD = "admin-demo-2569"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class StaffLogin:
    username: str
    password: str
    agency: str
    name: str


OFFICERS = {
    "dbd": ("officer.dbd", "สมศรี ทะเบียนดี", "Somsri Thabiandee"),
    "bma": ("officer.bma", "วิชัย สุขาภิบาล", "Wichai Sukhaphiban"),
    "excise": ("officer.excise", "ประภา สรรพกิจ", "Prapa Sappakit"),
    "diw": ("officer.diw", "ธนพล โรงงานงาม", "Thanapon Rongnganngam"),
    "dot": ("officer.dot", "มาลี เที่ยวไทย", "Malee Thiaothai"),
}


def seed() -> list[StaffLogin]:
    """Create or refresh the demo staff (idempotent; passwords reset to the demo ones)."""
    User = get_user_model()
    logins = []
    for agency in Agency.objects.filter(code__in=OFFICERS):
        username, name_th, name_en = OFFICERS[agency.code]
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": "officer",
                "agency": agency,
                "full_name_th": name_th,
                "full_name_en": name_en,
                "email": f"{username}@bizportal.example",
            },
        )
        user.set_password(OFFICER_PASSWORD)
        user.save()
        logins.append(StaffLogin(username, OFFICER_PASSWORD, agency.name_th, name_th))
    admin, _ = User.objects.update_or_create(
        username="admin",
        defaults={
            "role": "admin",
            "is_staff": True,
            "is_superuser": True,
            "full_name_th": "ผู้ดูแลระบบ",
            "full_name_en": "System administrator",
        },
    )
    admin.set_password(ADMIN_PASSWORD)
    admin.save()
    logins.append(StaffLogin("admin", ADMIN_PASSWORD, "—", "ผู้ดูแลระบบ / admin (/admin/)"))
    return logins


@demo.loader("backoffice", order=40)
def load_demo() -> list[demo.DemoLogin]:
    return [
        demo.DemoLogin(
            "Agency officers (Officers: /backoffice/login/) and the system admin (/admin/)",
            login.username,
            login.password,
            f"{login.name} · {login.agency}",
        )
        for login in seed()
    ]
