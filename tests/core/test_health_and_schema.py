"""Operational endpoints."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command


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
    assert body["title"] == "ไม่พบข้อมูล"
    english = client.get("/api/v1/catalog/services/no-such-service/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["title"] == "Not found" and english.json()["type"] == body["type"]


def test_the_openapi_schema_validates_without_a_single_warning(tmp_path) -> None:
    """Integrators generate clients from it: every enum and operation has one clear name."""
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    text = (tmp_path / "schema.yml").read_text()
    assert "ApplicationKindEnum" in text and "licences_verify_version" in text
    assert "licences_verify_credential" in text and "application/vc+jwt" in text


def test_the_healthcheck_command_answers_ok_when_the_database_does(db) -> None:
    out = io.StringIO()
    call_command("healthcheck", stdout=out)
    assert out.getvalue().strip() == "ok"


def test_the_healthcheck_command_fails_when_the_database_does_not(tmp_path) -> None:
    """A worker whose database is gone must fail its probe (exit 1), not report ok."""
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    env.pop("DATABASE_PASSWORD", None)
    env["BIZPORTAL_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 1
    assert "database unreachable" in result.stderr
