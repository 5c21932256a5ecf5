"""Demo: a software vendor's accounting system (ระบบบัญชีตัวอย่าง), approved by Somsri
as director of her company for the food shop licence; and an accountant firm
(สำนักงานบัญชีมาลี, directed by Malee) that Somsri approved as her company's client
representative, so Malee can act for the company within those rights. Its private key is written into
the var dir, so ``python -m bizportal.sandbox_agency accounting`` can get a machine
token with it and submit an application for the company, as a vendor's software would.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from joserfc.jwk import RSAKey

from bizportal.catalog.models import Service
from bizportal.core import demo
from bizportal.identity import services as identity_services
from bizportal.identity.acting import Acting
from bizportal.identity.models import ClientRepresentation, Directorship, Party, StaffRole, User
from bizportal.registries.demo import DEMO_COMPANIES
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES

from . import services
from .models import FederatedClient

CLIENT_ID = "demo-accounting"
VENDOR_KEY = "0105568000017"  # a valid juristic ID (check digit), no registry record
FIRM_KEY = "0105680000201"  # the accountant firm: valid check digit, no registry record
SERVICE = "food-shop-licence"


def key_path() -> Path:
    return Path(settings.VAR_DIR) / "federation" / "demo-accounting-key.json"


def _vendor() -> Party:
    vendor, _ = Party.objects.get_or_create(
        key=VENDOR_KEY,
        defaults={
            "kind": Party.Kind.JURISTIC,
            "name_th": "บริษัท ซอฟต์แวร์บัญชีตัวอย่าง จำกัด",
            "name_en": "Sample Accounting Software Co., Ltd.",
        },
    )
    return vendor


def _key() -> RSAKey:
    path = key_path()
    if path.exists():
        return RSAKey.import_key(json.loads(path.read_text()))
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**key.as_dict(private=True), "client_id": CLIENT_ID}))
    path.chmod(0o600)
    return key


@demo.loader("federation", order=91)
def load_demo() -> list[demo.DemoLogin]:
    company = Party.objects.filter(key=DEMO_COMPANIES[0]["juristic_id"]).first()
    director = User.objects.filter(citizen_id=DEMO_IDENTITIES[0].citizen_id).first()
    admin = User.objects.filter(groups__name=StaffRole.PLATFORM_ADMIN).first()
    service = Service.objects.filter(slug=SERVICE).first()
    if company is None or director is None or admin is None or service is None:
        return []  # the journeys' company and director, the staff, the catalogue first
    if not FederatedClient.objects.filter(client_id=CLIENT_ID).exists():
        _register_and_approve(admin, director, company, service)
    accountant = DEMO_IDENTITIES[2]
    if not ClientRepresentation.objects.filter(client=company, firm__key=FIRM_KEY).exists():
        _approve_firm(director, company, service, accountant.citizen_id)
    return [
        demo.DemoLogin(
            "system user (private_key_jwt, client credentials at /oidc/token)",
            CLIENT_ID,
            f"private key in {key_path()}",
            f"ระบบบัญชีตัวอย่าง, approved by {director} for {company}; "
            "try: python -m bizportal.sandbox_agency accounting --portal <url>",
        ),
        demo.DemoLogin(
            "accountant firm's director (client representative)",
            accountant.citizen_id,
            "Digital ID sandbox",
            f"director of สำนักงานบัญชีมาลี ({FIRM_KEY}), approved by {director} to prepare "
            f"and view food shop applications for {company}",
        ),
    ]


def _register_and_approve(admin: User, director: User, company: Party, service: Service) -> None:
    key = _key()
    client = services.save_client(
        FederatedClient(
            client_id=CLIENT_ID,
            name="ระบบบัญชีตัวอย่าง",
            kind=FederatedClient.Kind.VENDOR_SYSTEM,
            vendor=_vendor(),
            jwks={"keys": [key.as_dict(private=False)]},
            requested_actions=["prepare", "submit", "view"],
        ),
        actor=admin,
    )
    client.requested_services.set([service])
    services.approve(
        client, company, actor=director, services=[service], actions=["prepare", "submit", "view"]
    )


def _approve_firm(director: User, company: Party, service: Service, accountant_id: str) -> None:
    firm, _ = Party.objects.get_or_create(
        key=FIRM_KEY,
        defaults={
            "kind": Party.Kind.JURISTIC,
            "name_th": "บริษัท สำนักงานบัญชีมาลี จำกัด",
            "name_en": "Malee Accounting Office Co., Ltd.",
        },
    )
    Directorship.objects.get_or_create(party=firm, citizen_id=accountant_id)
    identity_services.approve_representative(
        Acting(director, company, "director"),
        firm,
        services=[service],
        actions=["prepare", "view"],
    )
