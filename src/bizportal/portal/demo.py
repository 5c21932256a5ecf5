"""Demo journeys: applications and licences in every state, for every user group.

Why here: a journey crosses every app (applications, payments, inspections, licences),
and the portal is the app at the top of the tree that may use them all. Each journey is
walked through the same services a person's clicks reach: draft, answers, documents,
submit, officer actions, the bank's confirmation, the system's steps. Nothing is
written behind the services' back, so the demo obeys every rule the product does.

Licences "carried over" from an agency's earlier register (issued a year ago, so that
one can be renewed now and one is already past expiry) go through the licence
register's own service with their original date of issue.

Idempotent: if the demo entrepreneurs already have applications, nothing is added.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bizportal.applications import evidence
from bizportal.applications import services as applications
from bizportal.applications.models import Application, Kind, Status
from bizportal.catalog.models import Service
from bizportal.core import demo
from bizportal.core.pdf import render_pdf
from bizportal.identity.acting import Acting
from bizportal.identity.contrib.sandbox_card_reader.server import demo_chip
from bizportal.identity.models import MandateAction, Party, StaffRole, User
from bizportal.identity.services import (
    answer_mandate,
    grant_mandate,
    proof_at_counter,
    refresh_companies_of,
    sign_in_with_digital_id,
)
from bizportal.integrations import batches as integrations_batches
from bizportal.integrations import demo as integrations_demo
from bizportal.integrations import forwarding as integrations_forwarding
from bizportal.licences import services as licences
from bizportal.licences.models import HolderKind, Licence
from bizportal.payments import billpay
from bizportal.payments import services as payment_services
from bizportal.payments.contrib.sandbox import billpayfile
from bizportal.payments.contrib.sandbox import services as bank
from bizportal.payments.models import Invoice
from bizportal.payments.providers import CallbackData
from bizportal.payments.services import confirm_payment
from bizportal.registries.client import PersonRecord
from bizportal.registries.demo import DEMO_COMPANIES, embedded_registries_at
from bizportal.sandbox_idp.demo import (
    DEMO_FOREIGNERS,
    DEMO_IDENTITIES,
    DemoForeigner,
    DemoIdentity,
)

from .written_mandates import issue_document

SOMSRI, PRASERT, MALEE, WIPA = DEMO_IDENTITIES[:4]
JAMES = DEMO_FOREIGNERS[0]
KRUA_SOMSRI = DEMO_COMPANIES[0]
THONGKHAM = DEMO_COMPANIES[1]


def _account(person: DemoIdentity) -> User:
    """The person's portal account, as their Digital ID sign-in makes it. The session
    is taken as one that confirmed a second factor (AAL2), as the tour business
    service asks for when submitting and paying."""
    claims = {
        "iss": "load_demo",
        "pid": person.citizen_id,
        "name": person.name_th,
        "name_en": person.name_en,
        "given_name": person.given_name_th,
        "family_name": person.family_name_th,
        "email": person.email,
        "ial": person.ial,
    }
    record = _registry_record(person)
    account = sign_in_with_digital_id(claims, record)
    account.session_aal = 2
    return account


def _registry_record(person: DemoIdentity) -> PersonRecord:
    """The person as the (sandbox) civil registry holds them."""
    return PersonRecord(
        citizen_id=person.citizen_id,
        title_th=person.title_th,
        first_name_th=person.given_name_th,
        last_name_th=person.family_name_th,
        title_en=person.title_en,
        first_name_en=person.given_name_en,
        last_name_en=person.family_name_en,
        birth_date=person.birth_date,
        address=dict(person.address),
    )


def _foreign_account(person: DemoForeigner) -> User:
    claims = {
        "iss": "load_demo",
        "person_kind": "foreign",
        "passport_no": person.passport_no,
        "nationality": person.nationality,
        "name": person.name_en,
        "name_en": person.name_en,
        "given_name": person.given_name_en,
        "family_name": person.family_name_en,
        "email": person.email,
        "ial": person.ial,
    }
    return sign_in_with_digital_id(claims, None)


def _company(person: DemoIdentity, company: dict[str, Any]) -> Party:
    """The company as the juristic registry lists it, read as a director signing in."""
    parties = refresh_companies_of(_account(person))
    return next(party for party in parties if party.key == company["juristic_id"])


def _document(title_th: str, title_en: str, answers: dict[str, Any]) -> SimpleUploadedFile:
    content = render_pdf(
        "portal/demo/document.html",
        {
            "title_th": title_th,
            "title_en": title_en,
            "business_name": answers.get("business_name", ""),
            "address": answers.get("business_address", ""),
        },
    )
    return SimpleUploadedFile("sample.pdf", content, content_type="application/pdf")


def _answers(slug: str, person: DemoIdentity, **extra: Any) -> dict[str, Any]:
    common = {
        "phone": "0812345678",
        "email": person.email,
        "business_name": "ร้านครัวสมศรี",
        "business_address": "12/3 ซอยอารีย์ 1 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400",
    }
    specific: dict[str, dict[str, Any]] = {
        "commercial-registration": {
            "business_type": "restaurant",
            "capital_thb": 200000,
            "premises": "owned",
        },
        "food-shop-licence": {
            "area_sqm": 120,
            "seats": 40,
            "manager_citizen_id": person.citizen_id,
            "premises": "owned",
        },
        "liquor-sale-licence": {"sales_type": "retail", "manager_citizen_id": person.citizen_id},
        "factory-licence": {
            "factory_type": "food",
            "machine_hp": 150,
            "workers": 30,
        },
        "tour-business-licence": {"tour_area": "domestic", "manager_citizen_id": person.citizen_id},
        "food-production-licence": {
            "production_type": "snack",
            "machine_hp": 30,
            "area_sqm": 400,
            "premises": "owned",
        },
        "medical-device-establishment-licence": {
            "device_class": "2",
            "storage_area_sqm": 60,
            "premises": "rented",
        },
    }
    return {**common, **specific[slug], **extra}


def _draft(
    slug: str,
    person: DemoIdentity,
    *,
    kind: str = Kind.NEW,
    licence: Licence | None = None,
    party: Party | None = None,
    **answers: Any,
) -> Application:
    account = _account(person)
    service = Service.objects.get(slug=slug)
    if party is None and licence is not None:
        party = Party.objects.get(key=licence.holder_id)
    application = applications.start_application(
        service, account, kind=kind, licence=licence, party=party
    )
    if kind == Kind.CANCEL:
        values: dict[str, Any] = {"reason": "เลิกกิจการที่สาขานี้", "confirm": True}
    elif kind == Kind.NEW:
        values = _answers(slug, person, **answers)
    else:
        values = {**application.data, **answers}
    return _fill(application, values, account)


def _fill(application: Application, values: dict[str, Any], actor: User) -> Application:
    """Answer the form and attach a sample of every document the answers require."""
    applications.save_answers(application, values, actor=actor)
    application.refresh_from_db()
    documents = applications.bundle_of(application).documents
    fetched = evidence.plan(application, documents)
    for document in documents:
        if document.code in fetched:
            # Once only: fetched from the exchange at submission, with the party's
            # consent where the agency has no mission, as the form would ask.
            if fetched[document.code].needs_consent:
                applications.consent_to_evidence(application, document.code, actor=actor)
        elif document.is_required_for(application.data):
            upload = _document(document.name_th, document.name_en, application.data)
            applications.attach_document(application, document.code, upload, actor=actor)
    return application


def _submitted(slug: str, person: DemoIdentity, **kwargs: Any) -> Application:
    application = _draft(slug, person, **kwargs)
    return applications.submit(application, actor=_account(person), accept_terms=True)


def _officer(application: Application) -> User:
    """The agency's officer, or its supervisor where the step waits for a sign-off."""
    staff = list(
        User.objects.filter(
            groups__name__in=[StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_SUPERVISOR],
            agency=application.agency,
        ).order_by("pk")
    )
    by_rank = sorted(staff, key=lambda u: u.has_role(StaffRole.AGENCY_SUPERVISOR))
    for user in by_rank:
        if applications.actions_for(application, user):
            return user
    return by_rank[0]  # nothing waits for an officer: the agency's officer (a revocation)


