from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.factories import (
    ApplicantFactory,
    OfficerFactory,
    ServiceFactory,
    valid_food_shop_answers,
)


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PDF")
    return buffer.getvalue()


@pytest.fixture
def service(db):
    return ServiceFactory()


@pytest.fixture
def applicant(db):
    return ApplicantFactory()


@pytest.fixture
def officer(service):
    return OfficerFactory(agency=service.agency)


@pytest.fixture
def stranger_officer(db):
    return OfficerFactory()


@pytest.fixture
def answers(applicant):
    return valid_food_shop_answers(applicant)
