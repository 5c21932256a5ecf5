"""Errors outside DRF's handler: problem+json for the API and machine clients, a
Thai/English page in the portal's layout for people (and a plain one for a 500)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from bizportal.core import errors
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def test_an_api_path_that_matches_no_route_answers_problem_json(client: Client) -> None:
    # The path parameter is not a UUID: the URL resolver, not the view, refuses it.
    response = client.get("/api/v1/applications/not-a-uuid/")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 404 and body["type"].endswith("/404")
    assert "ไม่พบ" in body["detail"] and "does not exist" in body["detail"]


def test_a_page_that_does_not_exist_is_a_thai_page_in_the_layout(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    html = response.content.decode()
    assert "ไม่พบหน้าที่ท่านต้องการ" in html and "This page does not exist." in html
    assert 'class="site-header"' in html  # the portal's own layout, with its menu


def test_a_machine_client_asking_for_json_gets_problem_json_anywhere(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_a_refused_csrf_token_explains_itself(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ApplicantFactory())
    page = strict.post("/account/acting/", {"party": "x"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 403
    assert "แบบฟอร์มหมดอายุ" in page.content.decode()
    api = strict.post("/api/v1/applications/", {}, content_type="application/json")
    assert api.status_code == 403 and api["Content-Type"] == PROBLEM


def test_a_server_error_page_needs_neither_layout_nor_database() -> None:
    request = RequestFactory().get("/account/", HTTP_ACCEPT="text/html")
    response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "ระบบขัดข้องชั่วคราว" in html and "Something went wrong" in html
    api = errors.server_error(RequestFactory().get("/api/v1/applications/"))
    assert api.status_code == 500 and api["Content-Type"] == PROBLEM
    assert json.loads(api.content)["type"].endswith("server-error")


def test_the_api_explorer_is_served_from_our_own_static_files(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "https://" not in response["Content-Security-Policy"]
