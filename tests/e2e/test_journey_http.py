"""The whole journey over real HTTP against a live server, API first.

An entrepreneur finds the food-shop licence, signs in through Digital ID (OIDC with
PKCE), applies with prefilled data, is asked for a correction, resubmits, is
approved, pays with Thai QR through the sandbox bank (HMAC-signed callback), and
receives a signed e-licence that verifies; the bad cases are tried along the way.
Then the holder renews the licence through the API (version 2 verifies, version 1 is
superseded) and cancels it through the pages (it verifies as cancelled, for good).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from django.utils import timezone
from PIL import Image

from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import Portal, staff_totp_code
from tests.e2e.html import form_with, forms, links
from tests.factories import citizen_id

pytestmark = [pytest.mark.live, pytest.mark.xdist_group("live")]

SOMSRI = DEMO_IDENTITIES[0]


def pdf_document() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def sign_in_with_digital_id(
    portal: Portal, citizen: str, password: str, next_path: str
) -> requests.Session:
    session = portal.session()
    page = session.get(f"{portal.url}/auth/login/digital_id/", params={"next": next_path})
    assert page.status_code == 200 and "/sandbox/idp/" in page.url, page.url
    login = form_with(page.text, "citizen_id", page.url)
    login.fields.update({"citizen_id": citizen, "password": password, "sign_in": "1"})
    landed = session.post(login.action, data=login.fields, headers={"Referer": page.url})
    assert landed.status_code == 200, landed.text[:500]
    if landed.url.startswith(f"{portal.url}/account/acting/"):
        # A director of companies first says whom they act for: themselves here.
        choose = form_with(landed.text, "party", landed.url)
        landed = session.post(choose.action, data=choose.fields, headers={"Referer": landed.url})
    assert landed.url == f"{portal.url}{next_path}"
    return session


def sign_in_officer(portal: Portal, username: str) -> requests.Session:
    from bizportal.backoffice.demo import OFFICER_PASSWORD

    session = portal.session()
    page = session.get(f"{portal.url}/backoffice/login/")
    form = form_with(page.text, "username", page.url)
    form.fields.update({"username": username, "password": OFFICER_PASSWORD})
    asked = session.post(form.action, data=form.fields, headers={"Referer": page.url})
    # Staff need a second factor: the code of the demo staff TOTP secret.
    assert asked.url.startswith(f"{portal.url}/backoffice/mfa/"), asked.url
    code = form_with(asked.text, "code", asked.url)
    code.fields["code"] = staff_totp_code()
    landed = session.post(code.action, data=code.fields, headers={"Referer": asked.url})
    assert landed.url == f"{portal.url}/backoffice/worklist/", landed.url
    return session


def api(
    session: requests.Session, portal: Portal, method: str, path: str, **kwargs
) -> requests.Response:
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", ""), "Referer": portal.url + "/"}
    return session.request(method, urljoin(portal.url, path), headers=headers, **kwargs)


def wait_for(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_from_search_to_a_verified_signed_licence(portal: Portal, mailoutbox) -> None:
    # 1. Find, in Thai.
    found = requests.get(
        f"{portal.url}/api/v1/catalog/services/", params={"q": "จำหน่ายอาหาร"}
    ).json()
    # The licence (over 200 m²) and the notification (up to 200 m²) both sell food.
    assert [s["slug"] for s in found["results"]] == [
        "food-premises-notification",
        "food-shop-licence",
    ]
    page = requests.get(f"{portal.url}/services/food-shop-licence/")
    assert "กรุงเทพมหานคร" in page.text and "15 วันทำการ" in page.text

    # 2. Sign in once through Digital ID; a wrong password is refused first.
    wrong = portal.session()
    idp_page = wrong.get(f"{portal.url}/auth/login/digital_id/")
    bad_login = form_with(idp_page.text, "citizen_id", idp_page.url)
    bad_login.fields.update(
        {"citizen_id": SOMSRI.citizen_id, "password": "not-the-password", "sign_in": "1"}
    )
    refused = wrong.post(bad_login.action, data=bad_login.fields)
    assert "รหัสผ่านไม่ถูกต้อง" in refused.text and "/sandbox/idp/" in refused.url
    applicant = sign_in_with_digital_id(
        portal, SOMSRI.citizen_id, SOMSRI.password, "/services/food-shop-licence/"
    )

    # 3. Apply: the draft is prefilled from the ID token and the civil registry.
    created = api(
        applicant, portal, "POST", "/api/v1/applications/", json={"service": "food-shop-licence"}
    )
    assert created.status_code == 201, created.text
    application = created.json()
    app_url = f"/api/v1/applications/{application['id']}/"
    assert application["data"]["applicant_citizen_id"] == SOMSRI.citizen_id
    assert application["data"]["applicant_name"] == SOMSRI.name_th
    assert SOMSRI.address["district"] in application["data"]["applicant_address"]

    answers = {
        "phone": "0891234567",
        "email": SOMSRI.email,
        "business_name": "ร้านข้าวแกงป้าสมศรี",
        "business_address": "12/3 ซอยอารีย์ 1 แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400",
        "area_sqm": 80,
        "seats": 30,
        "premises": "owned",
        "manager_citizen_id": "1234567890123",  # wrong check digit
    }
    assert api(applicant, portal, "PATCH", app_url, json={"answers": answers}).status_code == 200
    exe = api(
        applicant,
        portal,
        "POST",
        app_url + "documents/",
        data={"document_code": "floor_plan"},
        files={"file": ("plan.pdf", b"MZ\x90\x00" + b"\x00" * 600, "application/pdf")},
    )
    assert exe.status_code == 400 and exe.headers["Content-Type"] == "application/problem+json"
    assert "PDF, JPEG" in exe.json()["detail"]
    incomplete = api(applicant, portal, "POST", app_url + "submit/", json={"accept_terms": True})
    assert incomplete.status_code == 400
    problems = incomplete.json()["errors"]
    assert "เลขตรวจสอบไม่ตรง" in problems["fields"]["manager_citizen_id"]
    assert "floor_plan" in problems["documents"]

    answers["manager_citizen_id"] = citizen_id(4242)
    api(applicant, portal, "PATCH", app_url, json={"answers": answers})
    uploaded = api(
        applicant,
        portal,
        "POST",
        app_url + "documents/",
        data={"document_code": "floor_plan"},
        files={"file": ("plan.pdf", pdf_document(), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    # Once only: the tax registration is fetched from the Revenue Department, with
    # Somsri's consent (Bangkok has no legal mission for tax data).
    assert "ความยินยอม" in problems["documents"]["tax_registration"]
    plan = api(applicant, portal, "GET", app_url + "evidence/").json()
    assert [(p["document_code"], p["basis"]) for p in plan] == [("tax_registration", "none")]
    assert "กรมสรรพากร" in plan[0]["notice_th"]
    consent = api(
        applicant, portal, "POST", app_url + "evidence/", json={"document_code": "tax_registration"}
    )
    assert consent.status_code == 201, consent.text
    submitted = api(
        applicant, portal, "POST", app_url + "submit/", json={"accept_terms": True}
    ).json()
    assert submitted["status"] == "review"
    assert [(e["document_code"], e["basis"]) for e in submitted["evidence"]] == [
        ("tax_registration", "consent")
    ]
    assert [w["type"] for w in submitted["waiting"]] == ["officer-review"]
    assert submitted["reference"].startswith("BP-25")

    # 4. Decide: another agency's officer sees nothing; the BMA officer asks for a correction.
    excise = sign_in_officer(portal, "officer.excise")
    assert api(excise, portal, "GET", app_url).status_code == 404
    assert (
        api(excise, portal, "POST", app_url + "decision/", json={"action": "approve"}).status_code
        == 404
    )
    assert api(excise, portal, "GET", app_url + "actions/").status_code == 404
    stranger = sign_in_with_digital_id(
        portal, DEMO_IDENTITIES[1].citizen_id, DEMO_IDENTITIES[1].password, "/account/"
    )
    assert api(stranger, portal, "GET", app_url).status_code == 404

    bma = sign_in_officer(portal, "officer.bma")
    worklist = api(bma, portal, "GET", "/api/v1/applications/worklist/").json()["results"]
    assert submitted["reference"] in [a["reference"] for a in worklist]
    offered = api(bma, portal, "GET", app_url + "actions/").json()
    assert [item["step"]["step"] for item in offered] == ["review"]
    assert [(a["id"], a["note_required"]) for a in offered[0]["actions"]] == [
        ("approve", False),
        ("correct", True),
        ("reject", True),
    ]
    no_note = api(bma, portal, "POST", app_url + "decision/", json={"action": "correct"})
    assert no_note.status_code == 400 and "กรุณาระบุเหตุผล" in no_note.json()["detail"]
    corrected = api(
        bma,
        portal,
        "POST",
        app_url + "decision/",
        json={"action": "correct", "note": "กรุณาระบุจำนวนที่นั่งตามแผนผัง"},
    ).json()
    assert corrected["status"] == "correction"
    assert (
        api(bma, portal, "POST", app_url + "decision/", json={"action": "approve"}).status_code
        == 409
    )

    answers["seats"] = 32
    api(applicant, portal, "PATCH", app_url, json={"answers": answers})
    assert (
        api(applicant, portal, "POST", app_url + "submit/", json={"accept_terms": True}).json()[
            "status"
        ]
        == "review"
    )
    approved = api(
        bma, portal, "POST", app_url + "decision/", json={"action": "approve", "note": "ถูกต้อง"}
    ).json()
    assert approved["status"] == "awaiting_payment"
    assert [(h["step"], h["action"], h["to_status"]) for h in approved["history"]] == [
        ("application", "submit", "review"),
        ("review", "correct", "correction"),
        ("correction", "submit", "review"),
        ("review", "approve", "awaiting_payment"),
    ]

    # 5. Pay with Thai QR: the payload decodes with a correct CRC; the bank pays.
    from bizportal.applications.models import Application
    from bizportal.payments.services import invoice_for
    from bizportal.payments.thaiqr import read_bill_payment

    invoice_id = invoice_for(Application.objects.get(public_id=application["id"])).public_id
    invoice = api(applicant, portal, "GET", f"/api/v1/payments/invoices/{invoice_id}/").json()
    bill = read_bill_payment(invoice["qr_payload"])
    assert str(bill.amount) == "1000.00"  # 50 < 80 m² <= 200 in fee_food_shop.dmn
    assert bill.ref1 == submitted["reference"].replace("-", "")

    forged = requests.post(
        f"{portal.url}/payments/callback/sandbox/",
        json={"ref1": bill.ref1},
        headers={"X-BizPortal-Signature": "t=1,v1=00"},
    )
    assert forged.status_code == 403
    assert forged.headers["Content-Type"] == "application/problem+json"

    bank = applicant.get(f"{portal.url}/sandbox/bank/", params={"payload": invoice["qr_payload"]})
    pay = form_with(bank.text, "payload", bank.url)
    paid_page = applicant.post(pay.action, data=pay.fields, headers={"Referer": bank.url})
    assert paid_page.status_code == 200

    def issued():  # type: ignore[no-untyped-def]
        body = api(applicant, portal, "GET", app_url).json()
        return body if body["status"] == "issued" else None

    final = wait_for(issued)
    assert [(h["step"], h["action"]) for h in final["history"]][-2:] == [
        ("payment", "paid"),
        ("licence", "issued"),
    ]
    assert final["issued_version"] == 1 and final["licence"]

    # The bank retrying the same notice changes nothing.
    from django.conf import settings

    from bizportal.payments.contrib.sandbox import signing
    from bizportal.payments.contrib.sandbox.models import BankTransaction
    from bizportal.payments.models import Invoice

    transaction_ = BankTransaction.objects.get(ref1=bill.ref1)
    body = json.dumps(transaction_.webhook_body(), separators=(",", ":")).encode()
    duplicate = requests.post(
        f"{portal.url}/payments/callback/sandbox/",
        data=body,
        headers={
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(body, settings.PAYMENT_WEBHOOK_SECRET),
        },
    )
    assert duplicate.status_code == 200
    assert duplicate.json()["status"] == "already-processed"
    assert Invoice.objects.get(public_id=invoice_id).status == "paid"

    # 6. The licence: verify by number, then by uploading the PDF, then a tampered copy.
    from bizportal.licences.models import Licence

    licence = Licence.objects.get(number=final["licence"])
    verified = requests.get(f"{portal.url}/api/v1/licences/verify/{licence.number}/").json()
    assert verified["status"] == "valid"
    assert "กรุงเทพมหานคร" in json.dumps(verified, ensure_ascii=False)
    pdf = applicant.get(f"{portal.url}/licences/{licence.public_id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert stranger.get(f"{portal.url}/licences/{licence.public_id}/pdf/").status_code == 404
    good = requests.post(
        f"{portal.url}/api/v1/licences/verify-pdf/", files={"file": ("licence.pdf", pdf.content)}
    ).json()
    assert good["intact"] is True and good["trusted"] is True
    tampered_bytes = bytearray(pdf.content)
    position = tampered_bytes.find(licence.number.encode())
    if position < 0:
        position = len(tampered_bytes) // 3
    tampered_bytes[position] ^= 0x01
    bad = requests.post(
        f"{portal.url}/api/v1/licences/verify-pdf/",
        files={"file": ("licence.pdf", bytes(tampered_bytes))},
    )
    assert bad.status_code in {200, 400}
    assert bad.json().get("intact") is not True

    account = applicant.get(f"{portal.url}/account/").text
    assert licence.number in account and "RC-" in account

    # 7. Every status change was emailed through the outbox.
    subjects = " ".join(m.subject for m in mailoutbox)
    for status in ["อยู่ระหว่างพิจารณา", "ขอให้แก้ไขเพิ่มเติม", "รอชำระค่าธรรมเนียม", "ออกใบอนุญาตแล้ว"]:
        assert status in subjects

    # 8. Renew through the API, inside the renewal window.
    renewed = renew_through_the_api(portal, applicant, bma, stranger, licence.number)
    assert renewed["status"] == "issued" and renewed["issued_version"] == 2

    # 9. Cancel through the pages; a second cancellation is refused.
    cancel_through_the_pages(portal, applicant, bma, licence.number)


def pay_at_the_sandbox_bank(
    portal: Portal, applicant: requests.Session, application_id: str
) -> dict[str, Any]:
    """Open the invoice's Thai QR at the sandbox bank and pay; the bank calls back."""
    from bizportal.applications.models import Application
    from bizportal.payments.services import invoice_for

    invoice_id = invoice_for(Application.objects.get(public_id=application_id)).public_id
    invoice = api(applicant, portal, "GET", f"/api/v1/payments/invoices/{invoice_id}/").json()
    bank = applicant.get(f"{portal.url}/sandbox/bank/", params={"payload": invoice["qr_payload"]})
    pay = form_with(bank.text, "payload", bank.url)
    paid_page = applicant.post(pay.action, data=pay.fields, headers={"Referer": bank.url})
    assert paid_page.status_code == 200
    return invoice


