"""A live server with the Thai demo data, reached over real HTTP.

Every provider boundary (Digital ID, civil registry, bank) is crossed over HTTP on
this live server, exactly as in a deployment with external providers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

#: Demo loaders the live-server tests leave out (see ``portal``).
WITHOUT = frozenset({"journeys"})


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
    settings.CIVIL_REGISTRY_URL = f"{url}/sandbox/registries/civil"
    settings.JURISTIC_REGISTRY_URL = f"{url}/sandbox/registries/juristic"
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
