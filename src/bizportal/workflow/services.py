"""Running each application through its BPMN process.

Why: what may happen next to an application (review, correction, inspection,
payment) is decided by the process its service names, drawn in BPMN, not by
if-statements spread over views. The applications app asks this module which steps
are ready and completes them; a step that is not ready is refused.

Every state change happens here, in one transaction with its audit record.

Public interface (the applications app calls exactly these):

* :func:`start_process` ``(application) -> ProcessInstance``
* :func:`ready_tasks` ``(application) -> list[str]``
* :func:`complete_task` ``(application, task_name, data, *, actor=None) -> list[str]``
* :func:`is_completed` ``(application) -> bool``
* :func:`process_data` ``(application) -> dict``

plus :func:`ready_task_details` (who acts on each ready step) and :func:`outcome`
(which end event was reached), and the errors re-exported from :mod:`.errors`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bizportal.core import audit

from .engine import DEFAULT_PROCESS_ID, ProcessRun, ReadyTask
from .errors import (
    InvalidTaskData,
    ProcessAlreadyStarted,
    ProcessDefinitionError,
    ProcessNotStarted,
    TaskNotReady,
    UnknownProcess,
    WorkflowError,
)
from .models import ProcessInstance

__all__ = [
    "DEFAULT_PROCESS_ID",
    "InvalidTaskData",
    "ProcessAlreadyStarted",
    "ProcessDefinitionError",
    "ProcessNotStarted",
    "ReadyTask",
    "TaskNotReady",
    "UnknownProcess",
    "WorkflowError",
    "complete_task",
    "is_completed",
    "outcome",
    "process_data",
    "process_id_for",
    "ready_task_details",
    "ready_tasks",
    "start_process",
]


def process_id_for(service: Any) -> str:
    """The process a service names; blank means the standard licence process."""
    return str(getattr(service, "process_id", "") or "").strip() or DEFAULT_PROCESS_ID


def _instance(application: Any, *, lock: bool = False) -> ProcessInstance | None:
    queryset = ProcessInstance.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    return queryset.filter(application_id=application.pk).first()


def _run(application: Any) -> ProcessRun | None:
    instance = _instance(application)
    return ProcessRun.restore(instance.state) if instance is not None else None


@transaction.atomic
def start_process(application: Any, *, actor: Any = None) -> ProcessInstance:
    """Start the process the application's service names and stop at its first user task.

    Called by the applications app when a draft is submitted, inside the same
    transaction, so an application is never submitted without a process.
    """
    process_id = process_id_for(application.service)
    if _instance(application, lock=True) is not None:
        raise ProcessAlreadyStarted(
            f"คำขอ {application} เริ่มกระบวนงานแล้ว / "
            f"The process of application {application} has already started"
        )
    run = ProcessRun.start(process_id, {"reference": application.reference or ""})
    instance = ProcessInstance.objects.create(
        application=application, process_id=process_id, state=run.state(), completed=run.completed
    )
    ready = [task.name for task in run.ready_tasks()]
    audit.record("workflow.started", application, actor=actor, process_id=process_id, ready=ready)
    return instance


def ready_tasks(application: Any) -> list[str]:
    """Names of the user tasks the process waits for (``[]`` before start or after the end)."""
    return [task.name for task in ready_task_details(application)]


def ready_task_details(application: Any) -> list[ReadyTask]:
    """The ready user tasks with their bilingual names and lanes (officer/applicant/system)."""
    run = _run(application)
    return run.ready_tasks() if run is not None else []


@transaction.atomic
def complete_task(
    application: Any, task_name: str, data: dict[str, Any], *, actor: Any = None
) -> list[str]:
    """Complete the READY user task ``task_name`` with ``data`` and return the new ready tasks.

    The instance row is locked (``select_for_update``) so two officers clicking at once
    complete the step once; the second gets :class:`TaskNotReady`. Values are checked
    against the step's form in the BPMN file (:class:`InvalidTaskData`). On any refusal
    nothing is saved and no audit event is written.
    """
    instance = _instance(application, lock=True)
    if instance is None:
        raise ProcessNotStarted(
            f"คำขอ {application} ยังไม่ได้เริ่มกระบวนงาน ทำขั้นตอน {task_name} ไม่ได้ / "
            f"Application {application} has no process yet; step {task_name} cannot be done"
        )
    run = ProcessRun.restore(instance.state)
    ready = [task.name for task in run.complete(task_name, data)]
    instance.state = run.state()
    instance.completed = run.completed
    instance.save(update_fields=["state", "completed", "updated_at"])
    audit.record(
        "workflow.task_completed",
        application,
        actor=actor,
        process_id=instance.process_id,
        task=task_name,
        data=dict(data),
        ready=ready,
        completed=run.completed,
        outcome=run.outcome(),
    )
    return ready


def is_completed(application: Any) -> bool:
    """Whether the process reached an end event (issued or rejected)."""
    instance = _instance(application)
    return bool(instance and instance.completed)


def process_data(application: Any) -> dict[str, Any]:
    """The data the process has gathered (decisions, inspection result, invoice)."""
    run = _run(application)
    return run.data() if run is not None else {}


def outcome(application: Any) -> str | None:
    """The end event reached (``"issued"`` or ``"rejected"``), None while running."""
    run = _run(application)
    return run.outcome() if run is not None else None
