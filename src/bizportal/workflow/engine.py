"""A thin adapter over SpiffWorkflow's BPMN engine.

Why an adapter: services speak in "process runs with ready steps", not in parsers,
task trees and serializers; keeping every SpiffWorkflow import here means a library
upgrade touches one file.

What it adds to the engine, and why:

* Process files are ``workflow/bpmn/<process_id>.bpmn``, validated against the BPMN
  2.0 XSD when first parsed, and the parsed spec is cached per process id.
* A user task's ``camunda:formData`` (a standard Camunda extension that modellers
  edit in a form panel) declares what completing it must supply: enum options,
  booleans, strings, required. :meth:`ProcessRun.complete` refuses any other value
  *before* the engine moves, so a typo never stalls a process at a gateway; and the
  fields of a step are cleared before each completion, so a value from an earlier
  round (``decision == "correct"``) can never decide a later one.
* The serialized state embeds the spec it was started with: a process that is in
  flight when its BPMN file changes finishes on the version it started on.
* Expressions (gateway conditions) run with no builtins: they only compare data.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, FormField
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .errors import InvalidTaskData, ProcessDefinitionError, TaskNotReady, UnknownProcess

PROCESS_DIR = Path(__file__).resolve().parent / "bpmn"
DEFAULT_PROCESS_ID = "standard_licence"
_PROCESS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")

SCRIPT_ENGINE = PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": {}}))
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))


@functools.cache
def _validator() -> BpmnValidator:
    return BpmnValidator()


@functools.cache
def load_spec(process_id: str) -> tuple[Any, dict[str, Any]]:
    """Parse ``bpmn/<process_id>.bpmn`` once per process: (process spec, subprocess specs)."""
    path = PROCESS_DIR / f"{process_id}.bpmn"
    if not _PROCESS_ID.match(process_id) or not path.is_file():
        known = ", ".join(available_processes()) or "-"
        raise UnknownProcess(
            f"ไม่พบกระบวนงาน {process_id!r} (ที่มี: {known}) / "
            f"No process named {process_id!r} (available: {known})"
        )
    parser = CamundaParser(validator=_validator())
    try:
        parser.add_bpmn_file(str(path))
        spec = parser.get_spec(process_id)
        subprocesses = parser.get_subprocess_specs(process_id)
    except (OSError, etree.LxmlError, SpiffWorkflowException) as error:
        raise ProcessDefinitionError(
            f"กระบวนงาน {process_id} ใช้งานไม่ได้ ({error}) / "
            f"Process {process_id} cannot be used ({error})"
        ) from error
    return spec, subprocesses


def available_processes() -> list[str]:
    """Process ids a service may name (one per file in ``workflow/bpmn/``)."""
    return sorted(path.stem for path in PROCESS_DIR.glob("*.bpmn"))


@dataclass(frozen=True)
class ReadyTask:
    """A step the process waits for: its id, its "ไทย / English" name, who acts (lane)."""

    name: str
    label: str
    lane: str | None


def _is_required(field: FormField) -> bool:
    # FormField.has_validation() tests the constraint's *config*, which a bare
    # <camunda:constraint name="required"/> leaves empty, so look at the names.
    return any(validation.name == "required" for validation in field.validation)


def _labels(field: FormField) -> tuple[str, str]:
    """Split a "ไทย / English" form label, falling back to the field id."""
    thai, _, english = (field.label or "").partition(" / ")
    return (thai or field.id, english or thai or field.id)


def _check_field(task_name: str, field: FormField, value: Any) -> None:
    """Refuse a value the step's form does not allow, naming the step and the options."""
    th, en = _labels(field)
    if isinstance(field, EnumFormField):
        options = [option.id for option in field.options]
        if value not in options:
            shown = ", ".join(options)
            raise InvalidTaskData(
                f"{th}: ค่า {value!r} ใช้ไม่ได้ในขั้นตอน {task_name} (เลือกได้: {shown}) / "
                f"{en}: {value!r} is not allowed at step {task_name} (choose one of: {shown})"
            )
    elif field.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidTaskData(
                f"{th}: ต้องเป็น true หรือ false (ได้รับ {value!r}) / "
                f"{en}: must be true or false (got {value!r})"
            )
    elif field.type == "long":
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidTaskData(
                f"{th}: ต้องเป็นจำนวนเต็ม (ได้รับ {value!r}) / "
                f"{en}: must be a whole number (got {value!r})"
            )
    elif not isinstance(value, str) or (_is_required(field) and not value.strip()):
        raise InvalidTaskData(
            f"{th}: ต้องเป็นข้อความ (ได้รับ {value!r}) / {en}: must be text (got {value!r})"
        )


def _fields(task: Any) -> list[FormField]:
    form = getattr(task.task_spec, "form", None)
    return list(form.fields) if form is not None else []


