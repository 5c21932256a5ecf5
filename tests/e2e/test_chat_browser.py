"""A live chat in Chromium over a real WebSocket: the ASGI application served by daphne
(in a child process on the test database), an officer online at the chat desk, a person
who waits, is picked up, and the two exchange lines that appear without reloading."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from channels.testing.live import make_application
from daphne.testing import DaphneProcess
from django.conf import settings as django_settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from django.test import Client
from playwright.sync_api import expect

from bizportal.contact.models import ContactEntry
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any) -> Iterator[str]:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    for connection in connections.all():
        connection.close()  # the child opens its own
    server = DaphneProcess(
        "127.0.0.1", partial(make_application, static_wrapper=ASGIStaticFilesHandler)
    )
    server.start()
    assert server.ready.wait(timeout=30), "daphne did not start"
    yield f"127.0.0.1:{server.port.value}"
    server.terminate()
    server.join()


def signed_in(browser: Any, user: Any, host: str) -> Any:
    client = Client()
    client.force_login(user)  # staff: with the second factor passed (tests/conftest.py)
    context = browser.new_context(locale="en-GB")
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": f"http://{host}/"}]
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def test_a_chat_with_an_online_officer(asgi_server: str, browser: Any) -> None:
    service = ServiceFactory()
    officer_account = OfficerFactory(agency=service.agency, full_name_th="สมชาย ใจดี")
    person_account = ApplicantFactory()
    base = f"http://{asgi_server}"

    officer = signed_in(browser, officer_account, asgi_server)
    officer.goto(base + "/backoffice/chat/")
    officer.get_by_role("button", name="Available for chats").click()
    expect(officer.locator("[data-available]")).to_have_attribute("data-available", "yes")

    person = signed_in(browser, person_account, asgi_server)
    person.goto(base + "/contact/chat/")
    person.get_by_label("Service").select_option(service.slug)
    person.get_by_label("What it is about").fill("Which documents?")
    person.get_by_role("button", name="Start the chat").click()
    expect(person.locator("[data-value=position]")).to_have_text("1")

    officer.goto(base + "/backoffice/chat/")
    officer.get_by_role("button", name="Pick up the next chat").click()
    # Pushed to the person's page: picked up, with the officer's name.
    expect(person.locator(".chat-status")).to_have_attribute("data-status", "active")
    expect(person.locator("[data-value=officer]")).to_have_text("สมชาย ใจดี")

    person.get_by_label("Message").fill("Do I need a copy of my ID card?")
    person.get_by_role("button", name="Send", exact=True).click()
    expect(officer.locator(".chat-thread")).to_contain_text("Do I need a copy of my ID card?")
    officer.get_by_label("Message").fill("Yes, one copy.")
    officer.get_by_role("button", name="Send", exact=True).click()
    expect(person.locator(".chat-thread")).to_contain_text("Yes, one copy.")

    # Too long: refused over the socket in both languages, nothing shown as sent.
    person.get_by_label("Message").fill("x" * 1001)
    person.get_by_role("button", name="Send", exact=True).click()
    expect(person.locator(".chat-error")).to_contain_text("longer than 1,000 characters")

    officer.get_by_role("button", name="End the chat").click()
    expect(person.locator(".chat-status")).to_have_attribute("data-status", "ended")
    entry = ContactEntry.objects.get(channel="chat")
    assert "Yes, one copy." in entry.summary
