"""Fixtures for the licence tests: one agency, one service, one paid application.

The development CA lives in the session's temporary LICENCE_KEY_DIR (set by the root
conftest), so it is generated once per test session and reused by every test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bizportal.applications.models import Application, Status
from bizportal.catalog.models import Agency, Service
from bizportal.identity.models import User
from bizportal.licences.models import Licence
from bizportal.licences.services import issue_licence


@pytest.fixture
def agency(db) -> Agency:
    return Agency.objects.create(
        code="bma-health",
        name_th="สำนักอนามัย กรุงเทพมหานคร",
        name_en="Health Department, Bangkok Metropolitan Administration",
        ministry_en="Bangkok Metropolitan Administration",
    )


@pytest.fixture
def service(agency: Agency) -> Service:
    return Service.objects.create(
        slug="food-shop-licence",
        agency=agency,
        name_th="ขอใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        name_en="Food shop licence",
        processing_days=15,
        fee_table="food_shop_fee",
        licence_title_th="ใบอนุญาตจัดตั้งสถานที่จำหน่ายอาหาร",
        licence_title_en="Licence to operate a food shop",
        licence_permits_th="จัดตั้งสถานที่จำหน่ายอาหาร พื้นที่ไม่เกิน 200 ตารางเมตร",
        licence_permits_en="Operate a food shop with an area of up to 200 square metres",
        licence_validity_years=1,
        licence_prefix="BMA-FD",
    )


@pytest.fixture
def applicant(db) -> User:
    return User.objects.create_user(
        username="somchai",
        citizen_id="1101700203451",
        full_name_th="สมชาย ใจดี",
        full_name_en="Somchai Jaidee",
    )


@pytest.fixture
def stranger(db) -> User:
    return User.objects.create_user(
        username="somying", citizen_id="3100600155551", full_name_th="สมหญิง รักดี"
    )


def make_paid_application(service: Service, applicant: User, reference: str) -> Application:
    now = timezone.now()
    return Application.objects.create(
        reference=reference,
        service=service,
        agency=service.agency,
        applicant=applicant,
        status=Status.PAID,
        data={"business_name": "ร้านข้าวมันไก่ป้าแดง"},
        terms_accepted_at=now - dt.timedelta(days=3),
        submitted_at=now - dt.timedelta(days=3),
    )


@pytest.fixture
def application(service: Service, applicant: User) -> Application:
    return make_paid_application(service, applicant, "BP-2569-000001")


@pytest.fixture
def licence(application: Application) -> Licence:
    return issue_licence(application)


def flip_byte_in_signed_range(data: bytes) -> bytes:
    """Change one byte inside a content stream that the signature covers.

    The file still parses (streams are decoded lazily), so only the signature check
    can notice: exactly what a forger editing the PDF would produce.
    """
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(BytesIO(data)).embedded_signatures[0]
    first_range_end = int(signature.byte_range[1])
    position = data.index(b"stream\n", len(data) // 4) + 40
    assert position < first_range_end, "the chosen byte must be inside the signed range"
    tampered = bytearray(data)
    tampered[position] ^= 0xFF
    return bytes(tampered)


def unsigned_pdf() -> bytes:
    """A valid PDF with no signature (what a scanner or a forger produces)."""
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PDF")
    return buffer.getvalue()
