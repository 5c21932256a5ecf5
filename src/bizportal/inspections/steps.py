"""The ``inspection`` step type: make the appointment, visit, record pass or fail.

Scheduling does not move the process (the applicant is told the date); recording the
result does, setting ``inspection_passed`` for the process's gateway. A result needs
an appointment first, and a failed inspection needs the reason, because the
applicant is told why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bizportal.applications.models import Application, Status
from bizportal.workflow.engine import ReadyStep, StepField, StepSpec
from bizportal.workflow.steps import (
    Action,
    Completion,
    Performer,
    StepContext,
    StepError,
    StepHandler,
    step_types,
)

from . import services

SCHEDULE_FIELDS = (
    StepField("scheduled_for", gettext_noop("Appointment date and time"), "datetime", True),
    StepField("place", gettext_noop("Place"), "string", False),
)


@step_types.register("inspection")
class InspectionStep(StepHandler):
    type = "inspection"
    performer = Performer.OFFICER
    description = gettext_noop("An officer inspects the premises by appointment")
    outputs = frozenset({"inspection_passed"})

    def actions(self, step: StepSpec) -> list[Action]:
        return [
            Action("schedule", gettext_noop("Schedule"), completes=False, fields=SCHEDULE_FIELDS),
            Action("pass", gettext_noop("Passed")),
            Action("fail", gettext_noop("Failed"), note_required=True),
        ]

    def act(
        self, ctx: StepContext, action: Action, values: Mapping[str, Any], note: str
    ) -> Completion | None:
        application: Application = ctx.subject
        if action.id == "schedule":
            services.schedule(
                application,
                ctx.step,
                when=_appointment(values.get("scheduled_for")),
                place=str(values.get("place") or "").strip(),
                officer=ctx.actor,
            )
            return None
        passed = action.id == "pass"
        services.record_result(application, ctx.step, passed=passed, report=note, officer=ctx.actor)
        return Completion(
            data={"inspection_passed": passed}, note=note, action=action.id, label=action.label
        )

    def status(self, subject: Application, step: ReadyStep) -> str:
        return Status.INSPECTION


def _appointment(value: Any) -> dt.datetime:
    when = parse_datetime(str(value or "").strip()) if value else None
    if when is None:
        raise StepError(_("Please give the appointment date and time, e.g. 2026-12-05T10:00"))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    # Today counts: an inspector who visits today records the visit, then the result.
    if timezone.localtime(when).date() < timezone.localdate():
        raise StepError(_("The appointment cannot be on a day that has passed"))
    return when
