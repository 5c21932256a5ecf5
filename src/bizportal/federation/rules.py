"""Who may manage clients and approve system users (``core.authz`` rules).

Platform administrators manage every client; an agency's own IT role can be added to
``federation.manage_client`` (it is an ``|`` away). A system user is approved or
revoked for a company only by one of its registered directors; so are the company's
own systems (as a vendor) and its client representatives.
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.acting import grounds
from bizportal.identity.models import Party
from bizportal.identity.rules import is_platform_admin


@rules.predicate
def directs(user: Any, company: Party | None) -> bool:
    """The person is a registered director of the company (the registry says so)."""
    if company is None or not company.is_company:
        return False
    acting = grounds(user, company)
    return acting is not None and acting.basis == "director"


authz.register("federation.manage_client", is_platform_admin)
authz.register("federation.approve_system", directs)
# A vendor's director registers its systems and changes their keys: registering gives
# no right by itself, every company still approves a system before it acts for it.
authz.register("federation.register_system", directs)
# A company's director approves and revokes its client representatives (accountant
# firms); the state change is ``identity.services.approve_representative``.
authz.register("federation.approve_representative", directs)
