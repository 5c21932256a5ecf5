"""Who may apply is shown before anyone clicks "Apply" (issue 15): before sign-in the
page says what sign-in is needed; a signed-in person whose Digital ID level is too low,
or whose party the service does not take, sees why and how to meet it instead of the
button; everyone else sees "Apply online"."""

from __future__ import annotations

import pytest
from django.test import Client

from bizportal.applications.models import Application
from tests.factories import ApplicantFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def page(client: Client, slug: str, language: str = "th") -> str:
    response = client.get(f"/services/{slug}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_before_sign_in_the_page_names_the_assurance_level_needed(client: Client) -> None:
    service = ServiceFactory(min_ial="2.3")

    html = page(client, service.slug, "en")

    assert 'data-eligibility="before-sign-in"' in html
    assert "verified at level IAL 2.3 or higher" in html
    assert "Sign in with Digital ID to apply" in html


def test_a_sign_in_too_weak_sees_why_and_how_instead_of_apply(client: Client) -> None:
    service = ServiceFactory(min_ial="2.3")
    client.force_login(ApplicantFactory(identity_assurance="1.1"))

    html = page(client, service.slug)

    assert 'data-eligibility="refused"' in html
    assert "ยืนยันตัวตนระดับ IAL 2.3" in html  # the same reason "Apply" would give
    assert "เข้าสู่ระบบด้วยดิจิทัลไอดีอีกครั้ง" in html
    assert f'action="/services/{service.slug}/apply/"' not in html
    # The refusal on the page is exactly what clicking would have answered.
    refused = client.post(f"/services/{service.slug}/apply/", follow=True)
    assert not Application.objects.exists()
    assert "ยืนยันตัวตนระดับ IAL 2.3" in refused.content.decode()


def test_a_person_where_only_companies_apply_is_told_before_clicking(client: Client) -> None:
    service = ServiceFactory(min_ial="1.1", persons_may_apply=False, companies_may_apply=True)
    client.force_login(ApplicantFactory())

    html = page(client, service.slug, "en")

    assert 'data-eligibility="refused"' in html and "takes companies only" in html
    assert "Sign in again with Digital ID" not in html  # a stronger sign-in would not help


def test_whoever_may_apply_sees_the_button(client: Client) -> None:
    service = ServiceFactory(min_ial="2.3")
    client.force_login(ApplicantFactory(identity_assurance="2.3"))

    html = page(client, service.slug)

    assert "data-eligibility" not in html
    assert f'action="/services/{service.slug}/apply/"' in html