def _act(application: Application, action: str, note: str = "", **values: Any) -> Application:
    return applications.decide(
        application, officer=_officer(application), action=action, note=note, values=values
    )


def _schedule(application: Application, days: int, hour: int = 10) -> Application:
    """An appointment ``days`` from today (0: a visit today, at ``hour``)."""
    when = timezone.localtime() + dt.timedelta(days=days)
    when = when.replace(hour=hour, minute=0, second=0, microsecond=0)
    return _act(application, "schedule", scheduled_for=when.isoformat(), place="ณ สถานประกอบการ")


def _pay_at_counter(application: Application) -> Application:
    """Pay the open invoice with its pay-in slip at the sandbox bank's counter, then
    settle it the way the bank reports it: the day's bill-payment file, imported."""
    invoice = Invoice.objects.get(application=application, status=Invoice.Status.PENDING)
    billpayfile.take_cash(billpay.invoice_barcode(invoice), customer="DEMO PAYER")
    today = timezone.localdate()
    billpay.import_file(
        billpayfile.daily_file(today),
        filename=f"billpay-{today:%Y%m%d}.txt",
        provider="sandbox_counter",
    )
    return applications.perform_system_steps(application)


def _pay(application: Application, *, at_counter: bool = False) -> Application:
    """Pay the open invoice at the sandbox bank (its ledger records the payment, as for a
    payer who scans the QR code) and settle it with the bank's notification in this
    process: the demo loads before the web server runs, so the webhook itself follows
    later (the portal answers it "already processed"). The bank's ledger is what its
    statement and its refunds work from (finance officers' demo)."""
    if at_counter and "sandbox_counter" in settings.PAYMENT_PROVIDERS:
        return _pay_at_counter(application)
    invoice = Invoice.objects.get(application=application, status=Invoice.Status.PENDING)
    txn = bank.pay(payment_services.instruction(invoice).qr_payload)
    confirm_payment(
        "sandbox",
        CallbackData(
            txn_id=txn.txn_id,
            biller_id=txn.biller_id,
            ref1=txn.ref1,
            ref2=txn.ref2,
            amount=txn.amount,
            currency=txn.currency,
            paid_at=txn.paid_at,
        ),
        body=json.dumps(txn.webhook_body(), separators=(",", ":")),
    )
    return applications.perform_system_steps(application)


