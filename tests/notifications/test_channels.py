"""Each channel delivers through its sandbox over real HTTP; a failing channel retries
and then succeeds with no duplicate; receipts; preferences; quiet hours; the inbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bizportal.notifications import catalogue, services
from bizportal.notifications.contrib.sandbox import services as sandbox
from bizportal.notifications.contrib.sandbox.models import (
    SandboxLinePush,
    SandboxOutage,
    SandboxSms,
)
from bizportal.notifications.models import ContactPreference, Delivery, InboxMessage
from bizportal.notifications.services import Recipient
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = catalogue.message("status_changed").sample
CONTEXT = {**SAMPLE, "application": {**SAMPLE["application"], "reference": "BP-1"}}


@pytest.fixture
def live(live_server: Any, settings: Any) -> str:
    settings.BASE_URL = live_server.url
    settings.SMS_GATEWAY_URL = f"{live_server.url}/sandbox/sms"
    settings.LINE_API_URL = f"{live_server.url}/sandbox/line"
    settings.NOTIFICATION_CHANNELS = ("email", "inbox", "sms", "line")
    # Tasks are queued, not run inline: an inline task would call the sandbox while this
    # thread's transaction holds SQLite's write lock. The tests run what a worker or
    # the sweeper would (send_due, the gateway's receipts).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return str(live_server.url)


def work() -> int:
    """What the workers and the sweeper do: send due deliveries, then post receipts."""
    sent = services.send_due()
    sandbox.resend_receipts(timezone.now() + dt.timedelta(seconds=1))
    return sent


NO_QUIET_HOURS = {"quiet_start": dt.time(0, 0), "quiet_end": dt.time(0, 0)}


def person(**pref: Any) -> Any:
    user = ApplicantFactory()
    if pref:
        ContactPreference.objects.create(user=user, **{**NO_QUIET_HOURS, **pref})
    return user


def tell(user: Any, key: str = "status_changed") -> list[Delivery]:
    created = services.notify(uuid.uuid4(), key, "applicant", [Recipient(user=user)], CONTEXT)
    work()
    return created


def test_every_channel_delivers_through_its_sandbox(
    live: str, monkeypatch: Any, mailoutbox: Any
) -> None:
    user = person(
        mobile="0812345678",
        mobile_verified_at=timezone.now(),
        line_user_id="U" + "a" * 32,
        channels={"status": ["email", "inbox", "sms", "line"]},
    )
    deliveries = {d.channel: d for d in tell(user)}
    assert set(deliveries) == {"email", "inbox", "sms", "line"}
    for delivery in deliveries.values():
        delivery.refresh_from_db()
    assert mailoutbox[0].to == [user.email]
    assert InboxMessage.objects.get(user=user).subject.startswith("[Biz Portal] BP-1")
    sms = SandboxSms.objects.get()
    assert sms.to == "0812345678" and "BP-1" in sms.text
    # the gateway's signed receipt came back over HTTP and marked the SMS delivered
    assert sms.receipt == SandboxSms.Receipt.SENT
    assert deliveries["sms"].status == Delivery.Status.DELIVERED
    assert deliveries["sms"].provider_id == sms.message_id
    push = SandboxLinePush.objects.get()
    assert push.to == "U" + "a" * 32 and "BP-1" in push.text
    assert deliveries["line"].status == Delivery.Status.SENT


@pytest.mark.parametrize("mode", [SandboxOutage.Mode.REFUSE, SandboxOutage.Mode.LOSE_ANSWER])
@pytest.mark.parametrize("gateway", ["sms", "line"])
def test_a_failing_channel_retries_then_succeeds_without_duplicate(
    live: str, gateway: str, mode: str, settings: Any
) -> None:
    user = person(
        mobile="0812345678",
        mobile_verified_at=timezone.now(),
        line_user_id="U" + "b" * 32,
        channels={"status": [gateway]},
    )
    sandbox.set_outage(gateway, mode, 1)
    [delivery] = services.notify(
        uuid.uuid4(), "status_changed", "applicant", [Recipient(user=user)], CONTEXT
    )
    services.send_due()  # the first attempt meets the outage
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.QUEUED and delivery.attempts == 1
    assert delivery.last_error and delivery.next_attempt_at > timezone.now()
    # the sweeper finds nothing due before the backoff has passed ...
    assert services.send_due() == 0
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert services.send_due() == 1
    work()
    delivery.refresh_from_db()
    assert delivery.status in (Delivery.Status.SENT, Delivery.Status.DELIVERED)
    assert delivery.attempts == 2
    model = SandboxSms if gateway == "sms" else SandboxLinePush
    assert model.objects.count() == 1  # the person got it once
    # a further (stray) attempt sends nothing
    assert services.send_delivery(delivery.pk) is None
    assert model.objects.count() == 1


def test_an_unverified_mobile_is_never_texted(live: str) -> None:
    user = person(mobile="0812345678", channels={"status": ["sms", "inbox"]})
    user.phone = "0899999999"
    user.save()
    channels = {d.channel for d in tell(user)}
    assert channels == {"inbox"}
    assert not SandboxSms.objects.exists()


def test_preferences_choose_the_channels(live: str, mailoutbox: Any) -> None:
    user = person(channels={"status": ["inbox"], "licence": ["email"]})
    assert {d.channel for d in tell(user)} == {"inbox"}
    assert mailoutbox == []
    default_user = person()
    assert {d.channel for d in tell(default_user)} == {"email", "inbox"}


def test_quiet_hours_hold_back_sms_until_morning(live: str, monkeypatch: Any) -> None:
    night = dt.datetime(2026, 1, 1, 16, 0, tzinfo=dt.UTC)  # 23:00 in Bangkok
    monkeypatch.setattr(services.timezone, "now", lambda: night)
    user = person(
        mobile="0812345678",
        mobile_verified_at=night,
        channels={"status": ["sms"], "licence": ["sms"]},
        quiet_start=dt.time(21, 0),
        quiet_end=dt.time(7, 0),
    )
    [normal] = services.notify(
        uuid.uuid4(), "status_changed", "applicant", [Recipient(user=user)], CONTEXT
    )
    assert normal.next_attempt_at == dt.datetime(2026, 1, 2, 0, 0, tzinfo=dt.UTC)  # 07:00
    assert not SandboxSms.objects.exists()
    # an urgent message (a licence suspended) goes at once, even at night
    context = catalogue.message("licence_changed").sample
    [urgent] = services.notify(
        uuid.uuid4(), "licence_changed", "applicant", [Recipient(user=user)], context
    )
    monkeypatch.undo()
    services.send_delivery(urgent.pk)
    urgent.refresh_from_db()
    assert urgent.status in (Delivery.Status.SENT, Delivery.Status.DELIVERED)
    assert SandboxSms.objects.count() == 1


def test_a_repeated_event_creates_nothing_twice(live: str, mailoutbox: Any) -> None:
    user = person(channels={"status": ["email", "inbox"]})
    event_id = uuid.uuid4()
    services.notify(event_id, "status_changed", "applicant", [Recipient(user=user)], CONTEXT)
    again = services.notify(
        event_id, "status_changed", "applicant", [Recipient(user=user)], CONTEXT
    )
    assert again == []
    work()
    assert len(mailoutbox) == 1 and InboxMessage.objects.count() == 1


def test_the_unread_count_costs_one_query(client: Any, live: str) -> None:
    user = person(channels={"status": ["inbox"]})
    for _ in range(3):
        tell(user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as few:
        page = client.get("/account/inbox/")
    for _ in range(20):
        tell(user)
    with CaptureQueriesContext(connection) as many:
        client.get("/account/inbox/")
    assert page.status_code == 200
    assert 'data-unread="3"' in page.content.decode()
    assert len(many) == len(few)
    counts = [q["sql"] for q in many.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    # mark all read
    client.post("/account/inbox/read/", {"all": "1"})
    assert not InboxMessage.objects.filter(user=user, read_at__isnull=True).exists()
    assert "data-unread" not in client.get("/account/inbox/").content.decode()
