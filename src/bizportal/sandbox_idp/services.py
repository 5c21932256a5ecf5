"""State changes at the sandbox provider: sign-ins, codes and tokens, each audited.

The provider plays another organisation, so its audit events carry the actor label
``sandbox_idp`` rather than a portal user.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from stdnum.th import pin

from bizportal.core import audit

from .models import AccessToken, AuthorizationCode, SandboxIdentity

ACTOR = "sandbox_idp"

#: Claims released per scope. ``sub`` and the assurance claims are always released:
#: a relying party cannot judge a sign-in without them.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub", "ial"),
    "pid": ("pid",),
    "profile": ("name", "given_name", "family_name", "name_en", "given_name_en", "family_name_en"),
    "email": ("email", "email_verified"),
}
SUPPORTED_SCOPES = tuple(SCOPE_CLAIMS)

# Compared against when the citizen ID is unknown, so a wrong ID costs as much time as
# a wrong password and does not reveal who is registered.
_DUMMY_HASH = make_password("sandbox-idp-timing-equaliser")


def authenticate(citizen_id: str, password: str) -> SandboxIdentity | None:
    """The active identity with this citizen ID and password, or None.

    The attempt is audited either way: failed sign-ins at an identity provider are
    what an incident responder looks for first.
    """
    compact = pin.compact(citizen_id or "")
    identity = SandboxIdentity.objects.filter(citizen_id=compact, is_active=True).first()
    if identity is None:
        SandboxIdentity(password=_DUMMY_HASH).check_password(password)
        ok = False
    else:
        ok = identity.check_password(password)
    with transaction.atomic():
        if ok and identity is not None:
            audit.record("sandbox_idp.signed_in", identity, actor_label=ACTOR, amr=["pwd"])
            return identity
        audit.record(
            "sandbox_idp.sign_in_failed",
            ("sandbox_idp.sandboxidentity", compact[:13] or "-"),
            actor_label=ACTOR,
        )
    return None


@transaction.atomic
def issue_code(
    code: str,
    *,
    client_id: str,
    identity: SandboxIdentity,
    redirect_uri: str,
    scope: str,
    nonce: str,
    code_challenge: str,
    code_challenge_method: str,
    auth_time: int,
    aal: str,
) -> AuthorizationCode:
    """Store an authorization code for the token endpoint to redeem."""
    item = AuthorizationCode.objects.create(
        code=code,
        client_id=client_id,
        identity=identity,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        auth_time=auth_time,
        aal=aal,
    )
    audit.record(
        "sandbox_idp.code_issued", identity, actor_label=ACTOR, client_id=client_id, scope=scope
    )
    return item


@transaction.atomic
def redeem_code(item: AuthorizationCode) -> bool:
    """Mark the code used; False if it already was (a replay, or a race with one).

    The conditional UPDATE is what makes a code single-use even when two token
    requests arrive at the same moment.
    """
    claimed = AuthorizationCode.objects.filter(pk=item.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if claimed:
        return True
    revoke_tokens_of_replayed_code(item)
    return False


@transaction.atomic
def revoke_tokens_of_replayed_code(item: AuthorizationCode) -> int:
    """RFC 6749 §4.1.2: a replayed code SHOULD revoke the tokens issued for it."""
    count = AccessToken.objects.filter(code=item, revoked=False).update(revoked=True)
    audit.record(
        "sandbox_idp.code_replayed",
        item.identity,
        actor_label=ACTOR,
        client_id=item.client_id,
        tokens_revoked=count,
    )
    return count


@transaction.atomic
def save_token(token: dict[str, Any], *, client_id: str, code: AuthorizationCode) -> AccessToken:
    """Keep an issued access token so the userinfo endpoint can honour it."""
    item = AccessToken.objects.create(
        access_token=token["access_token"],
        token_type=token.get("token_type", "Bearer"),
        client_id=client_id,
        identity=code.identity,
        code=code,
        scope=token.get("scope", ""),
        aal=code.aal,
        issued_at=int(time.time()),
        expires_in=int(token.get("expires_in", 3600)),
    )
    audit.record(
        "sandbox_idp.token_issued",
        code.identity,
        actor_label=ACTOR,
        client_id=client_id,
        scope=item.scope,
    )
    return item


def claims_for(identity: SandboxIdentity, scope: str) -> dict[str, Any]:
    """The person's claims that the granted ``scope`` releases (no state change)."""
    available: dict[str, Any] = {
        "sub": str(identity.subject),
        "pid": identity.citizen_id,
        "name": identity.name_th,
        "given_name": identity.given_name_th,
        "family_name": identity.family_name_th,
        "name_en": identity.name_en,
        "given_name_en": identity.given_name_en,
        "family_name_en": identity.family_name_en,
        "email": identity.email,
        "email_verified": bool(identity.email),
        "ial": identity.ial,
    }
    released: set[str] = set(SCOPE_CLAIMS["openid"])
    for part in (scope or "").split():
        released.update(SCOPE_CLAIMS.get(part, ()))
    return {k: v for k, v in available.items() if k in released and v not in ("", None)}
