"""For whom an entrepreneur acts, and on what grounds.

A signed-in person may act for themselves, for a company whose registered directors
include them (the juristic registry says so), or for a person or company that gave them
a mandate they accepted. The portal keeps the chosen party in the session and checks the
grounds again on every request (:class:`~bizportal.identity.middleware.ActingMiddleware`),
so a revoked mandate stops working at the delegate's next click.

Why a dataclass and not a session dict: every guarded action asks the same question
("may this person do *this* for *that* party, for *that* service?"), and the answer
depends on the grounds: a director may do anything the company may; a delegate only
what the mandate lists, for the services it names, within its dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.catalog.models import Service

from .models import ClientRepresentation, Mandate, MandateAction, Party, User

#: "firm": a director of (or a person mandated by) an accountant firm that the company
#: approved as its client representative (:class:`~.models.ClientRepresentation`).
Basis = Literal["self", "director", "mandate", "system", "firm"]
SESSION_KEY = "identity.acting_party"
#: The authenticator assurance level this session reached at Digital ID (1, 2, 3).
AAL_SESSION_KEY = "identity.aal"
#: The refusal when a service's law needs a written power of attorney and the signed
#: written mandate is not stored yet (the portal issues it just after acceptance).
WRITTEN_MANDATE_MISSING = gettext_lazy(
    "This service's law needs a written power of attorney, and the signed written "
    "mandate for your mandate has not been issued yet. Try again in a few minutes; if "
    "it still fails, ask the grantor to check the mandate in their account"
)


class SystemGrant(Protocol):
    """What a company approved a system user to do (``federation.SystemUserApproval``).

    Put on the system user per request (``user.system_grant``) by the API's token
    authentication after it re-read the approval, so a revoked approval is never
    seen here; identity cannot import the federation app, hence a protocol.
    """

    @property
    def party_id(self) -> int: ...

    def allows(self, action: str, service_id: int | None) -> bool: ...

    def service_ids(self) -> list[int] | None: ...

    def audit_data(self) -> dict[str, str]:
        """The system and its vendor, for every audit record of the system's acts."""
        ...


class ActingSystem(Protocol):
    """An agency service acting for a person with an exchanged token (RFC 8693 ``act``,
    ``federation.FederatedClient``), put on the person per request (``user.acting_system``)
    by the API's token authentication, so every audit record of the request names it."""

    def audit_data(self) -> dict[str, str]: ...


class StepUpRequired(Exception):
    """The session's authenticator assurance is below what the action needs; the person
    is sent to Digital ID for a second factor and comes back with a stronger session."""

    def __init__(self, needed: int) -> None:
        super().__init__(
            _("This step needs a second factor at Digital ID (AAL%(level)s)") % {"level": needed}
        )
        self.needed = needed


