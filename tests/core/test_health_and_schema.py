"""Operational endpoints."""

import pytest


@pytest.mark.django_db
def test_healthz_answers_json(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_the_openapi_schema_describes_the_whole_api(client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert "/api/v1/catalog/services/" in paths
    assert "/api/v1/applications/{public_id}/submit/" in paths


@pytest.mark.django_db
def test_api_errors_are_problem_json(client) -> None:
    response = client.get("/api/v1/catalog/services/no-such-service/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "Not found" in body["title"]


def test_the_openapi_schema_validates_without_a_single_warning(tmp_path) -> None:
    """Integrators generate clients from it: every enum and operation has one clear name."""
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    text = (tmp_path / "schema.yml").read_text()
    assert "ApplicationKindEnum" in text and "licences_verify_version" in text
