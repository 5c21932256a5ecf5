"""Predicates about who a person is, for the permission rules every app registers.

Roles are Django groups (:class:`~bizportal.identity.models.StaffRole`); parties and
mandates are :mod:`.acting`. Apps compose these with their own object predicates in
their ``rules.py`` and register the result with :func:`bizportal.core.authz.register`.
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz

from .acting import may_act
from .models import StaffRole


def has_role(*roles: str) -> Any:
    """A predicate: the account holds one of ``roles``."""

    @rules.predicate(name=f"has_role:{'|'.join(roles)}")
    def holds(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.has_role(*roles))

    return holds


@rules.predicate
def is_entrepreneur(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_entrepreneur)


@rules.predicate
def is_system_user(user: Any) -> bool:
    """A vendor's software acting for a company under an approval (checked per act)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_system", False))


is_counter_officer = has_role(StaffRole.COUNTER_OFFICER)
is_helpdesk = has_role(StaffRole.COUNTER_OFFICER, StaffRole.HELPDESK)
is_agency_officer = has_role(StaffRole.AGENCY_OFFICER, StaffRole.AGENCY_SUPERVISOR)
is_agency_supervisor = has_role(StaffRole.AGENCY_SUPERVISOR)
is_agency_admin = has_role(StaffRole.AGENCY_ADMIN)
is_agency_it = has_role(StaffRole.AGENCY_IT)
is_executive = has_role(StaffRole.EXECUTIVE)
is_finance = has_role(StaffRole.FINANCE)
is_platform_admin = has_role(StaffRole.PLATFORM_ADMIN)


def acts_for(action: str, party_of: Any, service_of: Any = None) -> Any:
    """A predicate over an object: the person may do ``action`` for the object's party
    (``party_of(obj)``), for its service (``service_of(obj)``, an id or None)."""

    @rules.predicate(name=f"acts_for:{action}")
    def check(user: Any, obj: Any) -> bool:
        if obj is None:
            return False
        service_id = service_of(obj) if service_of else None
        return may_act(user, party_of(obj), action, service_id)

    return check


def same_agency(agency_of: Any) -> Any:
    """A predicate over an object: the account works for the object's agency."""

    @rules.predicate(name="same_agency")
    def check(user: Any, obj: Any) -> bool:
        agency_id = getattr(user, "agency_id", None)
        return obj is not None and agency_id is not None and agency_of(obj) == agency_id

    return check


@rules.predicate
def has_agency(user: Any) -> bool:
    return getattr(user, "agency_id", None) is not None


@rules.predicate
def is_staff_account(user: Any, account: Any) -> bool:
    return account is not None and getattr(account, "role", "") == "staff"


# The staff pages of the back office, by role.
authz.register("backoffice.worklist", is_agency_officer & has_agency)
authz.register("backoffice.counter", is_counter_officer)
# Find an application by reference or citizen ID, with a recorded reason (status only).
authz.register("backoffice.helpdesk", is_helpdesk)
authz.register("backoffice.statistics", is_executive | is_platform_admin)
authz.register("backoffice.staff", is_agency_admin & has_agency)
# The agency's part of the exchange's message log (its requests, and those answered for it).
authz.register("backoffice.exchange_log", (is_agency_admin | is_agency_supervisor) & has_agency)
# The health of every connection: platform administrators see all of them, an agency's
# IT officers their own agency's endpoints (the view filters by agency).
authz.register("backoffice.connections", is_platform_admin | (is_agency_it & has_agency))
# Agency IT staff manage their own agency's systems and OAuth2 clients in the admin
# (registered here: the exchange sits below identity and cannot import these predicates).
authz.register("exchange.manage_systems", is_agency_it & has_agency)
# An agency administrator manages the staff of their own agency, nobody else.
authz.register(
    "identity.manage_staff",
    is_agency_admin
    & has_agency
    & is_staff_account
    & same_agency(lambda account: account.agency_id),
)