def account_of(request: Any) -> User:
    """The signed-in account of a request (for views behind a sign-in check)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("not signed in")
    return user


def session_aal(user: Any) -> int:
    """The AAL of the request's session (set by the middleware); 0 when there is none,
    e.g. a service called outside a request."""
    try:
        return int(getattr(user, "session_aal", 0) or 0)
    except (TypeError, ValueError):
        return 0


def require_aal(user: Any, needed: int) -> None:
    """Refuse (:class:`StepUpRequired`) when the session is below ``needed``."""
    if needed > 1 and session_aal(user) < needed:
        raise StepUpRequired(needed)


@dataclass(frozen=True)
class Acting:
    """One person acting for one party, on one ground."""

    user: User
    party: Party
    basis: Basis
    mandate: Mandate | None = None
    grant: SystemGrant | None = None
    #: basis "firm": the client's approval of the firm (``mandate``: the firm's mandate
    #: to the person, when they are not one of its directors).
    representation: ClientRepresentation | None = None

    def may(self, action: str, service_id: int | None = None) -> bool:
        """Whether this person may do ``action`` (a :class:`MandateAction`) for the party,
        for the service with ``service_id`` (None: not about one service)."""
        if self.basis == "system":
            return self.grant is not None and self.grant.allows(action, service_id)
        if self.basis == "firm":
            # Both must allow it: the client's approval of the firm, and the firm's
            # mandate to the person (a director of the firm needs none).
            return (
                self.representation is not None
                and self.representation.allows(action, service_id)
                and (self.mandate is None or covers(self.mandate, action, service_id))
            )
        if self.basis != "mandate":
            return True
        return covers(self.mandate, action, service_id)

    @property
    def label(self) -> str:
        return str(self.party)

    def may_any(self, *actions: str) -> bool:
        """Whether the grounds allow at least one of ``actions`` for some service."""
        return any(self.may(action) for action in actions)

    def service_ids(self) -> list[int] | None:
        """The services the grounds are limited to (a mandate naming services), or None
        for every service."""
        if self.basis == "system":
            return self.grant.service_ids() if self.grant is not None else []
        if self.basis == "firm":
            return self._firm_service_ids()
        if self.basis != "mandate" or self.mandate is None:
            return None
        ids = [service.pk for service in self.mandate.services.all()]
        return ids or None

    def _firm_service_ids(self) -> list[int]:
        if self.representation is None:
            return []
        ids = self.representation.service_ids()
        mandated = [s.pk for s in self.mandate.services.all()] if self.mandate else []
        return [i for i in ids if i in mandated] if mandated else ids


def covers(mandate: Mandate | None, action: str, service_id: int | None) -> bool:
    """Whether an accepted mandate, in force today, covers ``action`` for the service."""
    if mandate is None or mandate.status != Mandate.Status.ACCEPTED:
        return False
    today = timezone.localdate()
    if not (mandate.valid_from <= today <= mandate.valid_until):
        return False
    if action not in (mandate.actions or []):
        return False
    if service_id is None:
        return True
    services = {s.pk for s in mandate.services.all()}
    if services and service_id not in services:
        return False
    return not _needs_written_mandate(mandate, service_id)


def _needs_written_mandate(mandate: Mandate, service_id: int) -> bool:
    """The service's law needs a written power of attorney and this mandate's signed
    document is not (yet) stored: the delegate may not act for that service."""
    if mandate.document_signed_at is not None:
        return False
    return Service.objects.filter(pk=service_id, requires_written_mandate=True).exists()


def written_mandate_missing(user: Any, party: Party | None, action: str, service_id: int) -> bool:
    """Whether the only thing keeping ``user`` from ``action`` for the party and service
    is the missing signed written mandate (so a refusal can say exactly that)."""
    if party is None:
        return False
    acting = grounds(user, party)
    if acting is None or acting.basis != "mandate" or acting.mandate is None:
        return False
    mandate = acting.mandate
    if mandate.document_signed_at is not None or action not in (mandate.actions or []):
        return False
    services = {s.pk for s in mandate.services.all()}
    if services and service_id not in services:
        return False
    return _needs_written_mandate(mandate, service_id)


def key_of(user: User) -> str:
    """The party key of the person behind an account: citizen ID, or passport form."""
    if user.citizen_id:
        return user.citizen_id
    if user.passport_no and user.nationality:
        return f"P:{user.nationality}:{user.passport_no.upper()}"
    return ""


def self_party(user: User) -> Party | None:
    """The person's own party (created at sign-in); None for staff accounts."""
    if not user.is_entrepreneur:
        return None
    return user.party


def grounds(user: Any, party: Party) -> Acting | None:
    """Why ``user`` may act for ``party`` today, or None.

    Checked afresh each time: a mandate revoked or expired since the last request no
    longer counts, nor does a directorship the last registry refresh no longer lists.
    A system user acts only for the company of the approval its token authentication
    re-read on this request, within the approved rights.
    """
    if getattr(user, "is_system", False):
        return _system_grounds(user, party)
    if not getattr(user, "is_entrepreneur", False):
        return None
    if user.party_id is not None and party.pk == user.party_id:
        return Acting(user, party, "self")
    if party.is_company and party.is_director(user.citizen_id):
        return Acting(user, party, "director")
    mandate = in_force_mandates(user).filter(grantor=party).first()
    if mandate is not None:
        return Acting(user, party, "mandate", mandate)
    if party.is_company:
        return next(iter(_firm_grounds(user, party)), None)
    return None


def in_force_representations() -> Any:
    """Client representations not revoked (a queryset)."""
    return (
        ClientRepresentation.objects.filter(revoked_at__isnull=True)
        .select_related("client", "firm")
        .prefetch_related("services")
    )


