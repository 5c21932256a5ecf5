"""Accounts proved by several providers: links, and conflicts held for review.

Service-level: the claims are what a provider plugin's ``finish`` returns after the
protocol checks (tested over HTTP in test_providers.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from bizportal.core.models import AuditEvent
from bizportal.identity import services
from bizportal.identity.models import IdentityConflict, IdentityLink, StaffRole, User
from bizportal.identity.providers import SignInError
from bizportal.registries.client import PersonRecord
from tests.factories import OfficerFactory, StaffFactory

pytestmark = pytest.mark.django_db

PID = "3101700123452"
RECORD = PersonRecord(PID, "นาง", "สมศรี", "ใจดี", "Mrs", "Somsri", "Jaidee", dt.date(1978, 4, 12))


def claims(sub: str = "sub-dgid", **more: Any) -> dict[str, Any]:
    return {
        "sub": sub,
        "pid": PID,
        "person_kind": "thai",
        "name": "นางสมศรี ใจดี",
        "given_name": "สมศรี",
        "family_name": "ใจดี",
        "ial": "2.3",
        "aal": 1,
        **more,
    }


def sign_in(provider: str, **more: Any) -> User:
    return services.sign_in_with_digital_id(claims(**more), RECORD, provider=provider)


def admin() -> User:
    return StaffFactory(roles=[StaffRole.PLATFORM_ADMIN])


def test_each_provider_that_proves_the_account_is_linked() -> None:
    user = sign_in("digital_id")
    again = sign_in("thaid", sub="sub-thaid", birthdate="1978-04-12", acr="thaid:face")

    assert again == user
    links = {link.provider: link for link in IdentityLink.objects.filter(account=user)}
    assert set(links) == {"digital_id", "thaid"}
    assert links["thaid"].subject == "sub-thaid"
    assert links["thaid"].claims == {
        "given_name": "สมศรี",
        "family_name": "ใจดี",
        "birthdate": "1978-04-12",
    }
    first = links["digital_id"].first_signed_in_at
    sign_in("digital_id")
    link = IdentityLink.objects.get(account=user, provider="digital_id")
    assert link.first_signed_in_at == first and link.last_signed_in_at > first


def test_a_provider_contradicting_another_is_held_for_review_not_merged() -> None:
    user = sign_in("thaid", sub="sub-thaid", birthdate="1978-04-12")

    with pytest.raises(SignInError) as refused:
        sign_in("digital_id", family_name="ใจร้าย", birthdate="1979-01-01")

    assert refused.value.code == "identity_conflict"
    assert refused.value.status == 409
    user.refresh_from_db()
    assert user.last_name == "ใจดี"  # nothing merged
    assert not IdentityLink.objects.filter(provider="digital_id").exists()
    conflict = IdentityConflict.objects.get()
    assert (conflict.account, conflict.provider, conflict.known_provider) == (
        user,
        "digital_id",
        "thaid",
    )
    assert conflict.differs == ["birthdate", "family_name"]
    assert conflict.status == IdentityConflict.Status.OPEN
    event = AuditEvent.objects.get(action="identity.conflict_held")
    assert event.data["differs"] == ["birthdate", "family_name"]
    assert "ใจร้าย" not in str(event.data)  # the names of the claims, not the values

    # Trying again keeps one case open, and is refused again.
    with pytest.raises(SignInError):
        sign_in("digital_id", family_name="ใจร้าย")
    assert IdentityConflict.objects.count() == 1


def test_accepting_a_conflict_links_the_provider() -> None:
    sign_in("thaid", sub="sub-thaid")
    with pytest.raises(SignInError):
        sign_in("digital_id", family_name="ใจร้าย")
    conflict = IdentityConflict.objects.get()

    services.resolve_identity_conflict(conflict, admin(), accept=True)

    conflict.refresh_from_db()
    assert conflict.status == IdentityConflict.Status.ACCEPTED
    user = sign_in("digital_id", family_name="ใจร้าย")
    assert IdentityLink.objects.filter(account=user, provider="digital_id").exists()
    assert AuditEvent.objects.filter(action="identity.conflict_resolved").count() == 1
    with pytest.raises(ValidationError):
        services.resolve_identity_conflict(conflict, admin(), accept=False)


def test_rejecting_a_conflict_keeps_the_provider_refused() -> None:
    sign_in("thaid", sub="sub-thaid")
    with pytest.raises(SignInError):
        sign_in("digital_id", family_name="ใจร้าย")
    services.resolve_identity_conflict(IdentityConflict.objects.get(), admin(), accept=False)

    with pytest.raises(SignInError) as refused:
        sign_in("digital_id", family_name="ใจร้าย")

    assert refused.value.code == "identity_conflict_rejected"
    assert IdentityConflict.objects.count() == 1


def test_only_platform_administrators_decide_conflicts() -> None:
    sign_in("thaid", sub="sub-thaid")
    with pytest.raises(SignInError):
        sign_in("digital_id", family_name="ใจร้าย")
    officer = OfficerFactory()

    with pytest.raises(services.PartyError):
        services.resolve_identity_conflict(IdentityConflict.objects.get(), officer, accept=True)
    assert IdentityConflict.objects.get().status == IdentityConflict.Status.OPEN


def test_the_same_provider_identity_cannot_prove_two_accounts() -> None:
    sign_in("digital_id")
    other = PersonRecord("1101700234568", "นาย", "ก", "ข", "Mr", "A", "B", None)
    with pytest.raises(SignInError) as refused:
        services.sign_in_with_digital_id(claims(pid="1101700234568"), other, provider="digital_id")
    assert refused.value.code == "link_other_account"
    assert not User.objects.filter(citizen_id="1101700234568").exists()