def renew_through_the_api(
    portal: Portal,
    applicant: requests.Session,
    officer: requests.Session,
    stranger: requests.Session,
    number: str,
) -> dict[str, Any]:
    """Renew ``number`` over the API; version 2 verifies as valid, version 1 superseded."""
    from bizportal.licences.models import Licence

    request = {"service": "food-shop-licence", "kind": "renew", "licence": number}
    too_early = api(applicant, portal, "POST", "/api/v1/applications/", json=request)
    assert too_early.status_code == 409, too_early.text
    assert "ได้ตั้งแต่" in too_early.json()["detail"]

    # Test set-up: the licence now expires in ten days, inside the 90-day window.
    expires = timezone.localdate() + dt.timedelta(days=10)
    Licence.objects.filter(number=number).update(valid_until=expires)

    assert api(stranger, portal, "POST", "/api/v1/applications/", json=request).status_code == 404
    created = api(applicant, portal, "POST", "/api/v1/applications/", json=request)
    assert created.status_code == 201, created.text
    renewal = created.json()
    assert (renewal["kind"], renewal["licence"], renewal["status"]) == ("renew", number, "draft")
    assert renewal["data"]["business_name"] == "ร้านข้าวแกงป้าสมศรี"  # from the licence
    url = f"/api/v1/applications/{renewal['id']}/"
    uploaded = api(
        applicant,
        portal,
        "POST",
        url + "documents/",
        data={"document_code": "floor_plan"},
        files={"file": ("plan.pdf", pdf_document(), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    submitted = api(applicant, portal, "POST", url + "submit/", json={"accept_terms": True})
    assert submitted.json()["status"] == "review", submitted.text
    decided = api(officer, portal, "POST", url + "decision/", json={"action": "approve"}).json()
    assert decided["status"] == "awaiting_payment", decided
    pay_at_the_sandbox_bank(portal, applicant, renewal["id"])

    def issued():  # type: ignore[no-untyped-def]
        body = api(applicant, portal, "GET", url).json()
        return body if body["status"] == "issued" else None

    final = wait_for(issued)
    current = requests.get(f"{portal.url}/api/v1/licences/verify/{number}/").json()
    assert (current["status"], current["version"], current["current_version"]) == (
        "valid",
        2,
        2,
    )
    assert current["valid_until"] > expires.isoformat()  # continues from the old expiry
    first = requests.get(f"{portal.url}/api/v1/licences/verify/{number}/1/").json()
    assert (first["status"], first["ok"], first["version"], first["current_version"]) == (
        "superseded",
        False,
        1,
        2,
    )
    page = requests.get(f"{portal.url}/verify/{number}/1/", headers={"Accept-Language": "th"})
    assert "มีฉบับใหม่แทนแล้ว" in page.text
    return final


def cancel_through_the_pages(
    portal: Portal, applicant: requests.Session, officer: requests.Session, number: str
) -> None:
    """Cancel ``number`` with the account page's button, the cancellation form and the
    officer's page; it then verifies as cancelled, and cannot be cancelled again."""
    from bizportal.licences.models import Licence

    licence_id = Licence.objects.get(number=number).public_id
    cancel_path = f"/account/licences/{licence_id}/cancel/"
    account = applicant.get(f"{portal.url}/account/")
    button = next(f for f in forms(account.text) if f.action == cancel_path)
    form_page = applicant.post(
        urljoin(account.url, button.action), data=button.fields, headers={"Referer": account.url}
    )
    assert "/edit/" in form_page.url and "ขอยกเลิกใบอนุญาต" in form_page.text
    form = form_with(form_page.text, "reason", form_page.url)
    form.fields.update(
        {
            "reason": "เลิกกิจการร้านอาหาร / closing the restaurant",
            "confirm": "true",
            "accept_terms": "on",
            "action": "submit",
        }
    )
    sent = applicant.post(form.action, data=form.fields, headers={"Referer": form_page.url})
    # The confirmation page names the reference.
    assert sent.url.endswith("/submitted/"), sent.url
    notice = re.search(r"data-reference>(BP-\d{4}-\d{6})<", sent.text)
    assert notice, sent.text[:1000]
    application_page = sent.url.removesuffix("submitted/")

    public_id = application_page.rstrip("/").split("/")[-1]
    officer_path = f"/backoffice/applications/{public_id}/"
    assert officer_path in links(officer.get(f"{portal.url}/backoffice/").text)
    page = officer.get(urljoin(portal.url, officer_path))
    decision = form_with(page.text, "note", page.url)
    decision.fields.update({"action": "approve"})
    decided = officer.post(decision.action, data=decision.fields, headers={"Referer": page.url})
    assert "บันทึกแล้ว" in decided.text

    def cancelled():  # type: ignore[no-untyped-def]
        body = requests.get(f"{portal.url}/api/v1/licences/verify/{number}/").json()
        return body if body["status"] == "cancelled" else None

    verified = wait_for(cancelled)
    assert verified["ok"] is False and verified["cancelled_at"]
    verify_page = requests.get(f"{portal.url}/verify/{number}/", headers={"Accept-Language": "th"})
    assert "ยกเลิกแล้ว (ผู้ถือขอยกเลิก)" in verify_page.text
    assert "ใบอนุญาตนี้ใช้ไม่ได้อีกต่อไป" in verify_page.text
    assert "ดำเนินการเสร็จสิ้น" in applicant.get(application_page).text

    # A second cancellation: no button any more, and posting anyway is refused.
    account = applicant.get(f"{portal.url}/account/")
    assert cancel_path not in account.text
    again = applicant.post(
        f"{portal.url}{cancel_path}",
        data={"csrfmiddlewaretoken": applicant.cookies.get("csrftoken", "")},
        headers={"Referer": account.url},
    )
    assert again.url == f"{portal.url}/account/"
    assert f"ใบอนุญาต {number} ถูกยกเลิกแล้ว" in again.text
    through_api = api(
        applicant,
        portal,
        "POST",
        "/api/v1/applications/",
        json={"service": "food-shop-licence", "kind": "cancel", "licence": number},
    )
    assert through_api.status_code == 409
    assert "ถูกยกเลิกแล้วเมื่อ" in through_api.json()["detail"]
