"""The ``forward-to-agency`` step type: the agency decides in its own system.

Entering the step hands the application over (online at once, or in the day's batch)
under the service's current integration settings; the step then waits for the agency
system's decision (``approve``, ``correct`` or ``reject`` in the process data's
``decision``, as an officer-review step would set it), which arrives through the
agency API or a batch results file (:mod:`.forwarding`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.applications.models import Application, Status
from bizportal.workflow.engine import ReadyStep
from bizportal.workflow.steps import (
    Completion,
    Performer,
    StepContext,
    StepError,
    StepHandler,
    step_types,
)

from . import forwarding
from .models import Mode
from .selectors import current_integration


@step_types.register(forwarding.STEP_TYPE)
class ForwardToAgencyStep(StepHandler):
    type = forwarding.STEP_TYPE
    performer = Performer.EXTERNAL
    description = gettext_noop("Forwarded to the agency's own system, which decides")
    outputs = frozenset({"decision", "agency_licence"})

    def enter(self, ctx: StepContext) -> Completion | None:
        application: Application = ctx.subject
        integration = current_integration(application.service)
        if integration is None or integration.mode == Mode.BACKOFFICE:
            raise StepError(
                _(
                    "this service has no integration with the agency's system: an admin must "
                    "publish one"
                )
            )
        forwarding.open_forwarding(application, integration, ctx.step.spec.id)
        return None

    def status(self, subject: Any, step: ReadyStep) -> str:
        return Status.WAITING
