"""State changes at the sandbox provider: sign-ins, second factors, codes, tokens and
sign-outs, each audited.

The provider plays another organisation, so its audit events carry the actor label
``sandbox_idp`` rather than a portal user.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from bizportal.core import audit

from . import totp
from .flavours import ALL_SCOPES, DIGITAL_ID_SCOPES, current
from .models import (
    REMOTE_PROOFING_MAX_IAL,
    AccessToken,
    AuthorizationCode,
    OtpFailure,
    PersonKind,
    SandboxIdentity,
    ial_rank,
)

ACTOR = "sandbox_idp"

#: Digital ID's claims per scope (ThaID's are in :mod:`.flavours`).
SCOPE_CLAIMS = DIGITAL_ID_SCOPES
#: Every scope either flavour knows; what a client gets is its flavour's (``server``).
SUPPORTED_SCOPES = ALL_SCOPES

#: At most this many wrong TOTP codes per identity in ``OTP_WINDOW``: six digits give a
#: guesser 3 in a million per try (three time steps are accepted), so this keeps a
#: month of guessing below a 1 % chance.
OTP_MAX_FAILURES = 5
OTP_WINDOW = dt.timedelta(minutes=5)

#: A refresh token, and every token rotated from it, ends this long after the sign-in.
REFRESH_TOKEN_LIFETIME = 8 * 3600

# Compared against when the citizen ID is unknown, so a wrong ID costs as much time as
# a wrong password and does not reveal who is registered.
_DUMMY_HASH = make_password("sandbox-idp-timing-equaliser")


def find_identity(login: str) -> SandboxIdentity | None:
    """The active identity a sign-in name points at: a 13-digit ID (Thai citizen, or a
    foreign national who has one) or a foreign national's passport number, any case."""
    compact = re.sub(r"[\s-]", "", login or "").upper()
    if not compact:
        return None
    people = SandboxIdentity.objects.filter(is_active=True)
    if re.fullmatch(r"[0-9]{13}", compact):
        return people.filter(citizen_id=compact).first()
    return people.filter(person_kind=PersonKind.FOREIGN, passport_no=compact).first()


class LockedOut(Exception):
    """Too many wrong passwords for this sign-in name: refused without checking the
    password until the cool-off ends (django-axes, as for the staff sign-in)."""


def lockout_name(login: str) -> str:
    """The name django-axes counts failures under: prefixed, so that a citizen ID here
    and a staff user name at the portal never share a count
    (``manage.py axes_reset_username idp:3101700123452`` unlocks one)."""
    return "idp:" + (re.sub(r"[\s-]", "", login or "").upper()[:24] or "-")


def authenticate(
    login: str, password: str, *, request: HttpRequest | None = None
) -> SandboxIdentity | None:
    """The active identity with this citizen ID or passport number and password, or None.

    The attempt is audited either way: failed sign-ins at an identity provider are
    what an incident responder looks for first. With the ``request``, wrong passwords
    are counted by django-axes and a locked name raises :class:`LockedOut` before the
    password is even compared (so a right password does not get through a lockout).
    """
    credentials = {"username": lockout_name(login)}
    if request is not None and not AxesProxyHandler.is_allowed(request, credentials):
        with transaction.atomic():
            audit.record(
                "sign_in.locked_out",
                ("sandbox_idp.sandboxidentity", credentials["username"]),
                actor_label=ACTOR,
            )
        raise LockedOut(credentials["username"])
    identity = find_identity(login)
    if identity is None:
        SandboxIdentity(password=_DUMMY_HASH).check_password(password)
        ok = False
    else:
        ok = identity.check_password(password)
    with transaction.atomic():
        if ok and identity is not None:
            audit.record("sandbox_idp.signed_in", identity, actor_label=ACTOR, amr=["pwd"], aal="1")
            if request is not None:
                AxesProxyHandler.reset_attempts(username=credentials["username"])
            return identity
        audit.record(
            "sandbox_idp.sign_in_failed",
            ("sandbox_idp.sandboxidentity", re.sub(r"[\s-]", "", login or "")[:20] or "-"),
            actor_label=ACTOR,
        )
    if request is not None:
        # Counts the failure; at the limit it marks the request locked out, and the
        # axes middleware answers with the lockout page.
        AxesProxyHandler.user_login_failed(ACTOR, credentials, request)
    return None


class OtpOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    REPLAYED = "replayed"
    RATE_LIMITED = "rate_limited"


@transaction.atomic
def verify_second_factor(
    identity: SandboxIdentity, code: str, *, enrol_secret: str = ""
) -> OtpOutcome:
    """Check a TOTP code for a sign-in at AAL2; with ``enrol_secret`` (shown to a person
    who has no TOTP yet), a correct code also keeps that secret as theirs.

    The identity row is locked, so two attempts at once are counted and checked one
    after the other: the rate limit cannot be raced, and of two submissions of one code
    only the first counts. A code is accepted only for a time step later than the last
    one accepted (RFC 6238 §5.2).
    """
    person = SandboxIdentity.objects.select_for_update().get(pk=identity.pk)
    failures = OtpFailure.objects.filter(identity=person, at__gte=timezone.now() - OTP_WINDOW)
    if failures.count() >= OTP_MAX_FAILURES:
        audit.record("sandbox_idp.otp_refused", person, actor_label=ACTOR, reason="rate_limited")
        return OtpOutcome.RATE_LIMITED
    # An enrolment finished elsewhere in the meantime wins: a candidate secret never
    # replaces a secret that is already in place.
    enrolling = not person.totp_secret and bool(enrol_secret)
    secret = person.totp_secret or enrol_secret
    step = totp.matching_step(secret, code)
    if step is None or step <= person.totp_last_counter:
        outcome = OtpOutcome.WRONG if step is None else OtpOutcome.REPLAYED
        OtpFailure.objects.create(identity=person, reason=outcome.value)
        audit.record("sandbox_idp.otp_refused", person, actor_label=ACTOR, reason=outcome.value)
        return outcome
    person.totp_last_counter = step
    fields = ["totp_last_counter"]
    if enrolling:
        person.totp_secret = secret
        fields.append("totp_secret")
    person.save(update_fields=fields)
    if enrolling:
        audit.record("sandbox_idp.otp_enrolled", person, actor_label=ACTOR)
    audit.record("sandbox_idp.signed_in", person, actor_label=ACTOR, amr=["pwd", "otp"], aal="2")
    identity.totp_secret, identity.totp_last_counter = person.totp_secret, step
    return OtpOutcome.OK


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
    sid: str = "",
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
        sid=sid,
    )
    audit.record(
        "sandbox_idp.code_issued",
        identity,
        actor_label=ACTOR,
        client_id=client_id,
        scope=scope,
        aal=aal,
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
    """Keep an issued access token (and its refresh token, the first of a new family)
    so the userinfo and token endpoints can honour them."""
    now = int(time.time())
    item = AccessToken.objects.create(
        access_token=token["access_token"],
        token_type=token.get("token_type", "Bearer"),
        client_id=client_id,
        identity=code.identity,
        code=code,
        scope=token.get("scope", ""),
        aal=code.aal,
        issued_at=now,
        expires_in=int(token.get("expires_in", 3600)),
        refresh_token=token.get("refresh_token") or None,
        refresh_expires_at=now + REFRESH_TOKEN_LIFETIME if token.get("refresh_token") else None,
        family=uuid.uuid4(),
    )
    audit.record(
        "sandbox_idp.token_issued",
        code.identity,
        actor_label=ACTOR,
        client_id=client_id,
        scope=item.scope,
        refresh_token=bool(item.refresh_token),
    )
    return item


@transaction.atomic
def save_refreshed_token(
    token: dict[str, Any], *, client_id: str, parent: AccessToken
) -> AccessToken:
    """Keep a token issued for a refresh token: same person, family, sign-in (code) and
    AAL as its parent, since no one authenticated again; the family's end stays put."""
    item = AccessToken.objects.create(
        access_token=token["access_token"],
        token_type=token.get("token_type", "Bearer"),
        client_id=client_id,
        identity=parent.identity,
        code=parent.code,
        scope=token.get("scope", "") or parent.scope,
        aal=parent.aal,
        issued_at=int(time.time()),
        expires_in=int(token.get("expires_in", 3600)),
        refresh_token=token.get("refresh_token") or None,
        refresh_expires_at=parent.refresh_expires_at,
        family=parent.family,
    )
    audit.record(
        "sandbox_idp.token_refreshed",
        parent.identity,
        actor_label=ACTOR,
        client_id=client_id,
        family=str(parent.family),
    )
    return item


@transaction.atomic
def rotate_refresh_token(item: AccessToken) -> bool:
    """Mark the refresh token used; False if it already was, which then revokes its
    family (two parties hold it: the client and whoever copied it).

    A conditional UPDATE, as for codes, so two refresh requests racing with one token
    cannot both win.
    """
    claimed = AccessToken.objects.filter(pk=item.pk, refresh_rotated_at__isnull=True).update(
        refresh_rotated_at=timezone.now()
    )
    if claimed:
        return True
    revoke_family(item, reason="refresh_token_replayed")
    return False


@transaction.atomic
def revoke_family(item: AccessToken, *, reason: str) -> int:
    """Revoke every access and refresh token descended from the same sign-in."""
    count = AccessToken.objects.filter(family=item.family, revoked=False).update(revoked=True)
    audit.record(
        "sandbox_idp.token_family_revoked",
        item.identity,
        actor_label=ACTOR,
        client_id=item.client_id,
        family=str(item.family),
        reason=reason,
        tokens_revoked=count,
    )
    return count


@transaction.atomic
def record_sign_out(
    identity: SandboxIdentity | None, *, sids: Iterable[str], via: str, **details: Any
) -> int:
    """A provider session ended: revoke the tokens issued under it and audit the sign-out.

    Why revoke: after the person signs out here, a relying party holding a refresh
    token from that sign-in must not keep the person's session alive on its own.
    Returns how many tokens were revoked.
    """
    wanted = sorted({sid for sid in sids if sid})
    count = 0
    if wanted:
        count = AccessToken.objects.filter(code__sid__in=wanted, revoked=False).update(revoked=True)
    audit.record(
        "sandbox_idp.signed_out",
        identity if identity is not None else ("sandbox_idp.session", "-"),
        actor_label=ACTOR,
        via=via,
        tokens_revoked=count,
        **details,
    )
    return count


@transaction.atomic
def record_end_session_refused(
    identity: SandboxIdentity | None, *, reason: str, client_id: str = ""
) -> None:
    """An end-session request we did not act on: logged, because forged sign-out
    requests (logout CSRF) are something to notice."""
    audit.record(
        "sandbox_idp.end_session_refused",
        identity if identity is not None else ("sandbox_idp.session", "-"),
        actor_label=ACTOR,
        reason=reason,
        client_id=client_id,
    )


def claims_for(identity: SandboxIdentity, scope: str) -> dict[str, Any]:
    """The person's claims that the granted ``scope`` releases, as the flavour answering
    names them (no state change).

    Empty values are left out: a foreign national without a Thai ID gets no ``pid``,
    one without a Thai-script name no ``name``; Thais get no passport claims.
    """
    available: dict[str, Any] = {
        "sub": str(identity.subject),
        "pid": identity.citizen_id,
        "person_kind": identity.person_kind,
        "passport_no": identity.passport_no if identity.is_foreign else "",
        "nationality": identity.nationality,
        "name": identity.name_th,
        "given_name": identity.given_name_th,
        "family_name": identity.family_name_th,
        "name_en": identity.name_en,
        "given_name_en": identity.given_name_en,
        "family_name_en": identity.family_name_en,
        "email": identity.email,
        "email_verified": bool(identity.email),
        "birthdate": identity.birth_date.isoformat() if identity.birth_date else "",
        "ial": identity.ial,
    }
    scopes = current().scopes
    released: set[str] = set(scopes["openid"])
    for part in (scope or "").split():
        released.update(scopes.get(part, ()))
    return {k: v for k, v in available.items() if k in released and v not in ("", None)}


@transaction.atomic
def prove_remotely(identity: SandboxIdentity, ial: str) -> SandboxIdentity:
    """A relying party asked for a higher IAL and the person passed the remote proofing
    step (face compared with the ID card's photo): the identity is raised to ``ial``,
    at most :data:`REMOTE_PROOFING_MAX_IAL`."""
    identity = SandboxIdentity.objects.select_for_update().get(pk=identity.pk)
    target = min(ial, REMOTE_PROOFING_MAX_IAL, key=ial_rank)
    before = identity.ial
    if ial_rank(target) > ial_rank(before):
        identity.ial = target
        identity.save(update_fields=["ial"])
    audit.record(
        "sandbox_idp.proofed_remotely",
        identity,
        actor_label=ACTOR,
        method="face_comparison",
        ial_before=before,
        ial=identity.ial,
    )
    return identity
