"""State changes of the federation app: clients' system users, approvals, revocations,
used client assertions and the access tokens the portal signs.

Every change is audited; approvals record system, vendor and company so the company's
data tracker lists them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError

from bizportal.catalog.models import Service
from bizportal.core import audit, authz
from bizportal.identity.acting import Acting, audit_fields
from bizportal.identity.models import ClientRepresentation, MandateAction, Party, User

from . import keys
from .models import TOKEN_EXCHANGE, FederatedClient, IssuedToken, SystemUserApproval, UsedAssertion

#: Machine tokens are short: a revoked approval also stops them at the next request,
#: but a stolen token should not outlive a working day's batch either.
MACHINE_TOKEN_LIFETIME = 600
AUTHORIZATION_DETAILS_TYPE = "urn:th:bizportal:system_user"


def issuer() -> str:
    return settings.BASE_URL


def api_audience() -> str:
    """The ``aud`` of access tokens for the portal API."""
    return settings.BASE_URL + "/api/v1/"


@transaction.atomic
def save_client(client: FederatedClient, *, actor: Any) -> FederatedClient:
    """Register or change a client; a vendor system gets its system-user account."""
    authz.require(actor, "federation.manage_client", client, hide=False)
    client.full_clean()
    created = client.pk is None
    client.save()
    _ensure_system_user(client)
    audit.record(
        "federation.client_registered" if created else "federation.client_changed",
        client,
        actor=actor,
        client_id=client.client_id,
        kind=client.kind,
        active=client.active,
    )
    return client


def _ensure_system_user(client: FederatedClient) -> None:
    """A vendor system acts as its own account (role 'system'), never as a person."""
    if client.kind != FederatedClient.Kind.VENDOR_SYSTEM or client.system_user_id is not None:
        return
    client.system_user = User.objects.create(
        username=f"system:{client.client_id}",
        role=User.Role.SYSTEM,
        full_name_th=client.name,
        full_name_en=client.name,
    )
    client.system_user.set_unusable_password()
    client.system_user.save(update_fields=["password"])
    client.save(update_fields=["system_user"])


def new_client_id(name: str) -> str:
    """A client_id from the system's name (ASCII part) and a random tail: unguessable
    enough that one vendor cannot squat another's, readable in logs."""
    stem = slugify(name)[:40].strip("-") or "system"
    return f"{stem}-{secrets.token_hex(4)}"


def _requested_rights(services: Iterable[Service], actions: Iterable[str]) -> list[str]:
    chosen = sorted(set(actions))
    if not list(services) or not chosen:
        raise ValidationError(_("Choose at least one service and one action"))
    if not set(chosen) <= set(MandateAction.values):
        raise ValidationError(_("Unknown action"))
    return chosen


@transaction.atomic
def register_system(
    acting: Acting,
    *,
    name: str,
    jwks: str,
    services: Iterable[Service],
    actions: Iterable[str],
) -> FederatedClient:
    """A director of a software vendor (the company the session acts for) registers
    its system: name, public keys (checked: public, signing, RS256/ES256/PS256) and the
    rights it will ask companies for. The system can then be approved by companies; it
    gets no right by registering. Refused with nothing saved on any bad input."""
    authz.require(acting.user, "federation.register_system", acting.party, hide=False)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(_("Give the system a name of at most 200 characters"))
    services = list(services)
    chosen = _requested_rights(services, actions)
    client = FederatedClient(
        client_id=new_client_id(name),
        name=name,
        kind=FederatedClient.Kind.VENDOR_SYSTEM,
        vendor=acting.party,
        jwks=keys.client_jwks(jwks),
        requested_actions=chosen,
    )
    client.full_clean()
    client.save()
    client.requested_services.set(services)
    _ensure_system_user(client)
    audit.record(
        "federation.client_registered",
        client,
        actor=acting.user,
        on_behalf_of=acting.party.key,
        client_id=client.client_id,
        kind=client.kind,
        services=sorted(s.slug for s in services),
        actions=chosen,
        kids=[str(k.get("kid", "")) for k in client.jwks["keys"]],
    )
    return client