def _carried_over(
    slug: str, person: DemoIdentity, *, issued_days_ago: int, business_name: str
) -> Licence:
    """A licence granted before Biz Portal, entered in the register with its own date."""
    account = _account(person)
    service = Service.objects.get(slug=slug)
    answers = _answers(slug, person, business_name=business_name)
    return licences.issue_licence(
        licences.LicenceDraft(
            service=service,
            account=account,
            holder_kind=HolderKind.PERSON,
            holder_id=person.citizen_id,
            holder_name=person.name_th,
            holder_name_en=person.name_en,
            business_name=business_name,
            details={
                **answers,
                "applicant_name": person.name_th,
                "applicant_citizen_id": person.citizen_id,
            },
            application_reference="",
            validity_years=service.licence_validity_years,
            issued_at=timezone.now() - dt.timedelta(days=issued_days_ago),
        )
    )


def _somsri() -> None:
    # A food shop licence, issued, then amended: version 2 in force, version 1 superseded.
    shop = _pay(_act(_submitted("food-shop-licence", SOMSRI), "approve"))
    assert shop.licence is not None
    amendment = _submitted(
        "food-shop-licence",
        SOMSRI,
        kind=Kind.AMEND,
        licence=shop.licence,
        business_name="ร้านครัวสมศรี (สาขาอารีย์)",
    )
    _pay(_act(amendment, "approve", "แก้ไขชื่อสถานประกอบการตามคำขอ"))
    # Her company's factory: documents checked and premises inspected; the head of
    # section signs off next (a supervisor's step).
    krua = _company(SOMSRI, KRUA_SOMSRI)
    factory = _act(_submitted("factory-licence", SOMSRI, party=krua), "approve")
    factory = _schedule(factory, 0, hour=9)
    _act(factory, "pass", "เครื่องจักรติดตั้งตามแบบ")
    # Liquor sale: approved on paper, the premises inspection is booked for next week.
    liquor = _act(_submitted("liquor-sale-licence", SOMSRI), "approve")
    _schedule(liquor, 7)
    # A tour business licence approved and waiting for her payment (pay it in the demo).
    _act(_submitted("tour-business-licence", SOMSRI), "approve")
    # A commercial registration she has started and not yet submitted.
    _draft("commercial-registration", SOMSRI)


