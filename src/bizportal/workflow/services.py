"""Process definitions as versioned data, and running them step by step.

Why: what may happen next to an application is decided by the BPMN process its
service names, not by code. Processes live in the database as versions: the files in
``workflow/bpmn/`` are loaded as versions when the database is migrated, and an
agency admin uploads new ones through the admin. An upload is validated (schema,
step types known, options, gateway conditions) before it may go live, and an
instance finishes on the version it started on.

Running is generic: the caller (the applications app) hands in its *subject* and
gets back a :class:`Transition` saying which steps were completed and entered and
where the process now waits. Step handlers (:mod:`.steps`) do the work at each step;
this module never names a step.

Every change here runs inside the caller's transaction with its audit record.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bizportal.core import audit

from .engine import MAX_ENGINE_LOOPS, ParsedProcess, ProcessRun, ReadyStep, parse_process
from .errors import (
    InvalidTaskData,
    ProcessDefinitionError,
    TaskNotReady,
    UnknownProcess,
    WorkflowError,
)
from .models import ProcessDefinition, ProcessInstance, ProcessVersion, VersionStatus
from .steps import (
    CompletedStep,
    Completion,
    Performer,
    StepContext,
    check_step,
    handler_for,
    process_checks,
)

__all__ = [
    "InvalidTaskData",
    "ProcessDefinitionError",
    "TaskNotReady",
    "Transition",
    "UnknownProcess",
    "WorkflowError",
    "complete_step",
    "discard",
    "live_version",
    "parsed",
    "process_data",
    "publish_version",
    "ready_steps",
    "start",
    "sync_shipped_processes",
    "upload_version",
    "validate",
]

SHIPPED_DIR = Path(__file__).resolve().parent / "bpmn"
OUTCOMES = ("approved", "rejected", "withdrawn")


# --- definitions and versions ------------------------------------------------------


def validate(process: ParsedProcess) -> list[str]:
    """Every reason ``process`` may not go live; [] when it may."""
    problems = [f"task {name} has no biz:taskType" for name in process.untyped_tasks]
    problems += list(process.bad_conditions)
    for step in process.steps:
        problems += check_step(step)
    if not process.ends:
        problems.append("the process has no end event")
    for end in process.ends:
        if end.outcome not in OUTCOMES:
            problems.append(
                f"end event {end.id}: biz:outcome must be one of {', '.join(OUTCOMES)} "
                f"(got {end.outcome or 'nothing'!r})"
            )
    for process_check in process_checks:
        problems += process_check(process)
    return problems


def _parse_valid(source: str | bytes) -> ParsedProcess:
    process = parse_process(source)
    problems = validate(process)
    if problems:
        listed = "; ".join(problems)
        raise ProcessDefinitionError(
            _("Process %(process_id)s cannot go live: %(listed)s")
            % {"process_id": process.process_id, "listed": listed}
        )
    return process


@functools.lru_cache(maxsize=256)
def _parsed(version_id: int, sha256: str) -> ParsedProcess:
    source = ProcessVersion.objects.values_list("source", flat=True).get(pk=version_id)
    return parse_process(source)


def parsed(version: ProcessVersion) -> ParsedProcess:
    """The parsed process of ``version``, parsed once per worker (versions never change)."""
    return _parsed(version.pk, version.sha256)


def live_version(key: str) -> ProcessVersion:
    """The version new applications of process ``key`` start on."""
    version = (
        ProcessVersion.objects.select_related("definition")
        .filter(definition__key=key, status=VersionStatus.LIVE)
        .first()
    )
    if version is None:
        known = ", ".join(
            ProcessDefinition.objects.filter(versions__status=VersionStatus.LIVE)
            .values_list("key", flat=True)
            .distinct()
        )
        raise UnknownProcess(
            _("No live process named %(key)r (available: %(known)s)")
            % {"key": key, "known": known or "-"}
        )
    return version


@transaction.atomic
def upload_version(
    source: str | bytes, *, actor: Any = None, agency: Any = None, name: str = ""
) -> ProcessVersion:
    """Save a validated BPMN file as a new draft version of its process.

    The process id in the file names the definition (created if new). Refuses, saving
    nothing, a file that fails any check of :func:`validate`, or a process owned by
    another agency.
    """
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    process = _parse_valid(text)
    definition, _created = ProcessDefinition.objects.get_or_create(
        key=process.process_id, defaults={"name": name or process.name, "agency": agency}
    )
    if agency is not None and definition.agency_id not in (None, agency.pk):
        raise ProcessDefinitionError(
            _("Process %(key)s belongs to another agency") % {"key": definition.key}
        )
    version = _new_version(definition, text, process, actor=actor)
    audit.record(
        "workflow.version_uploaded",
        version,
        actor=actor,
        process=definition.key,
        number=version.number,
        sha256=version.sha256,
    )
    return version


def _new_version(
    definition: ProcessDefinition, text: str, process: ParsedProcess, *, actor: Any
) -> ProcessVersion:
    definition = ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
    last = definition.versions.aggregate(last=Max("number"))["last"] or 0
    return ProcessVersion.objects.create(
        definition=definition,
        number=last + 1,
        source=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        summary=process.summary(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


@transaction.atomic
def publish_version(version: ProcessVersion, *, actor: Any = None) -> ProcessVersion:
    """Make a draft version live; the previous live version retires (running instances
    keep running on it)."""
    version = ProcessVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ProcessDefinitionError(
            _("Only a draft can go live (version %(number)s is %(status)s)")
            % {"number": version.number, "status": version.status}
        )
    _parse_valid(version.source)  # step types may have changed since the upload
    now = timezone.now()
    retired = ProcessVersion.objects.filter(
        definition_id=version.definition_id, status=VersionStatus.LIVE
    ).update(status=VersionStatus.RETIRED)
    version.status = VersionStatus.LIVE
    version.published_at = now
    version.published_by = actor if getattr(actor, "is_authenticated", False) else None
    version.save(update_fields=["status", "published_at", "published_by"])
    audit.record(
        "workflow.version_published",
        version,
        actor=actor,
        process=version.definition.key,
        number=version.number,
        retired_previous=bool(retired),
    )
    return version


@transaction.atomic
def sync_shipped_processes(directory: Path = SHIPPED_DIR) -> list[ProcessVersion]:
    """Load the BPMN files shipped with the platform as live versions (idempotent).

    A file whose content matches no stored version of its process becomes that
    process's new live version, so an upgrade that changes a shipped process takes
    effect for new applications on the next ``migrate``.
    """
    loaded: list[ProcessVersion] = []
    for path in sorted(directory.glob("*.bpmn")):
        text = path.read_text(encoding="utf-8")
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if ProcessVersion.objects.filter(sha256=sha, definition__agency__isnull=True).exists():
            continue
        process = _parse_valid(text)
        definition, _created = ProcessDefinition.objects.get_or_create(
            key=process.process_id, defaults={"name": process.name}
        )
        version = _new_version(definition, text, process, actor=None)
        loaded.append(publish_version(version))
    return loaded


# --- running -----------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """What one call moved: steps completed (in order), steps entered, where it waits."""

    completed: tuple[CompletedStep, ...]
    entered: tuple[ReadyStep, ...]
    ready: tuple[ReadyStep, ...]
    ended: bool
    outcome: str


def ready_steps(instance: ProcessInstance) -> list[ReadyStep]:
    """Where the process waits, read from the instance row (no engine restore)."""
    process = parsed(instance.version)
    steps = []
    for entry in instance.ready:
        spec = process.step(entry["step"])
        if spec is not None:
            steps.append(ReadyStep(task_id=entry["task_id"], spec=spec))
    return steps


def process_data(instance: ProcessInstance) -> dict[str, Any]:
    """The data the process has gathered (decisions, inspection result, invoice)."""
    return ProcessRun.restore(instance.state, parsed(instance.version)).data()


def start(
    version: ProcessVersion,
    *,
    subject: Any,
    data: Mapping[str, Any] | None = None,
    actor: Any = None,
) -> tuple[ProcessInstance, Transition]:
    """Start ``version`` for ``subject`` and enter its first steps."""
    process = parsed(version)
    run = ProcessRun.start(process, data)
    instance = ProcessInstance(version=version)
    completed: list[CompletedStep] = []
    entered = _enter_new_steps(run, subject, actor, seen=set(), completed=completed)
    _save(instance, run)
    audit.record(
        "workflow.started",
        ("workflow.processinstance", str(instance.pk)),
        actor=actor,
        process=version.definition.key,
        version=version.number,
        ready=[step.spec.id for step in run.ready_steps()],
    )
    return instance, _transition(run, completed, entered)


def complete_step(
    instance: ProcessInstance,
    task_id: str,
    completion: Completion,
    *,
    subject: Any,
    actor: Any = None,
    actor_label: str = "",
) -> Transition:
    """Complete the waiting step ``task_id`` and run on to the next waiting steps.

    The caller holds the lock on its subject, so two people completing the same step
    at once queue there and the second gets :class:`TaskNotReady`. Refusals
    (:class:`TaskNotReady`, :class:`InvalidTaskData`) change nothing.
    """
    process = parsed(instance.version)
    run = ProcessRun.restore(instance.state, process)
    waiting = {step.task_id: step for step in run.ready_steps()}
    step = waiting.get(task_id)
    if step is None:
        shown = ", ".join(s.spec.id for s in waiting.values()) or "-"
        raise TaskNotReady(
            _("That step is not one the process is waiting for (waiting for: %(waiting)s)")
            % {"waiting": shown}
        )
    run.complete(task_id, completion.data, extra=handler_for(step).outputs)
    done = CompletedStep(step, completion, actor=actor, actor_label=actor_label)
    completed = [done]
    entered = _enter_new_steps(run, subject, actor, seen=set(waiting), completed=completed)
    _save(instance, run)
    audit.record(
        "workflow.step_completed",
        ("workflow.processinstance", str(instance.pk)),
        actor=actor,
        actor_label=actor_label,
        step=step.spec.id,
        type=step.spec.type,
        decision=completion.action,
        data={key: _plain(value) for key, value in completion.data.items()},
        ready=[s.spec.id for s in run.ready_steps()],
        outcome=run.outcome(),
    )
    return _transition(run, completed, entered)


def discard(instance: ProcessInstance, *, actor: Any = None) -> None:
    """Delete the run of a subject that is itself being deleted (a draft its applicant
    discards before it reached anyone); the audit trail keeps that it existed."""
    audit.record(
        "workflow.discarded",
        ("workflow.processinstance", str(instance.pk)),
        actor=actor,
        process=instance.version.definition.key,
        version=instance.version.number,
        waiting=[entry.get("step", "") for entry in instance.ready],
    )
    instance.delete()


def _enter_new_steps(
    run: ProcessRun,
    subject: Any,
    actor: Any,
    *,
    seen: set[str],
    completed: list[CompletedStep],
) -> list[ReadyStep]:
    """Call ``enter`` on every step the run newly waits at; complete those that finish
    at once (a fee of zero, a notification) and go on, at most MAX_ENGINE_LOOPS times."""
    entered: list[ReadyStep] = []
    for _round in range(MAX_ENGINE_LOOPS):
        new = [step for step in run.ready_steps() if step.task_id not in seen]
        if not new:
            return entered
        for step in new:
            seen.add(step.task_id)
            entered.append(step)
            handler = handler_for(step)
            context = StepContext(
                subject=subject,
                step=step,
                data=run.step_data(step.task_id),
                actor=actor,
                previous=completed[-1] if completed else None,
            )
            completion = handler.enter(context)
            if completion is not None:
                run.complete(step.task_id, completion.data, extra=handler.outputs)
                completed.append(CompletedStep(step, completion, actor_label="Biz Portal"))
    raise WorkflowError(
        _("The process looped more than %(loops)s times without waiting")
        % {"loops": MAX_ENGINE_LOOPS}
    )


def _system_steps(steps: Iterable[ReadyStep]) -> set[str]:
    return {s.task_id for s in steps if handler_for(s).performer == Performer.SYSTEM}


def _save(instance: ProcessInstance, run: ProcessRun) -> None:
    ready = run.ready_steps()
    system = _system_steps(ready)
    instance.state = run.state()
    instance.ready = [step.as_dict() for step in ready]
    instance.completed = run.completed
    instance.outcome = run.outcome() or ""
    instance.system_due = bool(system)
    instance.save()


def _transition(
    run: ProcessRun, completed: list[CompletedStep], entered: list[ReadyStep]
) -> Transition:
    return Transition(
        completed=tuple(completed),
        entered=tuple(entered),
        ready=tuple(run.ready_steps()),
        ended=run.completed,
        outcome=run.outcome() or "",
    )


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
