"""Who may open reports: executives and platform administrators (the whole country),
an agency's supervisors and finance officers (their agency), counter officers (what
they filed). Which report each role sees is the report's own ``roles``."""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz

from .definitions import Scope


@rules.predicate
def has_report_scope(user: Any) -> bool:
    return Scope.of(user) is not None


@rules.predicate
def owns_export(user: Any, export: Any) -> bool:
    return export is not None and export.requested_by_id == user.pk


authz.register("reports.view", has_report_scope)
authz.register("reports.download", has_report_scope & owns_export)