def _prasert() -> None:
    # Registered his business: a commercial registration that never expires.
    _pay(
        _act(_submitted("commercial-registration", PRASERT, business_name="ทองคำ คอฟฟี่"), "approve")
    )
    # A café licence carried over from the district office, expiring in three weeks: renew it.
    _carried_over(
        "food-shop-licence", PRASERT, issued_days_ago=365 - 21, business_name="ทองคำ คอฟฟี่"
    )
    # A second branch whose licence expired ten days ago: a late renewal pays a surcharge.
    _carried_over(
        "food-shop-licence",
        PRASERT,
        issued_days_ago=365 + 10,
        business_name="ทองคำ คอฟฟี่ สาขานิมมาน",
    )
    # A tour licence he no longer needs: surrendered, it verifies as cancelled.
    tour = _pay(
        _act(_submitted("tour-business-licence", PRASERT, business_name="ทองคำ ทัวร์"), "approve"),
        at_counter=True,
    )
    assert tour.licence is not None
    cancellation = _submitted(
        "tour-business-licence", PRASERT, kind=Kind.CANCEL, licence=tour.licence
    )
    applications.perform_system_steps(_act(cancellation, "approve"))
    # A food shop licence the agency revoked after an inspection found violations.
    kiosk = _pay(
        _act(_submitted("food-shop-licence", PRASERT, business_name="ทองคำ คีออสก์"), "approve")
    )
    assert kiosk.licence is not None
    # Maker–checker: the BMA's officer asks, its supervisor approves.
    revocation = licences.request_revocation(
        kiosk.licence,
        reason_code="conditions_breached",
        note="ตรวจพบการจำหน่ายอาหารไม่ถูกสุขลักษณะซ้ำหลังได้รับคำเตือน",
        actor=User.objects.get(username="officer.bma"),
    )
    licences.decide_revocation(
        revocation, approve=True, actor=User.objects.get(username="supervisor.bma")
    )
    # His company's liquor licence. The company signs with two directors: he signs
    # first, Somsri confirms, and only then does it reach the excise department.
    thongkham = _company(PRASERT, THONGKHAM)
    bar = _submitted(
        "liquor-sale-licence", PRASERT, party=thongkham, business_name="ทองคำ คอฟฟี่ แอนด์ บาร์"
    )
    bar = applications.submit(bar, actor=_account(SOMSRI), accept_terms=True)
    bar = _act(bar, "approve")
    bar = _act(_schedule(bar, 0, hour=9), "pass", "สถานที่ขายเป็นไปตามเงื่อนไข")
    _pay(bar)
    # A second company application he has signed: it waits for Somsri's signature.
    _submitted(
        "food-shop-licence",
        PRASERT,
        party=thongkham,
        business_name="ทองคำ คอฟฟี่ สาขาสันติธรรม",
        manager_citizen_id=PRASERT.citizen_id,
    )
    # Applications an officer sent back, and one refused.
    _act(
        _submitted("liquor-sale-licence", PRASERT, business_name="ทองคำ บาร์"),
        "correct",
        "กรุณาแนบภาพถ่ายหน้าร้านที่เห็นป้ายชื่อร้านชัดเจน",
    )
    _act(
        _submitted(
            "tour-business-licence", PRASERT, business_name="ทองคำ ทราเวล", tour_area="outbound"
        ),
        "reject",
        "หนังสือค้ำประกันของธนาคารไม่ครอบคลุมวงเงินที่กฎหมายกำหนดสำหรับธุรกิจนำเที่ยวต่างประเทศ",
    )
    # Waiting at review in each agency's worklist.
    _submitted("food-shop-licence", PRASERT, business_name="ทองคำ เบเกอรี่", area_sqm=45)
    # A food truck approved whose invoice he let run out: the payments demo expires it and
    # has his late payment of the old QR code arrive, flagged for the BMA's finance officers.
    _act(
        _submitted("food-shop-licence", PRASERT, business_name=FOOD_TRUCK, area_sqm=30),
        "approve",
    )


