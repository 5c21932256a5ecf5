"""The portal works with no internet: every request a page makes goes to the portal itself.

The browser blocks every other host, so a CDN script, web font or API explorer asset would
fail to load and the check would fail (issue 15).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import Portal

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.xdist_group("browser")]


def test_swagger_and_pages_render_with_outbound_network_blocked(portal: Portal, browser) -> None:
    own_host = urlsplit(portal.url).netloc
    blocked: list[str] = []

    def only_the_portal(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context = browser.new_context(locale="en-GB")
    context.route("**/*", only_the_portal)
    page = context.new_page()
    page.set_default_timeout(30000)

    page.goto(portal.url + "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()

    for path in ("/", "/services/"):
        page.goto(portal.url + path)
        expect(page.locator("main h1").first).to_be_visible()
        fonts = page.evaluate("() => [...document.fonts].filter(f => f.status === 'error').length")
        assert fonts == 0

    context.close()
    assert blocked == []
