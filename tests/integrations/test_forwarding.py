"""Forwarding online (issue 8): the forward step hands the application over, signed
(RFC 9421) with an idempotency key; failures are retried with backoff and end in the
dead-letter list an admin replays; every attempt is kept."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from bizportal.applications.models import Status
from bizportal.core.models import AuditEvent
from bizportal.integrations import forwarding
from bizportal.integrations.models import Forwarding, ForwardingAttempt, ForwardingState, Mode
from tests.factories import OfficerFactory
from tests.journeys import submitted

from .conftest import Message, Receiver, forwarded_service

pytestmark = pytest.mark.django_db


def due_now() -> None:
    Forwarding.objects.filter(state=ForwardingState.PENDING).update(next_attempt_at=timezone.now())


def test_reaching_the_step_forwards_a_signed_package_once(receiver: Receiver) -> None:
    service = forwarded_service(Mode.ONLINE, receiver.url)
    application = submitted(service)
    assert application.status == Status.WAITING
    row = Forwarding.objects.get(application=application)
    assert (row.state, row.mode, row.step) == (ForwardingState.PENDING, Mode.ONLINE, "review")

    assert forwarding.deliver_due() == 1
    assert forwarding.deliver_due() == 0  # delivered: nothing is sent twice
    row.refresh_from_db()
    assert row.state == ForwardingState.DELIVERED and row.delivered_at is not None
    assert receiver.verified == [True]
    received = receiver.received[0]
    assert received["headers"]["Idempotency-Key"] == str(row.public_id)
    body = received["body"]
    assert body["application_id"] == str(application.public_id)
    assert body["updates_url"].endswith(f"/agency/applications/{application.public_id}/updates/")
    assert body["package"]["mapped"]["shop"]["name"] == application.data["business_name"]
    assert all(d["url"] and d["url_expires_at"] for d in body["package"]["documents"])
    attempt = ForwardingAttempt.objects.get(forwarding=row)
    assert (attempt.outcome, attempt.status_code, attempt.number) == ("delivered", 202, 1)
    assert AuditEvent.objects.filter(action="integrations.forwarding_attempt").count() == 1


def test_a_tampered_request_fails_the_agencys_check(receiver: Receiver) -> None:
    """The receiver's check is real: the same bytes verify, changed bytes do not."""
    service = forwarded_service(Mode.ONLINE, receiver.url)
    submitted(service)
    forwarding.deliver_due()
    sent = receiver.received[0]
    body = json.dumps(sent["body"], ensure_ascii=False).encode()
    message = Message("POST", receiver.url, sent["headers"])
    assert b'"reference": "' in body
    assert not receiver.verify(message, body.replace(b'"reference": "', b'"reference": "X'))
    assert not receiver.verify(Message("POST", receiver.url + "?x=1", sent["headers"]), body)


def test_failures_are_retried_with_backoff_then_dead_lettered_and_replayed(
    receiver: Receiver, settings: Any
) -> None:
    settings.FORWARDING_MAX_ATTEMPTS = 3
    settings.FORWARDING_BACKOFF_SECONDS = 60
    receiver.answers = [500, 503, 500]
    service = forwarded_service(Mode.ONLINE, receiver.url)
    application = submitted(service)
    row = Forwarding.objects.get(application=application)

    before = timezone.now()
    assert forwarding.deliver_due() == 0
    row.refresh_from_db()
    assert row.state == ForwardingState.PENDING and row.attempts == 1
    # backoff with jitter: between half and all of the first step (60 s)
    waited = row.next_attempt_at - before
    assert dt.timedelta(seconds=29) < waited < dt.timedelta(seconds=61)
    assert forwarding.deliver_due() == 0  # not due yet
    for _ in range(2):
        due_now()
        forwarding.deliver_due()
    row.refresh_from_db()
    assert row.state == ForwardingState.DEAD and row.attempts == 3
    assert list(row.tries.values_list("status_code", flat=True)) == [500, 503, 500]
    assert "500" in row.last_error

    admin = OfficerFactory()
    forwarding.replay(row, by=admin)
    forwarding.deliver_due()
    row.refresh_from_db()
    assert row.state == ForwardingState.DELIVERED
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.received}
    assert keys == {str(row.public_id)}  # one hand-over, four requests
    assert AuditEvent.objects.filter(action="integrations.forwarding_replayed").exists()
    with pytest.raises(ValueError):
        forwarding.replay(row, by=admin)