@transaction.atomic
def rotate_keys(client: FederatedClient, acting: Acting, *, jwks: str) -> FederatedClient:
    """The vendor replaces its system's public keys (a new key pair, a lost key): client
    assertions signed with a removed key are refused from now on; tokens already issued
    run out within minutes (:data:`MACHINE_TOKEN_LIFETIME`)."""
    client = FederatedClient.objects.select_for_update().get(pk=client.pk)
    if client.vendor_id != acting.party.pk or not authz.allowed(
        acting.user, "federation.register_system", acting.party
    ):
        raise PermissionDenied(_("Only a director of the vendor may change its system's keys"))
    new = keys.client_jwks(jwks)
    old_kids = [str(k.get("kid", "")) for k in (client.jwks or {}).get("keys", [])]
    client.jwks = new
    client.save(update_fields=["jwks"])
    audit.record(
        "federation.client_keys_rotated",
        client,
        actor=acting.user,
        on_behalf_of=acting.party.key,
        client_id=client.client_id,
        old_kids=old_kids,
        kids=[str(k.get("kid", "")) for k in new["keys"]],
    )
    return client


def _checked_rights(
    client: FederatedClient, services: Iterable[Service], actions: Iterable[str]
) -> tuple[list[Service], list[str]]:
    """The rights to approve: a non-empty subset of what the system asked for."""
    services, actions = list(services), sorted(set(actions))
    asked = set(client.requested_services.values_list("pk", flat=True))
    if not services or not actions:
        raise ValidationError(_("Choose at least one service and one action"))
    if any(s.pk not in asked for s in services) or not set(actions) <= set(
        client.requested_actions or []
    ):
        raise ValidationError(_("A system can be approved only for the rights it asked for"))
    if not set(actions) <= set(MandateAction.values):
        raise ValidationError(_("Unknown action"))
    return services, actions


@transaction.atomic
def approve(
    client: FederatedClient,
    company: Party,
    *,
    actor: Any,
    services: Iterable[Service],
    actions: Iterable[str],
) -> SystemUserApproval:
    """A director of ``company`` lets the vendor system act for it within the rights."""
    if not authz.allowed(actor, "federation.approve_system", company):
        raise PermissionDenied(_("Only a director of the company may approve systems for it"))
    if not client.active or client.kind != FederatedClient.Kind.VENDOR_SYSTEM:
        raise ValidationError(_("This system is not registered or no longer active"))
    chosen, actions = _checked_rights(client, services, actions)
    if SystemUserApproval.objects.filter(
        client=client, company=company, revoked_at__isnull=True
    ).exists():
        raise ValidationError(_("This system is already approved; revoke it first to change"))
    approval = SystemUserApproval.objects.create(
        client=client,
        company=company,
        actions=actions,
        approved_by=actor,
        approved_ial=getattr(actor, "identity_assurance", "") or "",
    )
    approval.services.set(chosen)
    audit.record(
        "federation.system_approved",
        approval,
        actor=actor,
        on_behalf_of=company.key,
        services=[s.slug for s in chosen],
        actions=actions,
        **approval.audit_data(),
    )
    return approval


@transaction.atomic
def revoke(approval: SystemUserApproval, *, actor: Any) -> SystemUserApproval:
    """End an approval; the system's next request is refused (tokens re-check it)."""
    approval = SystemUserApproval.objects.select_for_update().get(pk=approval.pk)
    if not authz.allowed(actor, "federation.approve_system", approval.company):
        raise PermissionDenied(_("Only a director of the company may revoke its systems"))
    if approval.revoked_at is not None:
        raise ValidationError(_("This approval was already revoked"))
    approval.revoked_at = timezone.now()
    approval.revoked_by = actor
    approval.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        "federation.system_revoked",
        approval,
        actor=actor,
        on_behalf_of=approval.company.key,
        **approval.audit_data(),
    )
    return approval


@dataclass(frozen=True)
class FirmGrant:
    """A firm's approved system acting for one of the firm's clients: the client
    approved the firm as its representative, the firm approved the system. The system
    may do only what *both* allow (the intersection of services and actions), and both
    are read again at every request (:mod:`.authentication`). An
    ``identity.acting.SystemGrant``."""

    approval: SystemUserApproval
    representation: ClientRepresentation

    @property
    def party_id(self) -> int:
        return self.representation.client_id

    @property
    def company(self) -> Party:
        return self.representation.client

    def service_ids(self) -> list[int]:
        theirs = set(self.representation.service_ids())
        return [pk for pk in self.approval.service_ids() if pk in theirs]

    def actions(self) -> list[str]:
        return [a for a in self.approval.actions if a in (self.representation.actions or [])]

    def allows(self, action: str, service_id: int | None) -> bool:
        if not (self.approval.in_force and self.representation.in_force):
            return False
        if action not in self.actions():
            return False
        return service_id is None or service_id in self.service_ids()

    def audit_data(self) -> dict[str, str]:
        return {
            **self.approval.audit_data(),
            "representative": self.representation.firm.key,
            "representation": str(self.representation.public_id),
        }


