"""Who may do what to applications and licences: the rules behind ``core.authz``.

* An application is seen by the people who may act for its party (the person, a
  director of the company, a delegate whose mandate lets them view), by the officers of
  its agency once it is submitted, and by the counter officer who filed it.
* Officers (and supervisors) of the owning agency decide; the licence register's
  documents go to the people who may receive licences for the holder.

Registered here because these rules join the application to parties (identity) and
to the licence register; the licences app asks by name.
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.acting import may_act
from bizportal.identity.models import MandateAction, Party
from bizportal.identity.rules import (
    acts_for,
    is_agency_officer,
    is_agency_supervisor,
    is_counter_officer,
    is_entrepreneur,
    is_system_user,
    same_agency,
)

from .models import BEFORE_AGENCY, Application


def _party(application: Application) -> Any:
    return application.party


def _service(application: Application) -> int:
    return application.service_id


@rules.predicate
def is_submitted(user: Any, application: Application | None) -> bool:
    return application is not None and application.status not in BEFORE_AGENCY


@rules.predicate
def filed_it(user: Any, application: Application | None) -> bool:
    return application is not None and application.filed_by_id == getattr(user, "pk", None)


in_agency = same_agency(lambda application: application.agency_id)

authz.register(
    "applications.view",
    acts_for(MandateAction.VIEW, _party, _service)
    | (is_agency_officer & in_agency & is_submitted)
    | (is_counter_officer & filed_it),
)
authz.register(
    "applications.prepare",
    acts_for(MandateAction.PREPARE, _party, _service) | (is_counter_officer & filed_it),
)
authz.register(
    "applications.submit",
    acts_for(MandateAction.SUBMIT, _party, _service) | (is_counter_officer & filed_it),
)
authz.register("applications.decide", is_agency_officer & in_agency & is_submitted)
authz.register("applications.start", is_entrepreneur | is_system_user | is_counter_officer)


def _holder(licence: Any) -> Party | None:
    return Party.objects.filter(key=licence.holder_id).first()


@rules.predicate
def receives_licences(user: Any, licence: Any) -> bool:
    """The licence's holder party is one the person may receive licences for."""
    return licence is not None and may_act(user, _holder(licence), MandateAction.RECEIVE)


@rules.predicate
def views_licences(user: Any, licence: Any) -> bool:
    return licence is not None and may_act(user, _holder(licence), MandateAction.VIEW)


authz.register("licences.download", receives_licences)
authz.register("licences.view", views_licences | receives_licences)
authz.register(
    "licences.change", acts_for(MandateAction.PREPARE, _holder, lambda licence: licence.service_id)
)

# The issuing agency's officers suspend, reinstate and ask for revocations; a supervisor
# of that agency approves a revocation (maker–checker; never the one who asked).
_issuing_agency = same_agency(lambda licence: licence.agency_id)
authz.register("licences.manage", is_agency_officer & _issuing_agency)
authz.register("licences.approve_revocation", is_agency_supervisor & _issuing_agency)