def test_a_refusal_4xx_is_dead_at_once_and_an_unreachable_agency_is_retried(
    receiver: Receiver,
) -> None:
    receiver.answers = [422]
    refused = Forwarding.objects.get(
        application=submitted(forwarded_service(Mode.ONLINE, receiver.url))
    )
    forwarding.deliver_due()
    refused.refresh_from_db()
    assert refused.state == ForwardingState.DEAD and refused.attempts == 1

    down = forwarded_service(Mode.ONLINE, "http://127.0.0.1:9/closed", code="down-system")
    unreachable = Forwarding.objects.get(application=submitted(down))
    forwarding.deliver_due()
    unreachable.refresh_from_db()
    assert unreachable.state == ForwardingState.PENDING
    assert unreachable.tries.get().outcome == ForwardingAttempt.Outcome.UNREACHABLE


def test_the_forwarding_task_is_scheduled_after_commit(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    service = forwarded_service(Mode.ONLINE, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(service)
    assert Forwarding.objects.get(application=application).state == ForwardingState.DELIVERED


def test_a_service_without_integration_settings_cannot_reach_the_step() -> None:
    from tests.factories import ServiceFactory

    service = ServiceFactory(process_id="agency_system_licence")
    with pytest.raises(Exception, match="ยังไม่ได้ตั้งค่าการส่งต่อระบบของหน่วยงาน"):
        submitted(service)


def test_a_document_link_serves_the_file_until_it_expires(
    client: Any, receiver: Receiver, settings: Any
) -> None:
    submitted(forwarded_service(Mode.ONLINE, receiver.url))
    forwarding.deliver_due()
    document = receiver.received[0]["body"]["package"]["documents"][0]
    path = document["url"].removeprefix(settings.BASE_URL)
    answer = client.get(path)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action="application.document_viewed", actor_label__contains="agency system"
    ).exists()
    settings.FORWARDING_LINK_SECONDS = -1
    assert client.get(path).status_code == 404
    assert client.get(path[:-5] + "xxxx/").status_code == 404


def test_the_public_keys_are_a_jwks(client: Any) -> None:
    keys = client.get("/api/v1/integrations/keys/").json()["keys"]
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519"
    assert keys[0]["kid"].startswith("bizportal-")


def test_officers_see_every_attempt_and_the_applicant_the_agencys_progress(
    client: Any, receiver: Receiver
) -> None:
    from bizportal.integrations.forwarding import apply_update
    from tests.journeys import officer_of

    receiver.answers = [503]
    service = forwarded_service(Mode.ONLINE, receiver.url)
    application = submitted(service)
    forwarding.deliver_due()
    due_now()
    forwarding.deliver_due()
    apply_update(
        service.system,
        application.public_id,
        {"sequence": 1, "type": "status", "status": "นัดตรวจสถานที่ 3 ธ.ค."},
    )

    client.force_login(officer_of(application))
    page = client.get(f"/backoffice/applications/{application.public_id}/").content.decode()
    assert 'data-outcome="failed"' in page and 'data-outcome="delivered"' in page
    assert "นัดตรวจสถานที่ 3 ธ.ค." in page
    client.force_login(application.applicant)
    mine = client.get(f"/applications/{application.public_id}/").content.decode()
    assert "นัดตรวจสถานที่ 3 ธ.ค." in mine and "data-agency-status" in mine
    assert "data-outcome" not in mine  # attempts are the agency's and admins' business


def test_the_backoff_doubles_with_jitter_and_has_a_ceiling(settings: Any) -> None:
    settings.FORWARDING_BACKOFF_SECONDS = 10
    settings.FORWARDING_BACKOFF_MAX_SECONDS = 100
    waits = [forwarding.backoff(n).total_seconds() for n in range(1, 12)]
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40
    assert all(50 <= wait <= 100 for wait in waits[4:])
    assert len({round(forwarding.backoff(3).total_seconds(), 3) for _ in range(20)}) > 1