def firm_grant(client: FederatedClient, company: Party) -> FirmGrant | None:
    """How a vendor system may act for ``company`` through a firm: the company approved
    a firm as its representative, and that firm approved this system (both in force,
    with some right in common); None otherwise."""
    representations = ClientRepresentation.objects.filter(
        client=company, revoked_at__isnull=True
    ).select_related("client", "firm")
    for representation in representations:
        approval = (
            SystemUserApproval.objects.select_related("client__vendor", "company", "approved_by")
            .filter(client=client, company=representation.firm, revoked_at__isnull=True)
            .first()
        )
        if approval is None or not approval.in_force:
            continue
        grant = FirmGrant(approval, representation)
        if grant.service_ids() and grant.actions():
            return grant
    return None


def representation_in_force(firm_id: int, client_id: int) -> ClientRepresentation | None:
    return (
        ClientRepresentation.objects.select_related("client", "firm")
        .filter(firm_id=firm_id, client_id=client_id, revoked_at__isnull=True)
        .first()
    )


def use_assertion(client_id: str, jti: str, exp: Any) -> bool:
    """Record a client assertion's ``jti``; False when it was used before (a replay)."""
    try:
        expires = datetime.fromtimestamp(int(exp), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        expires = timezone.now() + timedelta(hours=1)
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(
                client_id=client_id, jti=str(jti)[:200], expires_at=expires
            )
    except IntegrityError:
        return False
    return True


def refused(action: str, client_id: str, reason: str, **data: Any) -> None:
    """Audit a refused token request or API call (who tried, and why)."""
    audit.record(
        action,
        ("federation.federatedclient", client_id or "-"),
        actor_label=f"system:{client_id}" if client_id else "system",
        reason=reason,
        **data,
    )


@transaction.atomic
def issue_machine_token(
    approval: SystemUserApproval, scope: str, *, through: FirmGrant | None = None
) -> dict[str, Any]:
    """A signed access token (RFC 9068 JWT) for a system user acting for the company
    (``through``: for a client of the firm that approved the system)."""
    client = approval.client
    grant: SystemUserApproval | FirmGrant = through or approval
    company = through.company if through is not None else approval.company
    services = Service.objects.filter(pk__in=grant.service_ids())
    actions = through.actions() if through is not None else list(approval.actions)
    details: dict[str, Any] = {
        "type": AUTHORIZATION_DETAILS_TYPE,
        "party": company.key,
        "services": sorted(s.slug for s in services),
        "actions": actions,
    }
    if through is not None:
        details["representative"] = through.representation.firm.key
    system_user = client.system_user
    assert system_user is not None  # every vendor system has one (save_client)
    now = int(time.time())
    jti = secrets.token_urlsafe(24)
    expires = now + MACHINE_TOKEN_LIFETIME
    claims: dict[str, Any] = {
        "iss": issuer(),
        "aud": api_audience(),
        "sub": str(system_user.public_id),
        "client_id": client.client_id,
        "jti": jti,
        "iat": now,
        "exp": expires,
        "scope": scope,
        "authorization_details": [details],
    }
    IssuedToken.objects.create(
        jti=jti,
        client=client,
        user=system_user,
        approval=approval,
        # A token for a firm's client names the client: the authentication then reads
        # the client's approval of the firm again at every request.
        party=company if through is not None else None,
        grant_type="client_credentials",
        scope=scope,
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )
    audit.record(
        "federation.token_issued",
        approval,
        actor=system_user,
        on_behalf_of=company.key,
        grant_type="client_credentials",
        **grant.audit_data(),
    )
    return {
        "access_token": sign(claims),
        "token_type": "Bearer",
        "expires_in": MACHINE_TOKEN_LIFETIME,
        "scope": scope,
        "authorization_details": claims["authorization_details"],
    }


def sign(claims: dict[str, Any], typ: str = "at+jwt") -> str:
    key = keys.signing_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid or "", "typ": typ}, claims, key)


class InvalidToken(Exception):
    """A bearer token the API does not accept; ``str()`` says why (for the client)."""


