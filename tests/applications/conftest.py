from __future__ import annotations

import pytest

from tests.factories import (
    ApplicantFactory,
    OfficerFactory,
    ServiceFactory,
    valid_food_shop_answers,
)
from tests.journeys import pdf_bytes  # noqa: F401 - used by tests importing it from here
from tests.sandbox_idp.helpers import live  # noqa: F401 - fixture


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
