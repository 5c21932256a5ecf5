"""Who may see and act on cases and the contact log (``core.authz``).

* A person sees their own cases (signed in); an anonymous person only through the
  follow-up link, which is checked in the view, not here.
* Officers and supervisors see the cases of the agencies they work for, whether their
  agency owns the case or shares it; answering is theirs too. Closing, sharing with
  another agency: the owner agency's officers.
* Counter and helpdesk staff log contacts for people and follow every case across
  agencies (read only: they answer nothing for an agency).
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.rules import has_agency, is_agency_officer, is_helpdesk

from .models import Case


@rules.predicate
def is_own_case(user: Any, case: Case | None) -> bool:
    return (
        case is not None
        and getattr(user, "is_authenticated", False)
        and case.person_id is not None
        and case.person_id == user.pk
    )


@rules.predicate
def agency_involved(user: Any, case: Case | None) -> bool:
    """The officer's agency owns or shares the case."""
    agency_id = getattr(user, "agency_id", None)
    if case is None or agency_id is None:
        return False
    if case.owner_agency_id == agency_id:
        return True
    return case.routing.filter(agency_id=agency_id).exists()


@rules.predicate
def agency_owns(user: Any, case: Case | None) -> bool:
    agency_id = getattr(user, "agency_id", None)
    return case is not None and agency_id is not None and case.owner_agency_id == agency_id


authz.register("contact.view_own", is_own_case)
authz.register("contact.cases", (is_agency_officer & has_agency) | is_helpdesk)
authz.register("contact.view", (is_agency_officer & agency_involved) | is_helpdesk)
authz.register("contact.answer", is_agency_officer & agency_involved)
authz.register("contact.coordinate", is_agency_officer & agency_owns)
authz.register("contact.helpdesk", is_helpdesk)
