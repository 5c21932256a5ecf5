"""Step types: the typed registry that turns a BPMN task into work.

Why: a process drawn in BPMN says *what* happens in which order; a step's type says
*how*. ``biz:taskType="payment"`` means "invoice the fee and wait for the bank",
whatever the step is called and wherever it sits in the drawing, so a new process
shape needs no code, only a BPMN file that uses known types. (Altinn 3 types its
process tasks the same way: data, confirmation, payment, signing, feedback.)

Each type is a :class:`StepHandler` contributed by the app that owns the work and
registered here under its type name::

    @step_types.register("payment")
    class PaymentStep(StepHandler):
        performer = Performer.SYSTEM ...

The workflow app only reads processes and calls handlers; it knows no step of any
process and no domain. What the handler is handed as ``subject`` (an application)
is its own business.

Lifecycle of a step (see ``docs/dev/workflow.md``):

1. ``check(step)`` when a BPMN version is uploaded: options and fields make sense.
2. ``enter(ctx)`` in the transaction that reached the step: prepare (raise the
   invoice); may return a :class:`Completion` to finish the step at once.
3. Then, by performer: a person calls one of ``actions(step)`` through ``act(...)``;
   the system runs ``perform(ctx)`` in a background task; an outside system's
   message completes it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from bizportal.core.registry import Registry

from .engine import ParsedProcess, ReadyStep, StepField, StepSpec


class Performer(StrEnum):
    """Who completes a step of this type."""

    APPLICANT = "applicant"
    OFFICER = "officer"
    SYSTEM = "system"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Action:
    """Something a person may do at a step: approve, request a correction, schedule ...

    ``completes`` is False for actions that record something without moving the
    process (schedule an inspection). ``fields`` are extra values the action takes.
    """

    id: str
    label: str
    completes: bool = True
    note_required: bool = False
    fields: tuple[StepField, ...] = ()


@dataclass(frozen=True)
class Completion:
    """How a step ended: the data it adds to the process, and the note people see."""

    data: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    action: str = ""
    #: What the history shows for the action, "ไทย / English" (the action's label).
    label: str = ""


@dataclass(frozen=True)
class CompletedStep:
    """A step that just ended, as the history and the next step see it."""

    step: ReadyStep
    completion: Completion
    actor: Any = None
    actor_label: str = ""


@dataclass(frozen=True)
class StepContext:
    """What a handler is handed: the subject, the step, and how the process got here."""

    subject: Any
    step: ReadyStep
    data: Mapping[str, Any]
    actor: Any = None
    previous: CompletedStep | None = None


class StepError(Exception):
    """A person's action at a step is refused; ``str(error)`` says why (gettext)."""


class StepHandler(ABC):
    """Base of every step type. Subclasses set the class attributes and override hooks."""

    type: ClassVar[str] = ""
    performer: ClassVar[Performer]
    description: ClassVar[str] = ""
    #: ``biz:*`` options the type understands: name -> required.
    options: ClassVar[Mapping[str, bool]] = {}
    #: Process data keys a completion of this type sets (gateways may read them).
    outputs: ClassVar[frozenset[str]] = frozenset()

    def check(self, step: StepSpec) -> list[str]:
        """Problems with how ``step`` is drawn (beyond its options); [] when fine."""
        return []

    def enter(self, ctx: StepContext) -> Completion | None:
        """Prepare the step; return a Completion to finish it at once."""
        return None

    def actions(self, step: StepSpec) -> list[Action]:
        """What the performer may do at ``step`` (people's steps only)."""
        return []

    def act(
        self, ctx: StepContext, action: Action, values: Mapping[str, Any], note: str
    ) -> Completion | None:
        """Do ``action`` (already checked to be one of :meth:`actions`)."""
        return Completion(action=action.id, note=note)

    def perform(self, ctx: StepContext) -> Completion:
        """Do the system's work at the step (system steps only, in a background task)."""
        raise StepError(
            _("Steps of type %(type)s are not performed by the system") % {"type": self.type}
        )

    @abstractmethod
    def status(self, subject: Any, step: ReadyStep) -> str:
        """The status people see while the process waits at ``step``."""


step_types: Registry[StepHandler] = Registry("step type")

#: ``biz:*`` options every step type takes. ``olaDays``: the working days the agency
#: gives itself for the step (its operational level agreement), declared on the step
#: in the process because the same type (a review) takes a day in one service and a
#: month in another. Only the agency's steps (officer and outside-system performers)
#: have one; a step without it gets the citizen manual's longest stage
#: (``service_levels``).
COMMON_OPTIONS = frozenset({"olaDays"})

#: Performers whose steps run on the agency's time, and so have an OLA.
AGENCY_PERFORMERS = frozenset({Performer.OFFICER, Performer.EXTERNAL})


def ola_days(step: StepSpec) -> int | None:
    """The step's declared ``biz:olaDays`` (None when not declared)."""
    raw = step.options.get("olaDays", "").strip()
    return int(raw) if raw else None


#: Whole-process checks contributed by the apps that run processes (for example
#: "an application process starts with the applicant's data"): each returns problems.
process_checks: list[Callable[[ParsedProcess], list[str]]] = []


def handler_for(step: StepSpec | ReadyStep) -> StepHandler:
    spec = step.spec if isinstance(step, ReadyStep) else step
    return step_types[spec.type]


def check_step(step: StepSpec) -> list[str]:
    """Every problem with one typed step: unknown type, options, and the type's own checks."""
    if step.type not in step_types:
        known = ", ".join(sorted(name for name, _ in step_types)) or "-"
        return [f"step {step.id}: unknown biz:taskType {step.type!r} (known: {known})"]
    handler = step_types[step.type]
    problems = [
        f"step {step.id}: {step.type} does not take the option biz:{name}"
        for name in sorted(set(step.options) - set(handler.options) - COMMON_OPTIONS)
    ]
    raw_ola = step.options.get("olaDays", "").strip()
    if raw_ola and (not re.fullmatch(r"[0-9]{1,4}", raw_ola) or not 0 < int(raw_ola) <= 2000):
        problems.append(
            f"step {step.id}: biz:olaDays must be a whole number of working days (1-2000)"
        )
    elif raw_ola and handler.performer not in AGENCY_PERFORMERS:
        problems.append(
            f"step {step.id}: biz:olaDays is for the agency's steps (officer or outside "
            f"system), not {handler.performer} steps"
        )
    problems += [
        f"step {step.id}: {step.type} needs the option biz:{name}"
        for name, required in sorted(handler.options.items())
        if required and not step.options.get(name, "").strip()
    ]
    problems += [f"step {step.id}: {problem}" for problem in handler.check(step)]
    return problems
