"""Refresh tokens: issued with the code, single use (rotated), bound to the client,
and a replay of a rotated token revokes everything issued from that sign-in."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from bizportal.core.models import AuditEvent
from bizportal.sandbox_idp.demo import DEMO_TOTP_SECRET
from bizportal.sandbox_idp.models import AccessToken
from tests.sandbox_idp.helpers import (
    AAL2,
    CLIENT_ID,
    CLIENT_SECRET,
    Live,
    provider_sign_in,
    userinfo,
)

pytestmark = pytest.mark.live


def refresh(
    live: Live,
    refresh_token: str,
    *,
    client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET),
    **extra: str,
) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return requests.post(live.issuer + "/token", data=data, auth=client)


def test_the_code_grant_issues_a_refresh_token_and_refreshing_rotates_it(live: Live) -> None:
    tokens = provider_sign_in(live)
    assert tokens["refresh_token"]

    answer = refresh(live, tokens["refresh_token"])

    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    fresh: dict[str, Any] = answer.json()
    assert fresh["token_type"].lower() == "bearer"
    assert fresh["refresh_token"] not in ("", tokens["refresh_token"])
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["scope"] == "openid pid profile email"
    info = userinfo(live, fresh["access_token"])
    assert info.status_code == 200
    assert info.json()["sub"]
    # The rotated token's child works in turn.
    assert refresh(live, fresh["refresh_token"]).status_code == 200
    families = set(AccessToken.objects.values_list("family", flat=True))
    assert len(families) == 1  # one sign-in, one family


def test_a_refreshed_token_keeps_the_aal_of_the_sign_in(live: Live) -> None:
    tokens = provider_sign_in(live, acr_values=AAL2, totp_secret=DEMO_TOTP_SECRET)

    fresh = refresh(live, tokens["refresh_token"]).json()

    info = userinfo(live, fresh["access_token"]).json()
    assert (info["aal"], info["amr"]) == ("2", ["pwd", "otp"])
    assert info["acr"].endswith(":aal:2")


def test_replaying_a_rotated_refresh_token_revokes_the_whole_family(live: Live) -> None:
    tokens = provider_sign_in(live)
    fresh = refresh(live, tokens["refresh_token"]).json()
    other_sign_in = provider_sign_in(live)

    replay = refresh(live, tokens["refresh_token"])

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(live, fresh["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(live, fresh["access_token"]).status_code == 401
    assert userinfo(live, tokens["access_token"]).status_code == 401
    # Another sign-in (another family) is not affected.
    assert userinfo(live, other_sign_in["access_token"]).status_code == 200
    assert refresh(live, other_sign_in["refresh_token"]).status_code == 200
    event = AuditEvent.objects.get(action="sandbox_idp.token_family_revoked")
    assert event.data["reason"] == "refresh_token_replayed"
    assert event.data["tokens_revoked"] == 2


def test_a_refresh_token_only_works_for_its_client(live: Live, settings: Any) -> None:
    tokens = provider_sign_in(live)
    settings.OIDC_CLIENT_ID = "another-portal"
    settings.OIDC_CLIENT_SECRET = "another-secret"

    answer = refresh(live, tokens["refresh_token"], client=("another-portal", "another-secret"))

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_refresh_needs_the_client_secret(live: Live) -> None:
    tokens = provider_sign_in(live)
    answer = refresh(live, tokens["refresh_token"], client=(CLIENT_ID, "guess"))
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert refresh(live, tokens["refresh_token"]).status_code == 200  # not used up


def test_a_refresh_cannot_widen_the_scope(live: Live) -> None:
    tokens = provider_sign_in(live, scope="openid profile")
    assert refresh(live, tokens["refresh_token"], scope="openid pid").json()["error"] == (
        "invalid_scope"
    )
    narrower = refresh(live, tokens["refresh_token"], scope="openid")
    assert narrower.status_code == 200
    assert "name" not in userinfo(live, narrower.json()["access_token"]).json()


def test_the_refresh_family_ends_with_the_sign_in(live: Live) -> None:
    tokens = provider_sign_in(live)
    AccessToken.objects.update(refresh_expires_at=int(time.time()) - 1)
    assert refresh(live, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_unknown_refresh_token_is_refused(live: Live) -> None:
    assert refresh(live, "made-up").json()["error"] == "invalid_grant"
