"""Identity rules that need no network: assurance levels, the provider registry,
and the demo identities."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from stdnum.th import pin

from bizportal.identity.providers import get_provider, providers
from bizportal.identity.services import meets_assurance
from bizportal.sandbox_idp import demo
from bizportal.sandbox_idp.models import SandboxIdentity


def person(ial: str) -> SimpleNamespace:
    return SimpleNamespace(identity_assurance=ial)


@pytest.mark.parametrize(
    ("have", "need", "ok"),
    [
        ("2.1", "2.1", True),
        ("2.3", "2.1", True),
        ("3", "2.3", True),
        ("1.3", "2.1", False),
        ("1.1", "1.2", False),
        ("2.2", "3", False),
        ("", "1.1", False),  # staff without a Digital ID sign-in
        ("2.1", "", True),  # the service needs no particular level
        ("3", "9.9", False),  # a typo in a requirement must not open a service
        ("IAL2.2", "2.1", True),
    ],
)
def test_identity_assurance_levels_are_ordered(have: str, need: str, ok: bool) -> None:
    assert meets_assurance(person(have), need) is ok


def test_the_configured_identity_provider_is_digital_id(settings) -> None:
    settings.IDENTITY_PROVIDER = "digital_id"
    assert get_provider().label_en == "Digital ID"
    assert "digital_id" in providers
    with pytest.raises(LookupError):
        get_provider("no-such-provider")


@pytest.mark.django_db
def test_demo_identities_are_seeded_idempotently_with_valid_citizen_ids() -> None:
    first = demo.seed()
    demo.seed()
    assert len(first) >= 3
    assert SandboxIdentity.objects.count() == len(demo.DEMO_IDENTITIES)
    for entry in first:
        assert pin.is_valid(entry.citizen_id)
        identity = SandboxIdentity.objects.get(citizen_id=entry.citizen_id)
        assert identity.check_password("demo1234")
        assert identity.name_th == entry.name_th
