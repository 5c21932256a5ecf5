"""Pages that list things cost the same number of queries for one row as for many."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bizportal.applications.models import Kind
from tests.factories import ApplicantFactory, ServiceFactory
from tests.journeys import issued_licence, start, submitted

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_account_page_costs_the_same_for_one_licence_as_for_four(client) -> None:
    service = ServiceFactory()
    one, many = ApplicantFactory(), ApplicantFactory()
    issued_licence(service, one)
    for _ in range(4):
        licence = issued_licence(service, many)
    start(kind=Kind.AMEND, licence=licence)  # an open change shows on its licence
    submitted(service, many)
    counts = []
    for person in (one, many):
        client.force_login(person)
        counts.append(queries_for(client, reverse("portal:account")))
    assert counts[0] == counts[1], counts


def test_my_applications_in_the_api_cost_the_same_for_one_as_for_five(client) -> None:
    service = ServiceFactory()
    one, many = ApplicantFactory(), ApplicantFactory()
    submitted(service, one)
    for _ in range(5):
        submitted(service, many)
    counts = []
    for person in (one, many):
        client.force_login(person)
        counts.append(queries_for(client, "/api/v1/applications/"))
    assert counts[0] == counts[1], counts