class ProcessRun:
    """One process instance in memory: start or restore it, complete steps, save state."""

    def __init__(self, workflow: BpmnWorkflow) -> None:
        workflow.script_engine = SCRIPT_ENGINE
        self._workflow = workflow

    @classmethod
    def start(cls, process_id: str, data: dict[str, Any] | None = None) -> ProcessRun:
        """Start ``process_id`` with ``data`` and run engine steps to the first user task."""
        spec, subprocesses = load_spec(process_id)
        workflow = BpmnWorkflow(spec, subprocesses, script_engine=SCRIPT_ENGINE)
        workflow.task_tree.data.update(data or {})
        run = cls(workflow)
        run._advance(None)
        return run

    @classmethod
    def restore(cls, state: str) -> ProcessRun:
        """Rebuild a run from :meth:`state` output, byte for byte as it was stored."""
        try:
            workflow = _SERIALIZER.deserialize_json(state)
        except (KeyError, TypeError, ValueError, SpiffWorkflowException) as error:
            raise ProcessDefinitionError(
                f"อ่านสถานะกระบวนงานไม่ได้ ({error}) / "
                f"The saved process state cannot be read ({error})"
            ) from error
        return cls(workflow)

    def state(self) -> str:
        """The whole run (spec included) as JSON text."""
        return str(_SERIALIZER.serialize_json(self._workflow))

    @property
    def process_id(self) -> str:
        return str(self._workflow.spec.name)

    @property
    def completed(self) -> bool:
        return bool(self._workflow.is_completed())

    def ready_tasks(self) -> list[ReadyTask]:
        """User tasks waiting for someone, in the order the engine reports them."""
        return [
            ReadyTask(
                name=task.task_spec.name,
                label=task.task_spec.bpmn_name or task.task_spec.name,
                lane=task.task_spec.lane,
            )
            for task in self._workflow.get_tasks(state=TaskState.READY, manual=True)
        ]

    def data(self) -> dict[str, Any]:
        """The process data: final data once completed, else what the waiting step sees."""
        if self.completed:
            return dict(self._workflow.data)
        ready = self._workflow.get_tasks(state=TaskState.READY, manual=True)
        if ready:
            return dict(ready[0].data)
        return dict(self._workflow.last_task.data) if self._workflow.last_task else {}

    def outcome(self) -> str | None:
        """Id of the end event reached (``"issued"``, ``"rejected"``), None while running."""
        if not self.completed:
            return None
        for task in self._workflow.get_tasks(state=TaskState.COMPLETED):
            if isinstance(task.task_spec, EndEvent):
                return str(task.task_spec.name)
        return None

    def complete(self, task_name: str, data: dict[str, Any]) -> list[ReadyTask]:
        """Complete the READY user task ``task_name`` with ``data``; return what is ready next.

        Raises :class:`TaskNotReady` if the process is not waiting for that step and
        :class:`InvalidTaskData` if ``data`` does not fit the step's form; in both
        cases nothing has changed.
        """
        candidates = self._workflow.get_tasks(
            state=TaskState.READY, manual=True, spec_name=task_name
        )
        if not candidates:
            waiting = ", ".join(task.name for task in self.ready_tasks()) or "-"
            if self.completed:
                raise TaskNotReady(
                    f"กระบวนงานสิ้นสุดแล้ว ทำขั้นตอน {task_name} ไม่ได้ / "
                    f"The process has ended; step {task_name} cannot be done"
                )
            raise TaskNotReady(
                f"ขั้นตอน {task_name} ยังไม่ถึงหรือผ่านไปแล้ว (รอ: {waiting}) / "
                f"Step {task_name} is not the one the process is waiting for "
                f"(waiting for: {waiting})"
            )
        task = candidates[0]
        if not isinstance(data, dict):
            raise InvalidTaskData("ข้อมูลของขั้นตอนต้องเป็น dict / Step data must be a mapping")
        fields = {field.id: field for field in _fields(task)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            allowed = ", ".join(fields) or "-"
            raise InvalidTaskData(
                f"ขั้นตอน {task_name} ไม่รับข้อมูล {', '.join(unknown)} (รับได้: {allowed}) / "
                f"Step {task_name} does not take {', '.join(unknown)} (it takes: {allowed})"
            )
        for field_id, field in fields.items():
            if field_id in data:
                _check_field(task_name, field, data[field_id])
            elif _is_required(field):
                th, en = _labels(field)
                raise InvalidTaskData(
                    f"ขั้นตอน {task_name} ต้องระบุ{th} / Step {task_name} needs: {en}"
                )
        for field_id in fields:
            task.data.pop(field_id, None)
        task.data.update(data)
        self._advance(task)
        return self.ready_tasks()

    def _advance(self, task: Any) -> None:
        """Run ``task`` (if any) and then every engine step up to the next user tasks."""
        try:
            if task is not None:
                task.run()
            self._workflow.do_engine_steps()
        except SpiffWorkflowException as error:
            # Form checks make this unreachable for the shipped processes; a BPMN file
            # whose conditions do not cover its form's options would end up here.
            raise InvalidTaskData(
                f"กระบวนงานไปต่อไม่ได้ด้วยข้อมูลนี้ ({error}) / "
                f"The process cannot continue with these values ({error})"
            ) from error
