"""The chat's WebSockets through the real ASGI application (session cookie, origin
check, routing): the person and the officer exchange lines live; anonymous people,
strangers and officers of other agencies are refused at the handshake; bad input comes
back as a bilingual error with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from bizportal.asgi import application
from bizportal.contact import chat
from bizportal.contact.models import ChatMessage
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

# The sockets reach the database from their own threads (channels closes connections
# between calls), so these tests commit, as a server would.
pytestmark = pytest.mark.django_db(transaction=True)


def headers(user: Any = None) -> list[tuple[bytes, bytes]]:
    sent = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        client = Client()
        client.force_login(user)  # staff: with the second factor passed (conftest)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        sent.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return sent


def socket(path: str, sent: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=sent)


def started() -> tuple[Any, Any, Any]:
    service = ServiceFactory()
    officer = OfficerFactory(agency=service.agency, full_name_th="สมชาย ใจดี")
    person = ApplicantFactory()
    chat.mark_available(officer)
    return chat.start(person, topic="สอบถามเอกสาร", service=service), person, officer


def test_the_person_and_the_officer_chat_live() -> None:
    session, person, officer = started()
    as_person, as_officer = headers(person), headers(officer)

    async def run() -> None:
        desk = socket("/ws/chat/desk/", as_officer)
        assert (await desk.connect())[0]
        assert (await desk.receive_json_from(timeout=5)) == {"waiting": 1}

        mine = socket(f"/ws/chat/{session.public_id}/", as_person)
        assert (await mine.connect())[0]
        first = await mine.receive_json_from(timeout=5)
        assert (first["status"], first["position"]) == ("waiting", 1)

        await async_pick_up(officer)
        assert (await desk.receive_json_from(timeout=5)) == {"waiting": 0}
        picked = await mine.receive_json_from(timeout=5)
        assert picked["status"] == "active"
        assert picked["officer"] == "สมชาย ใจดี"

        theirs = socket(f"/ws/chat/{session.public_id}/", as_officer)
        assert (await theirs.connect())[0]
        await theirs.receive_json_from(timeout=5)

        await mine.send_json_to({"body": "ต้องใช้เอกสารอะไรบ้างครับ"})
        seen = await theirs.receive_json_from(timeout=5)
        assert [m["body"] for m in seen["messages"]] == ["ต้องใช้เอกสารอะไรบ้างครับ"]
        assert seen["messages"][0]["side"] == "person"

        await theirs.send_json_to({"body": "สำเนาบัตรประชาชนครับ"})
        while True:
            got = await mine.receive_json_from(timeout=5)
            if any(m["body"] == "สำเนาบัตรประชาชนครับ" for m in got["messages"]):
                break
        for ws in (desk, mine, theirs):
            await ws.disconnect()

    async_to_sync(run)()
    assert ChatMessage.objects.filter(session=session).exclude(side="system").count() == 2


async def async_pick_up(officer: Any) -> None:
    from channels.db import database_sync_to_async

    await database_sync_to_async(chat.pick_up_next)(officer)


@pytest.mark.parametrize("who", ["anonymous", "stranger", "other_agency"])
def test_nobody_else_connects_to_a_chat(who: str) -> None:
    session, _, _ = started()
    user = {
        "anonymous": None,
        "stranger": ApplicantFactory(),
        "other_agency": OfficerFactory(),
    }[who]
    sent = headers(user)

    async def run() -> None:
        ws = socket(f"/ws/chat/{session.public_id}/", sent)
        connected, code = await ws.connect()
        assert not connected
        assert code == 4403
        await ws.disconnect()

    async_to_sync(run)()


def test_an_applicant_has_no_chat_desk() -> None:
    sent = headers(ApplicantFactory())

    async def run() -> None:
        ws = socket("/ws/chat/desk/", sent)
        connected, _ = await ws.connect()
        assert not connected

    async_to_sync(run)()


def test_a_foreign_origin_is_refused() -> None:
    session, person, _ = started()
    sent = [(b"origin", b"https://evil.example"), *headers(person)[2:]]

    async def run() -> None:
        ws = WebsocketCommunicator(application, f"/ws/chat/{session.public_id}/", headers=sent)
        connected, _ = await ws.connect()
        assert not connected

    async_to_sync(run)()


@pytest.mark.parametrize(
    ("body", "language"), [("", "th"), ("ก" * (1 + 1000), "th"), ("ก" * (1 + 1000), "en")]
)
def test_bad_input_comes_back_as_an_error_in_the_sockets_language(
    body: str, language: str, settings: Any
) -> None:
    settings.CHAT_MAX_MESSAGE = 1000
    session, person, _ = started()
    sent = [*headers(person), (b"accept-language", language.encode())]

    async def run() -> dict[str, Any]:
        ws = socket(f"/ws/chat/{session.public_id}/", sent)
        assert (await ws.connect())[0]
        await ws.receive_json_from(timeout=5)
        await ws.send_json_to({"body": body})
        answer: dict[str, Any] = await ws.receive_json_from(timeout=5)
        await ws.disconnect()
        return answer

    answer = async_to_sync(run)()
    assert "error" in answer
    if language == "en":
        assert "The message is longer than 1,000 characters" in answer["error"]
    else:
        assert ("กรุณาพิมพ์ข้อความ" in answer["error"]) or ("ข้อความยาวเกิน" in answer["error"])
    assert not ChatMessage.objects.filter(session=session).exists()
