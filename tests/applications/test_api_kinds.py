"""Amend, renew and cancel through the REST API: the same rules as the pages, refusals as
problem+json, and nothing created by a refused request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bizportal.applications import services
from bizportal.applications.models import Application, Kind
from bizportal.licences.models import Licence
from bizportal.licences.services import revoke_licence
from tests.factories import ApplicantFactory, OfficerFactory
from tests.journeys import decided, fill, issued_licence, submitted

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications/"


def ask(client, licence: Licence, kind: str, *, as_user=None):
    client.force_login(as_user or licence.account)
    return client.post(
        URL,
        {"service": licence.service.slug, "kind": kind, "licence": licence.number},
        content_type="application/json",
    )


def changes(licence: Licence) -> int:
    return Application.objects.filter(licence=licence).exclude(kind=Kind.NEW).count()


def test_an_amendment_starts_prefilled_from_the_licence(client) -> None:
    licence = issued_licence()
    response = ask(client, licence, "amend")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["licence"], body["status"]) == ("amend", licence.number, "draft")
    assert body["data"]["business_name"] == licence.business_name
    assert body["holder"]["id"] == licence.holder_id
    assert [step["type"] for step in body["waiting"]] == ["applicant-data"]


def test_amending_a_revoked_licence_is_a_conflict_and_creates_nothing(client) -> None:
    licence = issued_licence()
    revoke_licence(licence, "ฝ่าฝืนเงื่อนไข", actor=OfficerFactory(agency=licence.agency))
    response = ask(client, licence, "amend")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "ถูกเพิกถอนแล้ว" in response.json()["detail"]
    assert changes(licence) == 0


def test_cancelling_twice_is_a_conflict(client) -> None:
    licence = issued_licence()
    decided(submitted(kind=Kind.CANCEL, licence=licence))
    response = ask(client, licence, "cancel")
    assert response.status_code == 409
    assert "ถูกยกเลิกแล้วเมื่อ" in response.json()["detail"]
    assert changes(licence) == 1


def test_renewing_outside_the_window_is_a_conflict_naming_the_date(client) -> None:
    licence = issued_licence()
    response = ask(client, licence, "renew")
    assert response.status_code == 409
    opens = licence.valid_until - dt.timedelta(days=90)
    assert str(opens.year + 543) in response.json()["detail"]  # Buddhist era in Thai
    assert changes(licence) == 0


def test_another_persons_licence_is_not_found(client) -> None:
    licence = issued_licence()
    for kind in ("amend", "renew", "cancel"):
        response = ask(client, licence, kind, as_user=ApplicantFactory())
        assert response.status_code == 404
    assert changes(licence) == 0


def test_a_change_without_a_licence_number_or_with_an_unknown_kind_is_refused(client) -> None:
    licence = issued_licence()
    client.force_login(licence.account)
    missing = client.post(
        URL, {"service": licence.service.slug, "kind": "amend"}, content_type="application/json"
    )
    assert missing.status_code == 404
    unknown = client.post(
        URL,
        {"service": licence.service.slug, "kind": "transfer", "licence": licence.number},
        content_type="application/json",
    )
    assert unknown.status_code == 400
    assert "kind" in unknown.json()["errors"]
    assert changes(licence) == 0


def test_a_renewal_inside_the_window_runs_to_a_second_version(client) -> None:
    licence = issued_licence()
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=timezone.localdate() + dt.timedelta(days=10)
    )
    licence.refresh_from_db()
    response = ask(client, licence, "renew")
    assert response.status_code == 201
    application = fill(Application.objects.get(public_id=response.json()["id"]))
    services.submit(application, actor=application.applicant, accept_terms=True)
    decided(Application.objects.get(pk=application.pk))
    body = client.get(f"/api/v1/licences/verify/{licence.number}/").json()
    assert (body["status"], body["version"], body["current_version"]) == ("valid", 2, 2)
    old = client.get(f"/api/v1/licences/verify/{licence.number}/1/").json()
    assert (old["status"], old["ok"]) == ("superseded", False)
