"""Statistics and the public catalogue read from the read replica when one is configured;
everything else stays on the primary.

The ``replica`` alias here mirrors the test database (Django's TEST MIRROR), so it is a
second, separate connection to the same data: rows must be committed to be seen, hence
transactional tests.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from bizportal.catalog import demo
from bizportal.core.db import ReplicaRouter, reporting_db
from bizportal.identity.models import StaffRole
from tests import journeys
from tests.factories import StaffFactory

both = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def on_replica(settings) -> None:
    settings.REPORTING_DATABASE = "replica"


def tables(queries: CaptureQueriesContext) -> str:
    return " ".join(q["sql"] for q in queries.captured_queries)


def test_reports_read_the_primary_when_no_replica_is_configured() -> None:
    assert reporting_db() == "default"


def test_reports_read_the_replica_when_it_is_configured(on_replica) -> None:
    assert reporting_db() == "replica"


@both
def test_the_statistics_page_reads_through_the_replica(client, on_replica) -> None:
    for _ in range(2):
        journeys.submitted()
    client.force_login(StaffFactory(roles=[StaffRole.EXECUTIVE]))
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        page = client.get("/backoffice/statistics/")
    assert page.status_code == 200
    assert "data-total>2<" in page.content.decode()
    assert "applications_application" in tables(replica)
    assert "licences_licence" in tables(replica)
    # The primary still serves the session and the signed-in user, but no aggregate.
    assert "applications_application" not in tables(primary)
    assert "identity_user" in tables(primary)


@both
def test_catalogue_search_reads_through_the_replica(client, on_replica) -> None:
    demo.seed()
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        page = client.get("/services/", {"q": "จำหน่ายอาหาร"})
        api = client.get("/api/v1/catalog/services/", {"q": "food shop"})
    assert page.status_code == 200
    assert "food-shop-licence" in page.content.decode()
    assert api.status_code == 200, api.content
    assert [s["slug"] for s in api.json()["results"]] == [
        "food-premises-notification",
        "food-shop-licence",
    ]
    assert "catalog_service" in tables(replica)
    assert "catalog_service" not in tables(primary)


@both
def test_writes_stay_on_the_primary_while_reports_use_the_replica(client, on_replica) -> None:
    """A submission writes to the primary even with the replica configured."""
    with CaptureQueriesContext(connections["replica"]) as replica:
        journeys.submitted()
    assert replica.captured_queries == []


def test_the_router_keeps_migrations_off_the_replica_and_relates_rows_across() -> None:
    router = ReplicaRouter()
    assert router.allow_migrate("replica", "applications") is False
    assert router.allow_migrate("default", "applications") is None
    assert router.db_for_read(object) is None  # type: ignore[arg-type]
    assert router.db_for_write(object) is None  # type: ignore[arg-type]

    class Row:
        class _state:
            db = "replica"

    class Other:
        class _state:
            db = "default"

    class Elsewhere:
        class _state:
            db = "archive"

    assert router.allow_relation(Row(), Other()) is True  # type: ignore[arg-type]
    assert router.allow_relation(Row(), Elsewhere()) is None  # type: ignore[arg-type]
