"""Contact details change only through a code sent to the new address; until the code
is entered the old details stay in use. Templates that do not render are refused by
the admin form. Officers hear of new work. LINE is linked through LINE Login."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone, translation

from bizportal.core.models import AuditEvent
from bizportal.identity.models import StaffRole, User
from bizportal.notifications import catalogue, services
from bizportal.notifications.admin import MessageTemplateForm
from bizportal.notifications.models import (
    ContactPreference,
    ContactVerification,
    Delivery,
    InboxMessage,
    Notification,
)
from bizportal.notifications.services import Recipient, VerificationError
from bizportal.privacy import services as privacy
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = pytest.mark.django_db

SAMPLE = catalogue.message("status_changed").sample


@pytest.fixture(autouse=True)
def every_channel(settings: Any) -> None:
    settings.NOTIFICATION_CHANNELS = ("email", "inbox", "sms", "line")
    settings.BASE_URL = "http://testserver"
    settings.LINE_LOGIN_URL = "http://testserver/sandbox/line/login"


def code_of(verification: ContactVerification) -> str:
    """The code as the person receives it: the text of the message sent to the new
    address (the database keeps only its hash)."""
    delivery = Delivery.objects.get(notification__event_id=verification.public_id)
    assert delivery.address == verification.value
    found = re.search(r"\b(\d{6})\b", delivery.body)
    assert found, delivery.body
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def next_addresses(user: User) -> dict[str, str]:
    """Where the next message to ``user`` goes, channel by channel."""
    user.refresh_from_db()
    created = services.notify(
        uuid.uuid4(), "status_changed", "applicant", [Recipient(user)], SAMPLE
    )
    return {d.channel: d.address for d in created}


def wants_sms(user: User) -> None:
    ContactPreference.objects.create(user=user, channels={"status": ["email", "inbox", "sms"]})


def test_the_new_email_is_used_only_once_its_code_is_entered() -> None:
    me = ApplicantFactory(email="old@example.test")
    verification = services.start_verification(me, "email", "New@Example.test")

    assert verification.value == "new@example.test"
    assert code_of(verification)  # sent to the new address, not the old one
    assert ContactVerification.objects.get(pk=verification.pk).code_hash != code_of(verification)
    assert next_addresses(me)["email"] == "old@example.test"

    services.confirm_code(me, verification.public_id, code_of(verification))

    assert next_addresses(me)["email"] == "new@example.test"
    assert AuditEvent.objects.filter(action="notifications.contact_verified").count() == 1


def test_the_new_mobile_is_texted_only_once_its_code_is_entered() -> None:
    me = ApplicantFactory()
    wants_sms(me)
    verification = services.start_verification(me, "mobile", "081-234-5678")
    assert verification.value == "0812345678"
    assert "sms" not in next_addresses(me)  # nothing unverified is texted

    services.confirm_code(me, verification.public_id, code_of(verification))

    assert next_addresses(me)["sms"] == "0812345678"
    me.refresh_from_db()
    assert me.phone == "0812345678"


def test_a_verified_mobile_stays_until_the_new_one_is_verified() -> None:
    me = ApplicantFactory()
    wants_sms(me)
    first = services.start_verification(me, "mobile", "0812345678")
    services.confirm_code(me, first.public_id, code_of(first))
    second = services.start_verification(me, "mobile", "0898765432")

    assert next_addresses(me)["sms"] == "0812345678"
    with pytest.raises(VerificationError, match="รหัสไม่ถูกต้อง"):
        services.confirm_code(me, second.public_id, wrong(code_of(second)))
    assert next_addresses(me)["sms"] == "0812345678"

    services.confirm_code(me, second.public_id, code_of(second))
    assert next_addresses(me)["sms"] == "0898765432"


def test_a_wrong_code_is_counted_and_changes_nothing() -> None:
    me = ApplicantFactory(email="old@example.test")
    verification = services.start_verification(me, "email", "new@example.test")

    with translation.override("en"), pytest.raises(VerificationError, match=r"4 attempts left"):
        services.confirm_code(me, verification.public_id, wrong(code_of(verification)))

    verification.refresh_from_db()
    assert verification.attempts == 1 and verification.closed_at is None
    assert AuditEvent.objects.filter(action="notifications.contact_code_wrong").count() == 1
    assert next_addresses(me)["email"] == "old@example.test"
    services.confirm_code(me, verification.public_id, code_of(verification))  # still usable
    assert next_addresses(me)["email"] == "new@example.test"


def test_too_many_wrong_codes_close_the_code_even_the_right_one_then() -> None:
    me = ApplicantFactory(email="old@example.test")
    verification = services.start_verification(me, "email", "new@example.test")
    code = code_of(verification)
    for _ in range(services.CODE_ATTEMPTS - 1):
        with pytest.raises(VerificationError, match="ลองได้อีก"):
            services.confirm_code(me, verification.public_id, wrong(code))

    with pytest.raises(VerificationError, match="ใส่รหัสผิดครบจำนวนครั้งแล้ว"):
        services.confirm_code(me, verification.public_id, wrong(code))
    with pytest.raises(VerificationError, match="รหัสนี้ใช้ไม่ได้แล้ว"):
        services.confirm_code(me, verification.public_id, code)

    verification.refresh_from_db()
    assert verification.closed_at is not None and verification.verified_at is None
    assert next_addresses(me)["email"] == "old@example.test"


def test_an_expired_code_is_refused_and_closed() -> None:
    me = ApplicantFactory(email="old@example.test")
    verification = services.start_verification(me, "email", "new@example.test")
    ContactVerification.objects.filter(pk=verification.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    with pytest.raises(VerificationError, match="รหัสหมดอายุแล้ว"):
        services.confirm_code(me, verification.public_id, code_of(verification))

    verification.refresh_from_db()
    assert verification.closed_at is not None and verification.verified_at is None
    assert next_addresses(me)["email"] == "old@example.test"


def test_a_new_code_supersedes_the_previous_one() -> None:
    me = ApplicantFactory()
    first = services.start_verification(me, "email", "first@example.test")
    second = services.start_verification(me, "email", "second@example.test")

    with pytest.raises(VerificationError, match="รหัสนี้ใช้ไม่ได้แล้ว"):
        services.confirm_code(me, first.public_id, code_of(first))
    services.confirm_code(me, second.public_id, code_of(second))
    assert next_addresses(me)["email"] == "second@example.test"


def test_another_persons_code_page_is_not_found() -> None:
    me, other = ApplicantFactory(), ApplicantFactory()
    verification = services.start_verification(me, "email", "new@example.test")
    client = Client()
    client.force_login(other)

    path = f"/account/contact/verify/{verification.public_id}/"
    assert client.get(path).status_code == 404
    assert client.post(path, {"code": code_of(verification)}).status_code == 404
    verification.refresh_from_db()
    assert verification.attempts == 0 and verification.verified_at is None


def test_the_pages_change_the_mobile_through_its_code() -> None:
    me = ApplicantFactory()
    wants_sms(me)
    client = Client()
    client.force_login(me)

    asked = client.post("/account/contact/change/", {"medium": "mobile", "value": "0812345678"})
    assert asked.status_code == 302
    verification = ContactVerification.objects.get(user=me)
    assert asked["Location"] == f"/account/contact/verify/{verification.public_id}/"
    page = client.get(asked["Location"])
    assert page.status_code == 200

    refused = client.post(asked["Location"], {"code": wrong(code_of(verification))})
    assert refused.status_code == 400
    assert "รหัสไม่ถูกต้อง (ลองได้อีก 4 ครั้ง)" in refused.content.decode()
    assert "sms" not in next_addresses(me)

    done = client.post(asked["Location"], {"code": code_of(verification)})
    assert done.status_code == 302 and done["Location"] == "/account/contact/"
    assert next_addresses(me)["sms"] == "0812345678"


def test_a_malformed_number_is_refused_on_the_page() -> None:
    client = Client()
    client.force_login(ApplicantFactory())
    response = client.post("/account/contact/change/", {"medium": "mobile", "value": "12345"})
    assert response.status_code == 400
    assert not ContactVerification.objects.exists()


def test_retention_deletes_used_and_expired_codes_only() -> None:
    me = ApplicantFactory()
    used = services.start_verification(me, "email", "a@example.test")
    services.confirm_code(me, used.public_id, code_of(used))
    pending = services.start_verification(me, "mobile", "0812345678")
    later = timezone.now() + dt.timedelta(days=31)
    ContactVerification.objects.filter(pk=pending.pk).update(expires_at=later)

    done = {r.rule: r.count for r in privacy.apply_retention(now=later)}

    assert done["contact_codes"] == 1
    assert list(ContactVerification.objects.all()) == [pending]


# --- Templates -----------------------------------------------------------------------


def template_form(**changes: str) -> MessageTemplateForm:
    data = {
        "key": "status_changed",
        "audience": "applicant",
        "channel": "email",
        "language": "en",  # the Thai rows are seeded by migrate
        "subject": "คำขอ {{ application.reference }}",
        "body": "สถานะใหม่: {{ status_th }}",
        **changes,
    }
    return MessageTemplateForm(data=data)


def test_a_template_that_renders_is_accepted() -> None:
    form = template_form()
    assert form.is_valid(), form.errors
    form.save()


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"body": "สถานะ {% if status_th %}ค้าง"}, "เขียนไม่ถูกไวยากรณ์"),
        ({"body": "เรียน {{ no_such_thing }}"}, "ใช้ตัวแปรที่ข้อความนี้ไม่มี: no_such_thing"),
        ({"subject": "{{ application.nickname }}"}, "ใช้ตัวแปรที่ข้อความนี้ไม่มี: application.nickname"),
        ({"body": "{% include 'base.html' %}"}, "แสดงผลไม่ได้"),
        ({"channel": "sms", "body": "ก" * 400}, "SMS ยาวเกิน 335 ตัวอักษร (400)"),
        ({"subject": "", "body": "ข้อความ"}, "อีเมลต้องมีหัวเรื่อง"),
        ({"key": "no.such.message"}, "ไม่รู้จักข้อความ 'no.such.message'"),
    ],
)
def test_a_template_that_fails_to_render_is_refused_with_the_error(
    changes: dict[str, str], shown: str
) -> None:
    form = template_form(**changes)
    assert not form.is_valid()
    assert shown in " ".join(form.non_field_errors())


def test_the_admin_shows_the_error_and_keeps_the_old_text(admin_client: Client) -> None:
    from bizportal.notifications.models import MessageTemplate

    row = MessageTemplate.objects.get(
        key="status_changed", audience="applicant", channel="email", language="th"
    )
    before = row.body
    response = admin_client.post(
        f"/admin/notifications/messagetemplate/{row.pk}/change/",
        {
            "key": row.key,
            "audience": row.audience,
            "channel": row.channel,
            "language": row.language,
            "subject": row.subject,
            "body": "เรียน {{ applicant_nickname }}",
        },
    )
    assert response.status_code == 200
    assert "applicant_nickname" in response.content.decode()
    row.refresh_from_db()
    assert row.body == before


# --- Officers ------------------------------------------------------------------------


def test_officers_of_the_agency_are_told_in_their_inbox_of_new_work(
    django_capture_on_commit_callbacks: Any,
) -> None:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency)
    supervisor = OfficerFactory(agency=service.agency, roles=[StaffRole.AGENCY_SUPERVISOR])
    elsewhere = OfficerFactory()

    with django_capture_on_commit_callbacks(execute=True):  # the outbox's relay
        application = journeys.submitted(service, ApplicantFactory())

    assert application.reference
    for person in (officer, supervisor):
        (message,) = InboxMessage.objects.filter(user=person)
        assert application.reference in message.subject + message.body
        assert str(application.public_id) in message.link
        assert message.link.startswith(
            f"http://testserver/backoffice/applications/{application.public_id}"
        )
    assert not InboxMessage.objects.filter(user=elsewhere).exists()
    assert Notification.objects.filter(key="officer.worklist_new", user=officer).count() == 1


# --- LINE ----------------------------------------------------------------------------


def test_line_is_linked_through_line_login_and_then_chosen() -> None:
    me = ApplicantFactory()
    client = Client()
    client.force_login(me)

    to_line = client.post("/account/contact/line/")
    assert to_line.status_code == 302
    login = urlsplit(to_line["Location"])
    assert login.path == "/sandbox/line/login"
    query = {k: v[0] for k, v in parse_qs(login.query).items()}
    assert query["redirect_uri"] == "http://testserver/account/contact/line/callback/"
    assert client.get(to_line["Location"]).status_code == 200

    allowed = client.post("/sandbox/line/login", query)
    assert allowed.status_code == 302
    back = client.get(allowed["Location"])
    assert back.status_code == 302 and back["Location"] == "/account/contact/"

    pref = ContactPreference.objects.get(user=me)
    assert re.fullmatch(r"U[0-9a-f]{32}", pref.line_user_id) and pref.line_linked_at
    assert "line" not in next_addresses(me)  # linked, not yet chosen
    pref.channels = {"status": ["inbox", "line"]}
    pref.save()
    assert next_addresses(me)["line"] == pref.line_user_id

    assert client.post("/account/contact/line/unlink/").status_code == 302
    assert "line" not in next_addresses(me)


def test_a_forged_or_replayed_line_answer_links_nothing() -> None:
    me = ApplicantFactory()
    client = Client()
    client.force_login(me)
    to_line = client.post("/account/contact/line/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(to_line["Location"]).query).items()}
    allowed = client.post("/sandbox/line/login", query)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(allowed["Location"]).query).items()}

    forged = {**answer, "user_id": "U" + "0" * 32}
    assert client.get("/account/contact/line/callback/", forged).status_code == 302
    assert not ContactPreference.objects.filter(user=me).exclude(line_user_id="").exists()
    # The state was used up by the forged attempt: the genuine answer is now stale.
    assert client.get("/account/contact/line/callback/", answer).status_code == 302
    assert not ContactPreference.objects.filter(user=me).exclude(line_user_id="").exists()

    stranger = Client()
    stranger.force_login(ApplicantFactory())
    stranger.get("/account/contact/line/callback/", answer)  # no state in their session
    assert not ContactPreference.objects.exclude(line_user_id="").exists()
