"""Fixtures: a fake portal and a sandbox agency started in-process on free ports.

No database: the agency is an outside system with its own SQLite file in tmp_path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bizportal.sandbox_agency.app import Agency
from bizportal.sandbox_agency.config import Config

from .helpers import CLIENT_ID, CLIENT_SECRET, FakePortal, PortalKey


@pytest.fixture
def key() -> PortalKey:
    return PortalKey()


@pytest.fixture
def portal(key: PortalKey) -> Iterator[FakePortal]:
    fake = FakePortal({"keys": [key.jwk()]}).start()
    yield fake
    fake.stop()


@pytest.fixture
def make_agency(portal: FakePortal, tmp_path: Path) -> Iterator[Callable[..., Agency]]:
    """Start an agency with fast timings; keyword arguments override the Config."""
    started: list[Agency] = []

    def make(**overrides: Any) -> Agency:
        config = Config(
            portal=portal.url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            db=tmp_path / f"agency-{len(started)}.sqlite3",
            port=0,
            delay=0.0,
            decide_interval=0.02,
            correction_every=0,
            batch_poll=0,
            retry_base=0.05,
            retry_max=0.2,
        )
        agency = Agency(dataclasses.replace(config, **overrides))
        agency.start()
        started.append(agency)
        return agency

    yield make
    for agency in started:
        agency.stop()


@pytest.fixture
def agency(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency()