def userinfo_audience() -> str:
    """The ``aud`` of a person's sign-in access token: good at ``/oidc/userinfo`` only.

    Why not the API: an agency service that signed a person in must say that it now
    acts for them (token exchange, RFC 8693, naming it in ``act``) before it calls the
    portal's API, so every API act is recorded as the service's act for the person."""
    return issuer() + reverse("federation:userinfo")


def _claims_of(token: str) -> dict[str, Any]:
    """The claims of an access token the portal signed (signature, issuer, type), with
    expiry and audience left to the caller so each refusal can say which it was."""
    try:
        decoded = jwt.decode(token, keys.signing_key(), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer()},
            aud={"essential": True},
            jti={"essential": True},
        ).validate(decoded.claims)
    except ExpiredTokenError:
        raise InvalidToken("token expired") from None
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidToken(f"invalid token: {error}") from error
    if decoded.header.get("typ") != "at+jwt":
        raise InvalidToken("not an access token")
    if not isinstance(decoded.claims.get("exp"), int):
        raise InvalidToken("invalid token: no 'exp'")
    return dict(decoded.claims)


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [str(a) for a in aud] if isinstance(aud, list) else [str(aud)]


def verify_access_token(token: str, audience: str = "") -> tuple[IssuedToken, dict[str, Any]]:
    """The stored token and claims of a valid access token the portal signed for
    ``audience`` (default: its API): our signature, issuer, audience, not expired, not
    revoked. ``InvalidToken`` says which check failed."""
    audience = audience or api_audience()
    claims = _claims_of(token)
    if audience not in _audiences(claims):
        if audience == api_audience() and userinfo_audience() in _audiences(claims):
            raise InvalidToken(
                "a sign-in access token is good at /oidc/userinfo only; exchange it for an"
                " API token first (RFC 8693 token exchange)"
            )
        raise InvalidToken("token not meant for this endpoint (aud)")
    if int(claims["exp"]) <= int(time.time()):
        raise InvalidToken("token expired")
    item = (
        IssuedToken.objects.select_related(
            "client__agency", "user", "approval__company", "client__vendor", "party", "code"
        )
        .filter(jti=str(claims["jti"]))
        .first()
    )
    if item is None:
        raise InvalidToken("unknown token")
    if item.revoked_at is not None:
        raise InvalidToken("token revoked")
    return item, claims


#: A person's access token for an agency service (userinfo): as short as a code's use.
PERSON_TOKEN_LIFETIME = 600


@transaction.atomic
def issue_code(
    code: str,
    *,
    client: FederatedClient,
    user: User,
    acting: Any,
    payload: dict[str, Any],
    redirect_uri: str,
    scope: str,
    aal: int,
) -> Any:
    """Store an authorization code for the person acting for ``acting.party``."""
    from .models import AuthorizationCode

    item = AuthorizationCode.objects.create(
        code=code,
        client=client,
        user=user,
        party=acting.party,
        basis=acting.basis,
        mandate_id=acting.mandate.public_id if acting.mandate is not None else None,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=str(payload.get("nonce", "")),
        code_challenge=str(payload["code_challenge"]),
        code_challenge_method=str(payload["code_challenge_method"]),
        auth_time=int(time.time()),
        aal=aal,
    )
    audit.record(
        "federation.person_signed_in",
        client,
        actor=user,
        on_behalf_of=acting.party.key if acting.party.pk != user.party_id else "",
        client_id=client.client_id,
        agency=client.agency.code if client.agency else "",
        basis=acting.basis,
    )
    return item