def _firm_grounds(user: User, client: Party | None = None) -> list[Acting]:
    """The client companies the person acts for through a firm: the firm lists them as
    a director, or gave them a mandate in force (the firm's own grounds are read afresh,
    like the client's approval of the firm)."""
    representations = in_force_representations()
    if client is not None:
        representations = representations.filter(client=client)
    # The firms the person acts for, and the firm's mandate (None for a director).
    mandates: dict[int, Mandate | None] = {}
    if user.citizen_id:
        directed = Party.objects.filter(
            kind=Party.Kind.JURISTIC, directorships__citizen_id=user.citizen_id
        )
        mandates = dict.fromkeys(directed.values_list("pk", flat=True))
    for mandate in in_force_mandates(user).filter(grantor__kind=Party.Kind.JURISTIC):
        mandates.setdefault(mandate.grantor_id, mandate)
    found = []
    for representation in representations.filter(firm_id__in=list(mandates)).order_by(
        "client__name_th"
    ):
        found.append(
            Acting(
                user,
                representation.client,
                "firm",
                mandates[representation.firm_id],
                representation=representation,
            )
        )
    return found


def _system_grounds(user: Any, party: Party) -> Acting | None:
    grant: SystemGrant | None = getattr(user, "system_grant", None)
    if grant is None or grant.party_id != party.pk:
        return None
    return Acting(user, party, "system", grant=grant)


def may_act(user: Any, party: Party | None, action: str, service_id: int | None = None) -> bool:
    """The one question other apps ask about parties."""
    if party is None:
        return False
    acting = grounds(user, party)
    return acting is not None and acting.may(action, service_id)


def audit_fields(user: Any, party: Party | None) -> dict[str, str]:
    """What an audit record says about whom ``user`` acted for: nothing when acting for
    themselves; the party, and the mandate when acting under one. When an agency
    service acts for the person (``user.acting_system``), it is named as well."""
    system: ActingSystem | None = getattr(user, "acting_system", None)
    fields = dict(system.audit_data()) if system is not None else {}
    if party is None or party.pk == getattr(user, "party_id", None):
        return fields
    acting = grounds(user, party)
    fields["on_behalf_of"] = party.key
    if acting is not None and acting.mandate is not None:
        fields["mandate"] = str(acting.mandate.public_id)
    if acting is not None and acting.grant is not None:
        fields.update(acting.grant.audit_data())
    if acting is not None and acting.representation is not None:
        fields["representative"] = acting.representation.firm.key
        fields["representation"] = str(acting.representation.public_id)
    return fields


def in_force_mandates(user: User) -> Any:
    """The user's accepted mandates in force today (a queryset)."""
    today = timezone.localdate()
    return (
        Mandate.objects.filter(
            delegate=user,
            status=Mandate.Status.ACCEPTED,
            valid_from__lte=today,
            valid_until__gte=today,
        )
        .select_related("grantor")
        .prefetch_related("services")
    )


def options(user: User) -> list[Acting]:
    """Every party the person may choose to act for: themselves, the companies whose
    directors include them (as last read from the registry), their mandates."""
    if not user.is_entrepreneur or user.party is None:
        return []
    choices = [Acting(user, user.party, "self")]
    if user.citizen_id:
        companies = Party.objects.filter(
            kind=Party.Kind.JURISTIC, directorships__citizen_id=user.citizen_id
        )
        choices += [Acting(user, company, "director") for company in companies.order_by("name_th")]
    seen = {choice.party.pk for choice in choices}
    for mandate in in_force_mandates(user).order_by("grantor__name_th"):
        if mandate.grantor.pk not in seen:
            choices.append(Acting(user, mandate.grantor, "mandate", mandate))
            seen.add(mandate.grantor.pk)
    for acting in _firm_grounds(user):
        if acting.party.pk not in seen:
            choices.append(acting)
            seen.add(acting.party.pk)
    return choices


def parties_visible_to(user: Any) -> Q:
    """A filter on ``party`` for the parties whose records ``user`` may view."""
    grant: SystemGrant | None = getattr(user, "system_grant", None)
    if getattr(user, "is_system", False) and grant is not None:
        may_view = grant.allows(MandateAction.VIEW, None)
        return Q(pk=grant.party_id) if may_view else Q(pk__in=[])
    if not getattr(user, "is_entrepreneur", False) or user.party_id is None:
        return Q(pk__in=[])
    viewing = Q(pk=user.party_id)
    if user.citizen_id:
        viewing |= Q(kind=Party.Kind.JURISTIC, directorships__citizen_id=user.citizen_id)
    mandated = [
        m.grantor_id for m in in_force_mandates(user) if MandateAction.VIEW in (m.actions or [])
    ]
    if mandated:
        viewing |= Q(pk__in=mandated)
    clients = [a.party.pk for a in _firm_grounds(user) if a.may(MandateAction.VIEW)]
    if clients:
        viewing |= Q(pk__in=clients)
    return viewing
