"""Every change to inspections happens here, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.applications.models import Application
from bizportal.core import audit, events
from bizportal.core.thai import thai_date
from bizportal.workflow.engine import ReadyStep
from bizportal.workflow.steps import StepError

from .events import INSPECTION_SCHEDULED
from .models import Inspection


def current(application: Application, step: ReadyStep) -> Inspection | None:
    return Inspection.objects.filter(task_id=step.task_id).first()


def schedule(
    application: Application, step: ReadyStep, *, when: dt.datetime, place: str, officer: Any
) -> Inspection:
    """Make or move the appointment for this inspection step; the applicant is told."""
    inspection, created = Inspection.objects.get_or_create(
        task_id=step.task_id, defaults={"application": application, "step": step.spec.id}
    )
    if inspection.result:
        raise StepError(_("The result is already recorded"))
    inspection.scheduled_for = when
    inspection.place = place
    inspection.scheduled_by = officer
    inspection.save()
    audit.record(
        "inspection.scheduled" if created else "inspection.rescheduled",
        application,
        actor=officer,
        step=step.spec.id,
        scheduled_for=when.isoformat(),
        place=place,
    )
    events.publish(
        INSPECTION_SCHEDULED,
        application,
        {
            "reference": application.reference or "",
            "scheduled_for": when.isoformat(),
            "place": place,
            "agency": application.agency.code,
            "service": application.service.slug,
        },
        actor=officer,
    )
    return inspection


def record_result(
    application: Application, step: ReadyStep, *, passed: bool, report: str, officer: Any
) -> Inspection:
    """The inspector's finding; refused before an appointment was made."""
    inspection = current(application, step)
    if inspection is None or inspection.scheduled_for is None:
        raise StepError(_("Please schedule the inspection before recording its result"))
    inspection.result = Inspection.Result.PASSED if passed else Inspection.Result.FAILED
    inspection.report = report
    inspection.inspected_by = officer
    inspection.recorded_at = timezone.now()
    inspection.save()
    audit.record(
        "inspection.recorded",
        application,
        actor=officer,
        step=step.spec.id,
        result=inspection.result,
        scheduled_for=thai_date(inspection.scheduled_for, with_time=True),
    )
    return inspection
