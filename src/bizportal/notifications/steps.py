"""The ``notify`` step type: send a message from a template, then go on at once.

``biz:template`` names a ``step.<name>`` message of the catalogue (checked when the
BPMN file is uploaded; its text is an editable template); ``biz:to`` is ``applicant``
(default) or ``agency`` (the owning agency's e-mail). The message is sent after commit
by the outbox, so a process that rolls back sends nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from bizportal.applications.models import Application
from bizportal.core import events
from bizportal.workflow.engine import ReadyStep, StepSpec
from bizportal.workflow.steps import Completion, Performer, StepContext, StepHandler, step_types

from .catalogue import step_message_names
from .events import MESSAGE_REQUESTED
from .subscribers import RECIPIENTS


@step_types.register("notify")
class NotifyStep(StepHandler):
    type = "notify"
    performer = Performer.SYSTEM
    description = _("Sends a message from a template")  # type: ignore[assignment]
    options = {"template": True, "to": False}

    def check(self, step: StepSpec) -> list[str]:
        problems = []
        template = step.options.get("template", "")
        if template and template not in step_message_names():
            known = ", ".join(step_message_names())
            problems.append(f"unknown message template {template!r} (known: {known})")
        to = step.options.get("to", "applicant")
        if to not in RECIPIENTS:
            problems.append(f"biz:to must be one of {', '.join(RECIPIENTS)} (got {to!r})")
        return problems

    def enter(self, ctx: StepContext) -> Completion | None:
        application: Application = ctx.subject
        options = ctx.step.spec.options
        events.publish(
            MESSAGE_REQUESTED,
            application,
            {
                "template": options["template"],
                "to": options.get("to", "applicant"),
                "reference": application.reference or "",
                "step": ctx.step.spec.id,
            },
        )
        return Completion(
            action="sent", note=options["template"], label=gettext_noop("Message sent")
        )

    def status(self, subject: Application, step: ReadyStep) -> str:
        return subject.status  # never waited at: it completes as it is entered
