"""Fixtures for the licence tests: one agency, one service, one holder, a stranger.

The register knows nothing of applications, so most tests issue straight from a
:class:`LicenceDraft`, as an agency's own system would. The tests that follow a
licence through an application use :mod:`tests.journeys` instead.

The development CA lives in the session's temporary LICENCE_KEY_DIR (set by the root
conftest), so it is generated once per test session and reused by every test.
"""

from __future__ import annotations

import itertools
from io import BytesIO
from typing import Any

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from bizportal.catalog.models import Agency, Service
from bizportal.identity.models import User
from bizportal.licences.models import Licence, LicenceVersion, VersionKind
from bizportal.licences.services import LicenceDraft, issue_licence, issue_version
from tests.factories import AgencyFactory, ApplicantFactory, ServiceFactory

#: The holder's citizen ID (valid check digit) and how the public pages must show it.
CITIZEN_ID = "1101700203450"
CITIZEN_ID_MASKED = "x-xxxx-xxxxx-45-0"
CITIZEN_ID_PRINTED = "1-1017-00203-45-0"
#: A company's juristic ID: public record, shown in full.
JURISTIC_ID = "0105556123453"
JURISTIC_ID_PRINTED = "0-1055-56123-45-3"
BUSINESS_NAME = "ร้านข้าวมันไก่ป้าแดง"

_references = itertools.count(1)


@pytest.fixture
def agency(db) -> Agency:
    return AgencyFactory(
        code="bma-health",
        name_th="สำนักอนามัย กรุงเทพมหานคร",
        name_en="Health Department, Bangkok Metropolitan Administration",
        ministry_en="Bangkok Metropolitan Administration",
    )


@pytest.fixture
def service(agency: Agency) -> Service:
    """The demo food-shop service (prefix BMA-FD, valid one year) of that agency."""
    return ServiceFactory(agency=agency)


@pytest.fixture
def applicant(db) -> User:
    return ApplicantFactory(
        username="somchai",
        citizen_id=CITIZEN_ID,
        full_name_th="สมชาย ใจดี",
        full_name_en="Somchai Jaidee",
    )


@pytest.fixture
def stranger(db) -> User:
    return ApplicantFactory(
        username="somying", citizen_id="3100600155556", full_name_th="สมหญิง รักดี"
    )


def draft(service: Service, account: User, **changes: Any) -> LicenceDraft:
    """What the deciding side hands over; each draft gets its own reference unless
    ``application_reference`` is given (the register is idempotent on it)."""
    values: dict[str, Any] = {
        "service": service,
        "account": account,
        "holder_kind": "person",
        "holder_id": account.citizen_id,
        "holder_name": account.full_name_th,
        "holder_name_en": account.full_name_en,
        "business_name": BUSINESS_NAME,
        "details": {"business_name": BUSINESS_NAME, "seats": 40},
        "application_reference": f"AG-2569-{next(_references):06d}",
        "validity_years": service.licence_validity_years,
    }
    values.update(changes)
    return LicenceDraft(**values)


def amend(licence: Licence, **changes: Any) -> Licence:
    """Issue the next version of ``licence`` as an amendment."""
    return issue_version(
        licence, draft(licence.service, licence.account, **changes), VersionKind.AMEND
    )


def renew(licence: Licence, **changes: Any) -> Licence:
    """Issue the next version of ``licence`` as a renewal."""
    return issue_version(
        licence, draft(licence.service, licence.account, **changes), VersionKind.RENEW
    )


@pytest.fixture
def licence(service: Service, applicant: User) -> Licence:
    """Version 1 of a person's licence, issued straight from a draft."""
    return issue_licence(draft(service, applicant))


@pytest.fixture
def amended(licence: Licence) -> Licence:
    """The same licence after one amendment: version 2 is current, version 1 superseded."""
    return amend(licence, business_name="ร้านข้าวมันไก่ป้าแดง สาขาอารีย์")


def version(licence: Licence, number: int) -> LicenceVersion:
    return licence.versions.get(number=number)


def pdf_of(licence: Licence, number: int | None = None) -> bytes:
    """The signed file of version ``number`` (the current version by default)."""
    document = version(licence, number or licence.version)
    with document.pdf.open("rb") as handle:
        return handle.read()


def flip_byte_in_signed_range(data: bytes) -> bytes:
    """Change one byte inside a content stream that the signature covers.

    The file still parses (streams are decoded lazily), so only the signature check
    can notice: exactly what a forger editing the PDF would produce.
    """
    signature = PdfFileReader(BytesIO(data)).embedded_signatures[0]
    first_range_end = int(signature.byte_range[1])
    position = data.index(b"stream\n", len(data) // 4) + 40
    assert position < first_range_end, "the chosen byte must be inside the signed range"
    tampered = bytearray(data)
    tampered[position] ^= 0xFF
    return bytes(tampered)


def unsigned_pdf() -> bytes:
    """A valid PDF with no signature (what a scanner or a forger produces)."""
    buffer = BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, format="PDF")
    return buffer.getvalue()