def redeem_code(item: Any) -> bool:
    """Claim a code once (a second claim loses): True for the first."""
    from .models import AuthorizationCode

    return bool(
        AuthorizationCode.objects.filter(pk=item.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


@transaction.atomic
def issue_person_token(client: FederatedClient, user: User, code: Any, scope: str) -> str:
    """A person's sign-in access token (JWT) for the client: userinfo with it, or
    exchange it once for an API token (:func:`exchange_token`)."""
    now = int(time.time())
    jti = secrets.token_urlsafe(24)
    claims = {
        "iss": issuer(),
        "aud": userinfo_audience(),
        "sub": str(user.public_id),
        "client_id": client.client_id,
        "jti": jti,
        "iat": now,
        "exp": now + PERSON_TOKEN_LIFETIME,
        "scope": scope,
    }
    IssuedToken.objects.create(
        jti=jti,
        client=client,
        user=user,
        party=code.party,
        code=code,
        grant_type="authorization_code",
        scope=scope,
        expires_at=datetime.fromtimestamp(now + PERSON_TOKEN_LIFETIME, tz=UTC),
    )
    return sign(claims)


def person_claims(
    user: User, party: Party, basis: str, mandate_id: Any, aal: int
) -> dict[str, Any]:
    """Who the person is, whom they act for, and how strongly proven and signed in."""
    act_for: dict[str, Any] = {
        "party": party.key,
        "name": party.name_th or party.name_en,
        "kind": party.kind,
        "basis": basis,
    }
    if mandate_id:
        from bizportal.identity.models import Mandate

        mandate = Mandate.objects.filter(public_id=mandate_id).first()
        act_for["mandate"] = {
            "id": str(mandate_id),
            "actions": list(mandate.actions or []) if mandate else [],
        }
    return {
        "sub": str(user.public_id),
        "pid": user.citizen_id or "",
        "name": user.full_name_th or user.display_name,
        "name_en": user.full_name_en,
        "ial": user.identity_assurance,
        "aal": aal,
        "acr": f"urn:th:bizportal:aal:{aal}",
        "act_for": act_for,
    }


# --- Token exchange (RFC 8693): an agency service acts for the person it signed in ---

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN
#: An exchanged token is shorter still than the sign-in token: one sitting's calls.
EXCHANGED_TOKEN_LIFETIME = 300
#: What an exchanged token may carry: the API's scopes, as far as the person granted them.
API_SCOPES = ("applications",)


def subject_of(token: str, client: FederatedClient) -> IssuedToken:
    """The sign-in token ``client`` offers as ``subject_token``, if it may be exchanged:
    ours, not expired, not revoked, issued to this client by the code flow, and not
    exchanged before. ``InvalidToken`` says which check failed."""
    item, _claims = verify_access_token(token, userinfo_audience())
    if item.client_id != client.pk:
        raise InvalidToken("the subject token was issued to another client")
    if item.grant_type != "authorization_code" or item.party is None:
        raise InvalidToken("only a person's sign-in access token can be exchanged")
    if item.exchanged_at is not None:
        raise InvalidToken("the subject token was already exchanged (replay)")
    if not item.user.is_active:
        raise InvalidToken("the person's account is closed")
    return item


class AlreadyExchanged(Exception):
    """A second exchange of one subject token lost the race to the first."""


@transaction.atomic
def exchange_token(subject: IssuedToken, acting: Acting, scope: str) -> dict[str, Any]:
    """Exchange the person's sign-in token once for a short API token held by the same
    agency service, naming it as the actor (``act``) and acting for the party the
    person chose at sign-in (``acting``: its grounds re-checked by the caller now)."""
    now = timezone.now()
    claimed = IssuedToken.objects.filter(
        pk=subject.pk, exchanged_at__isnull=True, revoked_at__isnull=True
    ).update(exchanged_at=now)
    if not claimed:
        raise AlreadyExchanged
    client, user = subject.client, subject.user
    issued = int(time.time())
    expires = issued + EXCHANGED_TOKEN_LIFETIME
    jti = secrets.token_urlsafe(24)
    claims: dict[str, Any] = {
        "iss": issuer(),
        "aud": api_audience(),
        "sub": str(user.public_id),
        "client_id": client.client_id,
        "act": {"sub": client.client_id},
        "act_for": {"party": acting.party.key, "basis": acting.basis},
        "jti": jti,
        "iat": issued,
        "exp": expires,
        "scope": scope,
    }
    IssuedToken.objects.create(
        jti=jti,
        client=client,
        user=user,
        party=acting.party,
        code=subject.code,
        subject_token=subject,
        grant_type=TOKEN_EXCHANGE,
        scope=scope,
        issued_at=now,
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )
    audit.record(
        "federation.token_exchanged",
        client,
        actor=user,
        client_id=client.client_id,
        scope=scope,
        basis=acting.basis,
        **{**client.audit_data(), **audit_fields(user, acting.party)},
    )
    return {
        "access_token": sign(claims),
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": "Bearer",
        "expires_in": EXCHANGED_TOKEN_LIFETIME,
        "scope": scope,
    }


def record_api_use(item: IssuedToken, acting: Acting, method: str, path: str) -> None:
    """Audit one API request an agency service makes for a person with an exchanged
    token: the person (actor), the acting system (``act``) and the party acted for.
    Reads are recorded too: the person's data is read by another system."""
    audit.record(
        "federation.api_used",
        item.client,
        actor=item.user,
        method=method,
        path=path[:200],
        **{**item.client.audit_data(), **audit_fields(item.user, acting.party)},
    )
