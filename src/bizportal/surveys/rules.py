"""Who may read survey results (``core.authz``): the staff of the agency whose service
it is (officers, supervisors, administrators), only their own agency's."""

from __future__ import annotations

from bizportal.core import authz
from bizportal.identity.rules import has_agency, is_agency_admin, is_agency_officer

authz.register("surveys.results", (is_agency_officer | is_agency_admin) & has_agency)
