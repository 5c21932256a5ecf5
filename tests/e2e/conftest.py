"""A live server with the Thai demo data, reached over real HTTP.

Every provider boundary (Digital ID, civil registry, bank) is crossed over HTTP on
this live server, exactly as in a deployment with external providers.

Each xdist worker runs one live server. The HTTP journeys share the ``live`` group and
the Chromium journeys the ``browser`` group, so ``--dist loadgroup`` gives each group
to one worker and the two groups, the suite's longest, run side by side. The
PostgreSQL run of CI leaves the browser group out (marked ``database_neutral`` in
tests/conftest.py): what a page does in Chromium does not depend on the database, and
the HTTP journeys, which stay, cross the same views on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

#: Demo loaders the live-server tests leave out (see ``portal``). The privacy notices are
#: left out so the journeys are not interrupted by the acceptance page, which has its own
#: tests (tests/privacy/). The demo notifications (a verified mobile, messages of the
#: journeys delivered), payments (refunds, statements), the demo complaints and the demo
#: survey answers (to the journeys' invitations) belong to the journeys; the reports' year
#: of generated history would fill the lists the journeys look at.
WITHOUT = frozenset(
    {
        "journeys",
        "privacy",
        "agency-systems",
        "payments",
        "notifications",
        "contact",
        "survey-answers",
        "reports-history",
    }
)


@dataclass
class Portal:
    url: str

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Accept-Language"] = "th"
        return session


@pytest.fixture
def portal(live_server, settings, transactional_db) -> Iterator[Portal]:
    url = live_server.url
    settings.BASE_URL = url
    settings.OIDC_ISSUER = f"{url}/sandbox/idp"
    settings.THAID_ISSUER = f"{url}/sandbox/thaid"
    settings.NDID_NODE_URL = f"{url}/sandbox/ndid"
    # Journeys sign in through /auth/login/, straight to Digital ID when it is the only
    # provider; the tests of the providers side by side enable the others themselves.
    settings.IDENTITY_PROVIDERS = ["digital_id"]
    settings.CIVIL_REGISTRY_URL = f"{url}/sandbox/registries/civil"
    settings.CARD_READER_URL = f"{url}/sandbox/card-reader"
    settings.JURISTIC_REGISTRY_URL = f"{url}/sandbox/registries/juristic"
    settings.REVENUE_REGISTRY_URL = f"{url}/sandbox/registries/revenue"
    settings.DIW_REGISTRY_URL = f"{url}/sandbox/registries/diw"
    settings.PAYMENT_SANDBOX_URL = f"{url}/sandbox/bank"
    settings.ALLOWED_HOSTS = ["*"]

    from bizportal.core import demo

    # Every app's demo loader in its order (catalogue first, then people), as
    # ``manage.py load_demo`` runs them, except the demo journeys: the journeys here
    # start from a clean slate for the demo people, so they can assert on what they did.
    for name, load in demo.loaders():
        if name not in WITHOUT:
            load()
    yield Portal(url)


def staff_totp_code() -> str:
    """The current code of the demo staff's TOTP secret (what their app would show)."""
    import pyotp

    from bizportal.backoffice.demo import STAFF_TOTP_SECRET

    return str(pyotp.TOTP(STAFF_TOTP_SECRET).now())


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs its own event loop; Django must allow ORM use here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()
