"""Who may edit and review the citizen manual of a service: the rules behind
``core.authz`` for the back office's service editor.

* An agency administrator edits and submits the services of their own agency.
* An agency supervisor, or another administrator of the same agency, approves or
  rejects; never the revision's own author (four eyes, also a database constraint).
* A platform administrator may do both for any agency; nobody else touches a service.

The roles are the identity app's staff roles, named here by value: the catalogue sits
below identity and asks the account (``user.has_role``) rather than importing it.
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz

AGENCY_SUPERVISOR = "agency_supervisor"
AGENCY_ADMIN = "agency_admin"
PLATFORM_ADMIN = "platform_admin"


def _holds(*roles: str) -> Any:
    @rules.predicate(name=f"catalog_role:{'|'.join(roles)}")
    def holds(user: Any) -> bool:
        has_role = getattr(user, "has_role", None)
        return bool(getattr(user, "is_authenticated", False) and has_role and has_role(*roles))

    return holds


is_agency_admin = _holds(AGENCY_ADMIN)
is_agency_reviewer = _holds(AGENCY_SUPERVISOR, AGENCY_ADMIN)
is_platform_admin = _holds(PLATFORM_ADMIN)


@rules.predicate
def has_agency(user: Any) -> bool:
    return getattr(user, "agency_id", None) is not None


@rules.predicate
def service_of_own_agency(user: Any, service: Any) -> bool:
    agency_id = getattr(user, "agency_id", None)
    return service is not None and agency_id is not None and service.agency_id == agency_id


@rules.predicate
def is_author(user: Any, revision: Any) -> bool:
    return revision is not None and revision.author_id == getattr(user, "pk", None)


def _on_service(predicate: Any) -> Any:
    """``predicate`` over a revision's service."""

    @rules.predicate(name=f"on_service:{predicate.name}")
    def check(user: Any, revision: Any) -> bool:
        return revision is not None and bool(predicate.test(user, revision.service))

    return check


may_edit = is_platform_admin | (is_agency_admin & service_of_own_agency)
may_review = is_platform_admin | (is_agency_reviewer & service_of_own_agency)

# The pages: the list of services, for whoever edits or reviews some.
authz.register("catalog.use_editor", is_platform_admin | (is_agency_reviewer & has_agency))
# Whose services the list shows: every agency's, or the account's own.
authz.register("catalog.all_agencies", is_platform_admin)
authz.register("catalog.edit_service", may_edit)
authz.register("catalog.review_service", may_review)
authz.register("catalog.view_revisions", may_edit | may_review)
# A decision on one revision: a reviewer of its service who did not write it.
authz.register("catalog.decide_revision", _on_service(may_review) & ~is_author)
