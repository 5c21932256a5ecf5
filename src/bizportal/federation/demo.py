"""Demo: a software vendor's accounting system (ระบบบัญชีตัวอย่าง), approved by Somsri
as director of her company for the food shop licence; and an accountant firm
(สำนักงานบัญชีมาลี, directed by Malee) that Somsri approved as her company's client
representative, so Malee can act for the company within those rights. The system's
private key is written into the var dir, so ``python -m bizportal.sandbox_agency
accounting`` can get a machine token with it and submit an application for the company,
as a vendor's software would.

And the sandbox agency's e-service (an agency service): people sign in at it through
the portal and it lists their applications with an exchanged token. Its key too is in
the var dir, for ``python -m bizportal.sandbox_agency --eservice-key-file ...``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from joserfc.jwk import RSAKey

from bizportal.catalog.models import Agency, Service
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


ESERVICE_ID = "demo-eservice"


def key_path(client_id: str = CLIENT_ID) -> Path:
    return Path(settings.VAR_DIR) / "federation" / f"{client_id}-key.json"


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


def _key(client_id: str = CLIENT_ID) -> RSAKey:
    path = key_path(client_id)
    if path.exists():
        data = json.loads(path.read_text())
        data.pop("client_id", None)
        return RSAKey.import_key(data)
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**key.as_dict(private=True), "client_id": client_id}))
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
    if not FederatedClient.objects.filter(client_id=ESERVICE_ID).exists():
        _register_eservice(admin, service.agency)
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
            "agency service (sign-in through the portal, RFC 8693 token exchange)",
            ESERVICE_ID,
            f"private key in {key_path(ESERVICE_ID)}",
            "the sandbox agency's e-service (started with the demo's companions, or with"
            f" --eservice-key-file): open {settings.SANDBOX_AGENCY_URL}/eservice/",
        ),
        demo.DemoLogin(
            "accountant firm's director (client representative)",
            accountant.citizen_id,
            "Digital ID sandbox",
            f"director of สำนักงานบัญชีมาลี ({FIRM_KEY}), approved by {director} to prepare "
            f"and view food shop applications for {company}",
        ),
    ]


def _register_eservice(admin: User, agency: Agency) -> None:
    key = _key(ESERVICE_ID)
    services.save_client(
        FederatedClient(
            client_id=ESERVICE_ID,
            name="ระบบบริการอิเล็กทรอนิกส์ของหน่วยงานตัวอย่าง",
            kind=FederatedClient.Kind.AGENCY_SERVICE,
            agency=agency,
            jwks={"keys": [key.as_dict(private=False)]},
            # The sandbox agency, where the demo runs it (manage.py serve --companions).
            redirect_uris=[settings.SANDBOX_AGENCY_URL.rstrip("/") + "/eservice/callback"],
        ),
        actor=admin,
    )


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