#: The business whose invoice expires in the payments demo (bizportal.payments.demo).
FOOD_TRUCK = "ทองคำ ฟู้ดทรัค"


def _delegation() -> None:
    """Somsri, for her company, lets Wipa handle food shop licences only (prepare,
    submit, pay, view); Wipa accepted and has a draft under way for the company. Prasert
    gives her a written mandate (signed PDF) for his tour business applications."""
    krua = _company(SOMSRI, KRUA_SOMSRI)
    somsri, wipa = _account(SOMSRI), _account(WIPA)
    today = timezone.localdate()
    mandate = grant_mandate(
        Acting(somsri, krua, "director"),
        delegate=WIPA.citizen_id,
        actions=[
            MandateAction.PREPARE,
            MandateAction.SUBMIT,
            MandateAction.PAY,
            MandateAction.VIEW,
        ],
        valid_from=today,
        valid_until=today.replace(year=today.year + 1),
        services=[Service.objects.get(slug="food-shop-licence")],
    )
    answer_mandate(mandate, wipa, accept=True)
    _draft("food-shop-licence", WIPA, party=krua, business_name="ครัวสมศรี สาขาลาดพร้าว")
    # Prasert lets Wipa prepare and view his tour business applications: the tour
    # business law needs a written power of attorney, so the portal issues the mandate
    # as a signed PDF (done here at once; the outbox subscriber would do it after commit).
    prasert = _account(PRASERT)
    written = grant_mandate(
        Acting(prasert, prasert.party, "self"),  # type: ignore[arg-type]
        delegate=WIPA.citizen_id,
        actions=[MandateAction.PREPARE, MandateAction.VIEW],
        valid_from=today,
        valid_until=today.replace(year=today.year + 1),
        services=[Service.objects.get(slug="tour-business-licence")],
    )
    issue_document(answer_mandate(written, wipa, accept=True))


