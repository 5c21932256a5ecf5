"""A live server with the Thai demo data, reached over real HTTP.

Every provider boundary (Digital ID, civil registry, bank) is crossed over HTTP on
this live server, exactly as in a deployment with external providers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests


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

    from bizportal.backoffice import demo as staff
    from bizportal.catalog import demo as catalog
    from bizportal.registries import demo as registries
    from bizportal.sandbox_idp import demo as idp

    catalog.seed()
    idp.seed()
    registries.seed()
    staff.seed()
    yield Portal(url)
