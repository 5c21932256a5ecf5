"""Demo data: every app's loader, in order, idempotent, and the logins printed."""

from __future__ import annotations

import pytest

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.catalog.models import Service
from bizportal.core import demo
from bizportal.identity.models import User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import WITHOUT


def test_the_catalogue_loads_before_the_people_who_need_it() -> None:
    names = [name for name, _ in demo.loaders()]
    assert {"catalog", "sandbox_idp", "registries", "backoffice"} <= set(names)
    # Officers belong to the agencies of the catalogue.
    assert names.index("catalog") < names.index("backoffice")


def test_a_loader_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):
        demo.loader("catalog", order=99)(lambda: [])


@pytest.mark.django_db
def test_the_people_and_catalogue_loaders_print_logins_and_change_nothing_when_rerun() -> None:
    """What the live-server tests seed (every loader but the demo journeys, which
    ``tests/e2e/conftest.py`` leaves out so the journeys there start from a clean slate)."""
    base = [(name, load) for name, load in demo.loaders() if name not in WITHOUT]
    logins = [login for _, load in base for login in load()]
    counts = (Service.objects.count(), User.objects.count())
    again = [login for _, load in base for login in load()]
    assert (Service.objects.count(), User.objects.count()) == counts == (5, 6)
    assert logins == again
    shown = {(login.login, login.password) for login in again}
    assert ("officer.bma", OFFICER_PASSWORD) in shown
    assert (DEMO_IDENTITIES[0].citizen_id, DEMO_IDENTITIES[0].password) in shown
    officer = User.objects.get(username="officer.bma")
    assert officer.agency is not None and officer.agency.code == "bma"
    assert officer.check_password(OFFICER_PASSWORD)