def _foreigner_and_counter() -> None:
    """A British entrepreneur's café waits at review; at the service counter, an officer
    proved Malee's identity from her ID card's chip and her face and filed her commercial
    registration (she will find it in her account when she signs in)."""
    james = _foreign_account(JAMES)
    service = Service.objects.get(slug="food-shop-licence")
    application = applications.start_application(service, james)
    answers = {
        **_answers("food-shop-licence", SOMSRI),
        "email": JAMES.email,
        "business_name": "Whitfield's Café",
        "manager_citizen_id": SOMSRI.citizen_id,
    }
    _fill(application, answers, james)
    applications.submit(application, actor=james, accept_terms=True)

    officer = User.objects.get(username="counter.osc")
    record = _registry_record(MALEE)
    malee = proof_at_counter(
        officer, record, method="chip_face", chip=demo_chip("card-3", face=True)
    )
    filed = applications.start_application(
        Service.objects.get(slug="commercial-registration"),
        malee,
        party=malee.party,
        filed_by=officer,
    )
    values = {
        **_answers("commercial-registration", MALEE),
        "business_name": "มาลีผ้าไทย",
        "business_address": "5 หมู่ 2 ตำบลบ้านโป่ง อำเภอบ้านโป่ง จังหวัดราชบุรี 70110",
    }
    applications.submit(_fill(filed, values, officer), actor=officer, accept_terms=True)


@demo.loader("journeys", order=90)
def load_demo() -> list[demo.DemoLogin]:
    """Applications and licences in every state for the demo entrepreneurs."""
    people = [SOMSRI.citizen_id, PRASERT.citizen_id]
    if Application.objects.filter(applicant__citizen_id__in=people).exists():
        return []
    with demo.serving() as url, embedded_registries_at(url):
        _somsri()
        _prasert()
        _delegation()
        _foreigner_and_counter()
    # What the daily sweep would do next: the lapsed branch licence is marked expired and
    # the café licence's holder is reminded that it runs out in three weeks.
    licences.expire_lapsed_licences()
    licences.send_expiry_reminders()
    return []


def _until_decided(forwarded: list[Application], seconds: float = 60) -> None:
    """Wait for the sandbox agency's decisions to come back over the agency API."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        integrations_forwarding.deliver_due()
        waiting = Application.objects.filter(
            pk__in=[a.pk for a in forwarded], status=Status.WAITING
        )
        if not waiting.exists():
            return
        time.sleep(0.3)
    raise RuntimeError("the sandbox agency did not decide the demo applications in time")


@demo.loader("agency-systems", order=92, atomic=False)
def load_agency_system_journeys() -> list[demo.DemoLogin]:
    """Applications the FDA decides in its own system (the sandbox agency, run as its own
    process): approved, rejected, sent back for a correction, online and by batch; and
    two that wait (one to be sent when the demo server starts, one for tonight's batch)."""
    if not Service.objects.filter(slug=integrations_demo.ONLINE_SERVICE).exists():
        return []
    if Application.objects.filter(service__slug=integrations_demo.ONLINE_SERVICE).exists():
        return []
    online, batch = integrations_demo.ONLINE_SERVICE, integrations_demo.BATCH_SERVICE
    with demo.serving() as url, embedded_registries_at(url):
        krua = _company(SOMSRI, KRUA_SOMSRI)  # the batch service takes companies only
        with integrations_demo.sandbox_agency_running(
            url, delay=0.2, decide_interval=0.2, batch_poll=0.5, correction_every=3
        ):
            decided = [
                _submitted(online, PRASERT, business_name="ทองคำ ฟู้ดส์"),
                _submitted(online, WIPA, business_name="วิภา ขนมไทย", area_sqm=2500),
                _submitted(online, SOMSRI, business_name="ครัวสมศรี แปรรูป"),
            ]
            _until_decided(decided)
            by_batch = [
                _submitted(batch, SOMSRI, party=krua, business_name="ครัวสมศรี เมดิคอล"),
                _submitted(batch, SOMSRI, party=krua, business_name="ครัวสมศรี เฮลท์แคร์"),
            ]
            integrations_batches.build_all(timezone.localdate())
            _until_decided(by_batch)
        # Sent when the demo server and its sandbox agency start (a retry if it is late).
        _submitted(online, WIPA, business_name="วิภา เบเกอรี่")
        _submitted(batch, SOMSRI, party=krua, business_name="ครัวสมศรี ซัพพลาย")  # tonight's batch
    return []
