"""Who may manage a service's integration with its agency's system.

Agency IT staff keep their own agency's integration settings and follow its
forwardings (replaying undeliverable ones) in the admin; the admin shows them their
agency's rows only (``core.admin.AgencyScopedAdmin``). Superusers keep every agency's.
"""

from __future__ import annotations

from bizportal.core import authz
from bizportal.identity.rules import has_agency, is_agency_it

authz.register("integrations.manage", is_agency_it & has_agency)
