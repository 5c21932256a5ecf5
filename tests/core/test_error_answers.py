"""Errors outside DRF's handler: problem+json for the API and machine clients, a
page in the reader's language in the portal's layout for people (and a plain one for a 500)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

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
    assert body["detail"] == "ไม่พบหน้าที่ท่านต้องการ"  # Thai unless Accept-Language asks
    english = client.get("/api/v1/applications/not-a-uuid/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["detail"] == "This page does not exist." and english["type"] == body["type"]


def test_a_page_that_does_not_exist_is_a_thai_page_in_the_layout(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    html = response.content.decode()
    assert "ไม่พบหน้าที่ท่านต้องการ" in html and "This page does not exist." not in html
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
    assert "ระบบขัดข้องชั่วคราว" in html and "Something went wrong" not in html
    with translation.override("en"):
        english = errors.server_error(request).content.decode()
    assert "Something went wrong" in english and "ระบบขัดข้อง" not in english
    api = errors.server_error(RequestFactory().get("/api/v1/applications/"))
    assert api.status_code == 500 and api["Content-Type"] == PROBLEM
    assert json.loads(api.content)["type"].endswith("server-error")


def test_the_api_explorer_is_served_from_our_own_static_files(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "https://" not in response["Content-Security-Policy"]


# Branded pages with DEBUG off, from views that fail (tests/core/error_urls.py).
PAGES = {
    400: ("คำขอไม่ถูกต้อง", "The request is not valid."),
    403: ("ท่านไม่มีสิทธิ์เข้าถึงหน้านี้", "You may not open this page."),
    404: ("ไม่พบหน้าที่ท่านต้องการ", "This page does not exist."),
}


@pytest.mark.urls("tests.core.error_urls")
@pytest.mark.parametrize("status", sorted(PAGES))
def test_each_error_page_is_branded_translated_with_a_way_back(settings, status: int) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get(f"/test-errors/{status}/", HTTP_ACCEPT="text/html")
    assert response.status_code == status
    html = response.content.decode()
    thai, english = PAGES[status]
    assert thai in html and english not in html
    in_english = client.get(
        f"/test-errors/{status}/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert english in in_english and thai not in in_english
    assert 'class="site-header"' in html and "/static/bizportal/site.css" in html
    assert f'data-error="{status}"' in html
    assert '<a href="/">กลับหน้าแรก</a>' in html
    assert "กลับไปที่ระบบงานเจ้าหน้าที่" not in html  # not staff: no back office link
    assert f"{status}.html" in [t.name for t in response.templates]


@pytest.mark.urls("tests.core.error_urls")
def test_staff_are_offered_the_back_office_and_english_readers_english(settings) -> None:
    from tests.factories import OfficerFactory

    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(OfficerFactory())
    html = client.get("/test-errors/404/", HTTP_ACCEPT="text/html").content.decode()
    assert 'href="/backoffice/"' in html and "กลับไปที่ระบบงานเจ้าหน้าที่" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/test-errors/403/", HTTP_ACCEPT="text/html").content.decode()
    assert "<h1>Forbidden</h1>" in english and "Back to the back office" in english


@pytest.mark.urls("tests.core.error_urls")
def test_a_server_error_is_the_self_contained_page(settings) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    html = response.content.decode()
    assert "ระบบขัดข้องชั่วคราว" in html and "Something went wrong" not in html
    assert "/static/bizportal/site.css" in html and 'class="site-header"' in html
    assert 'href="/"' in html and 'href="/backoffice/"' in html
    # Django's own fallback renders 500.html with no context at all: it needs none.
    from django.template import loader

    assert "ระบบขัดข้อง" in loader.get_template("500.html").render()


def test_the_csrf_failure_page_is_branded_with_a_way_back(settings) -> None:
    settings.DEBUG = False
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ApplicantFactory())
    page = strict.post("/account/acting/", {"party": "x"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 403
    html = page.content.decode()
    assert "แบบฟอร์มหมดอายุ" in html and "The form has expired" not in html
    assert 'class="site-header"' in html and '<a href="/">กลับหน้าแรก</a>' in html
    assert "403_csrf.html" in [t.name for t in page.templates]
