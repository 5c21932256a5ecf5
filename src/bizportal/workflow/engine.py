"""A thin adapter over SpiffWorkflow's BPMN engine.

Why an adapter: the rest of Biz Portal speaks in "a process version with typed steps,
and a run that waits at some of them", not in parsers, task trees and serializers.
Every SpiffWorkflow import is in this file, so a library upgrade touches one file.

What it adds to the engine, and why:

* **Typed steps.** Each task of a process carries ``biz:taskType`` (namespace
  :data:`BIZ_NS`); its other ``biz:*`` attributes are the step's options. The engine
  parks at every typed task, even a service task it would otherwise run itself: the
  step's handler (``workflow.steps``) decides who completes it and when.
* **Decisions declared in the file.** A task's ``camunda:formData`` (Camunda's form
  panel in any modeller) lists the values completing it takes. :meth:`ProcessRun.complete`
  refuses anything else *before* the engine moves, and clears the step's fields first,
  so a value from an earlier round never decides a later one.
* **Versions without copies.** SpiffWorkflow's serialization embeds the whole spec in
  every instance (about 70% of its size). A run here is stored without it and restored
  against the :class:`ParsedProcess` of the version it started on, which the database
  keeps once.
* Gateway conditions are Python expressions run with no builtins: they compare data.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, FormField
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from .errors import InvalidTaskData, ProcessDefinitionError, TaskNotReady

BIZ_NS = "https://bizportal.go.th/schema/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_ENGINE_LOOPS = 100

SCRIPT_ENGINE = PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": {}}))
# Camunda's configuration has no converter for a plain service task; typed service
# tasks (issue-licence, payment) are plain tasks to the engine, so add the default one.
_SERIALIZER = BpmnWorkflowSerializer(
    BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, ServiceTask: BpmnTaskSpecConverter})
)


def _biz_attributes(node: Any) -> dict[str, str]:
    prefix = f"{{{BIZ_NS}}}"
    return {
        str(name)[len(prefix) :]: str(value)
        for name, value in node.attrib.items()
        if str(name).startswith(prefix)
    }


class _Typed:
    """Parser mixin: read ``biz:*`` attributes and park the engine at typed tasks."""

    node: Any

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        extensions = dict(super().parse_extensions(node))  # type: ignore[misc]
        if node is None:
            biz = _biz_attributes(self.node)
            if biz:
                extensions["biz"] = biz
        return extensions

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        if self.node.get(f"{{{BIZ_NS}}}taskType"):
            # Serialized with the spec, so a restored run parks here as well.
            task.manual = True
        return task


class _Parser(CamundaParser):
    # Every element's parser, the BPMN defaults and Camunda's overrides alike, gets the mixin.
    OVERRIDE_PARSER_CLASSES = {
        tag: (type(f"Typed{parser.__name__}", (_Typed, parser), {}), spec)
        for tag, (parser, spec) in {
            **CamundaParser.PARSER_CLASSES,
            **CamundaParser.OVERRIDE_PARSER_CLASSES,
        }.items()
    }


@functools.cache
def _validator() -> BpmnValidator:
    return BpmnValidator()


# --- what a process declares ------------------------------------------------------


@dataclass(frozen=True)
class StepField:
    """One value completing a step takes, from the task's ``camunda:formData``."""

    id: str
    label: str
    type: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StepSpec:
    """A typed step as drawn: its id, bilingual name, type, lane, options and fields."""

    id: str
    name: str
    type: str
    lane: str
    options: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[StepField, ...] = ()
    documentation: str = ""

    def field(self, field_id: str) -> StepField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "lane": self.lane,
            "options": dict(self.options),
            "fields": [
                {
                    "id": f.id,
                    "label": f.label,
                    "type": f.type,
                    "required": f.required,
                    "choices": [list(choice) for choice in f.choices],
                }
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class EndSpec:
    id: str
    name: str
    outcome: str


def _is_required(form_field: FormField) -> bool:
    # FormField.has_validation() tests the constraint's *config*, which a bare
    # <camunda:constraint name="required"/> leaves empty, so look at the names.
    return any(validation.name == "required" for validation in form_field.validation)


def _step_field(form_field: FormField) -> StepField:
    choices: tuple[tuple[str, str], ...] = ()
    if isinstance(form_field, EnumFormField):
        choices = tuple((option.id, option.name or option.id) for option in form_field.options)
    return StepField(
        id=form_field.id,
        label=form_field.label or form_field.id,
        type="enum" if choices else str(form_field.type or "string"),
        required=_is_required(form_field),
        choices=choices,
    )


def _step_spec(task_spec: Any) -> StepSpec | None:
    biz = dict(getattr(task_spec, "extensions", {}).get("biz", {}))
    step_type = biz.pop("taskType", "")
    if not step_type:
        return None
    form = getattr(task_spec, "form", None)
    return StepSpec(
        id=str(task_spec.name),
        name=str(task_spec.bpmn_name or task_spec.name),
        type=step_type,
        lane=str(task_spec.lane or ""),
        options=biz,
        fields=tuple(_step_field(f) for f in form.fields) if form is not None else (),
        documentation=str(task_spec.documentation or ""),
    )


@dataclass(frozen=True)
class ParsedProcess:
    """One process version, parsed once and shared by every run of that version."""

    process_id: str
    name: str
    spec: Any
    subprocesses: dict[str, Any]
    steps: tuple[StepSpec, ...]
    ends: tuple[EndSpec, ...]
    untyped_tasks: tuple[str, ...]
    bad_conditions: tuple[str, ...]
    spec_json: str

    def step(self, step_id: str) -> StepSpec | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def summary(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "name": self.name,
            "steps": [step.as_dict() for step in self.steps],
            "ends": [{"id": e.id, "name": e.name, "outcome": e.outcome} for e in self.ends],
        }


def _all_task_specs(spec: Any, subprocesses: Mapping[str, Any]) -> list[Any]:
    specs = list(spec.task_specs.values())
    for sub in subprocesses.values():
        specs.extend(sub.task_specs.values())
    return specs


def parse_process(source: str | bytes) -> ParsedProcess:
    """Parse and schema-check one BPMN file holding one executable process.

    Raises :class:`ProcessDefinitionError` with a bilingual message if the file is not
    XML, fails the BPMN 2.0 schema, holds no or several executable processes, or the
    engine cannot build it.
    """
    data = source.encode("utf-8") if isinstance(source, str) else source
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        raise _definition_error(f"not XML: {error}") from error
    executable = [
        p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable") == "true"
    ]
    if len(executable) != 1:
        raise _definition_error(f"expected exactly one executable process, found {len(executable)}")
    process_id = str(executable[0])
    parser = _Parser(validator=_validator())
    try:
        parser.add_bpmn_xml(root, filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocesses = parser.get_subprocess_specs(process_id)
    except (etree.LxmlError, SpiffWorkflowException) as error:
        raise _definition_error(str(error)) from error
    steps: list[StepSpec] = []
    ends: list[EndSpec] = []
    untyped: list[str] = []
    bad_conditions: list[str] = []
    for task_spec in _all_task_specs(spec, subprocesses):
        bad_conditions += _condition_problems(task_spec)
        if isinstance(task_spec, EndEvent):
            outcome = getattr(task_spec, "extensions", {}).get("biz", {}).get("outcome", "")
            ends.append(EndSpec(task_spec.name, str(task_spec.bpmn_name or ""), outcome))
            continue
        step = _step_spec(task_spec)
        if step is not None:
            steps.append(step)
        elif _is_untyped_task(task_spec):
            untyped.append(str(task_spec.name))
    workflow = BpmnWorkflow(spec, subprocesses)
    serialized = json.loads(_SERIALIZER.serialize_json(workflow))
    spec_json = json.dumps(
        {"spec": serialized["spec"], "subprocess_specs": serialized["subprocess_specs"]}
    )
    return ParsedProcess(
        process_id=process_id,
        name=str(spec.description or process_id),
        spec=spec,
        subprocesses=subprocesses,
        steps=tuple(sorted(steps, key=lambda s: s.id)),
        ends=tuple(sorted(ends, key=lambda e: e.id)),
        untyped_tasks=tuple(sorted(untyped)),
        bad_conditions=tuple(bad_conditions),
        spec_json=spec_json,
    )


def _condition_problems(task_spec: Any) -> list[str]:
    """Gateway conditions that are not Python expressions (caught at upload, not mid-journey)."""
    problems = []
    for condition, target in getattr(task_spec, "cond_task_specs", []):
        expression = getattr(condition, "args", [None])[0] if condition is not None else None
        if expression is None:
            continue
        try:
            compile(str(expression), f"<{task_spec.name}>", "eval")
        except SyntaxError as error:
            problems.append(
                f"gateway {task_spec.name} -> {target}: condition {expression!r} is not a "
                f"valid expression ({error.msg})"
            )
    return problems


def _is_untyped_task(task_spec: Any) -> bool:
    """A BPMN task (not an event or gateway) the author left without a step type."""
    bpmn_tasks = {
        "UserTask",
        "ManualTask",
        "NoneTask",
        "ServiceTask",
        "SendTask",
        "ReceiveTask",
        "BusinessRuleTask",
        "ScriptTask",
    }
    names = {cls.__name__ for cls in type(task_spec).__mro__}
    is_task = bool(names & bpmn_tasks)
    return is_task and not isinstance(task_spec, ScriptTask)


def _definition_error(detail: str) -> ProcessDefinitionError:
    return ProcessDefinitionError(
        _("The process file cannot be used (%(detail)s)") % {"detail": detail}
    )


# --- a run of a process -----------------------------------------------------------


@dataclass(frozen=True)
class ReadyStep:
    """A step the run waits at: the engine's task id and the step as drawn."""

    task_id: str
    spec: StepSpec

    def as_dict(self) -> dict[str, str]:
        return {
            "task_id": self.task_id,
            "step": self.spec.id,
            "type": self.spec.type,
            "name": self.spec.name,
            "lane": self.spec.lane,
        }


def reader_label(label: str) -> str:
    """The reader's half of a "ไทย / English" field label written in a process file (the
    agency's own data), or the whole label when it has one language only."""
    th, _sep, en = label.partition(" / ")
    if (get_language() or "th").startswith("th"):
        return th
    return en or th


def _check_field(step: StepSpec, form_field: StepField, value: Any) -> None:
    """Refuse a value the step's form does not allow, naming the step and the options."""
    label = reader_label(form_field.label)
    if form_field.choices:
        options = [choice for choice, _label in form_field.choices]
        if value not in options:
            shown = ", ".join(options)
            raise InvalidTaskData(
                _("%(label)s: %(value)r is not allowed at step %(id)s (choose one of: %(shown)s)")
                % {"label": label, "value": value, "id": step.id, "shown": shown}
            )
    elif form_field.type == "boolean":
        if not isinstance(value, bool):
            raise InvalidTaskData(
                _("%(label)s: must be true or false (got %(value)r)")
                % {"label": label, "value": value}
            )
    elif form_field.type == "long":
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidTaskData(
                _("%(label)s: must be a whole number (got %(value)r)")
                % {"label": label, "value": value}
            )
    elif not isinstance(value, str) or (form_field.required and not value.strip()):
        raise InvalidTaskData(
            _("%(label)s: must be text (got %(value)r)") % {"label": label, "value": value}
        )


def check_step_data(step: StepSpec, data: Mapping[str, Any], *, extra: frozenset[str]) -> None:
    """Check ``data`` against the step's declared fields; ``extra`` keys are the handler's."""
    declared = {f.id for f in step.fields}
    unknown = sorted(set(data) - declared - extra)
    if unknown:
        allowed = ", ".join(sorted(declared | extra)) or "-"
        raise InvalidTaskData(
            _("Step %(id)s does not take %(unknown)s (it takes: %(allowed)s)")
            % {"id": step.id, "unknown": ", ".join(unknown), "allowed": allowed}
        )
    for form_field in step.fields:
        if form_field.id in data:
            _check_field(step, form_field, data[form_field.id])
        elif form_field.required:
            label = reader_label(form_field.label)
            raise InvalidTaskData(
                _("Step %(id)s needs: %(label)s") % {"id": step.id, "label": label}
            )


class ProcessRun:
    """One process instance in memory: start or restore it, complete steps, save state."""

    def __init__(self, workflow: BpmnWorkflow, parsed: ParsedProcess) -> None:
        workflow.script_engine = SCRIPT_ENGINE
        self._workflow = workflow
        self.parsed = parsed

    @classmethod
    def start(cls, parsed: ParsedProcess, data: Mapping[str, Any] | None = None) -> ProcessRun:
        """Start a run of ``parsed`` with ``data`` and run the engine to its first steps."""
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocesses, script_engine=SCRIPT_ENGINE)
        workflow.task_tree.data.update(dict(data or {}))
        run = cls(workflow, parsed)
        run._advance(None)
        return run

    @classmethod
    def restore(cls, state: str, parsed: ParsedProcess) -> ProcessRun:
        """Rebuild a run from :meth:`state` output against the version it started on."""
        try:
            dct = json.loads(state)
            _SERIALIZER.migrate(dct)
            dct.update(json.loads(parsed.spec_json))
            workflow = _SERIALIZER.from_dict(dct)
        except (KeyError, TypeError, ValueError, SpiffWorkflowException) as error:
            raise ProcessDefinitionError(
                _("The saved process state cannot be read (%(error)s)") % {"error": error}
            ) from error
        return cls(workflow, parsed)

    def state(self) -> str:
        """The run as JSON text, without the spec its version already holds."""
        dct = json.loads(_SERIALIZER.serialize_json(self._workflow))
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        return json.dumps(dct)

    @property
    def completed(self) -> bool:
        return bool(self._workflow.is_completed())

    def ready_steps(self) -> list[ReadyStep]:
        """The typed steps the run waits at, in the engine's order."""
        ready: list[ReadyStep] = []
        for task in self._workflow.get_tasks(state=TaskState.READY, manual=True):
            step = self.parsed.step(task.task_spec.name)
            if step is not None:
                ready.append(ReadyStep(task_id=str(task.id), spec=step))
        return ready

    def step_data(self, task_id: str) -> dict[str, Any]:
        """The process data as the waiting step ``task_id`` sees it."""
        for task in self._workflow.get_tasks(state=TaskState.READY, manual=True):
            if str(task.id) == task_id:
                return dict(task.data)
        return self.data()

    def data(self) -> dict[str, Any]:
        """The process data: final data once completed, else what the first waiting step sees."""
        if self.completed:
            return dict(self._workflow.data)
        ready = self._workflow.get_tasks(state=TaskState.READY, manual=True)
        if ready:
            return dict(ready[0].data)
        return dict(self._workflow.last_task.data) if self._workflow.last_task else {}

    def outcome(self) -> str | None:
        """The ``biz:outcome`` of the end event reached; None while running."""
        if not self.completed:
            return None
        for task in self._workflow.get_tasks(state=TaskState.COMPLETED):
            if isinstance(task.task_spec, EndEvent):
                biz = getattr(task.task_spec, "extensions", {}).get("biz", {})
                return str(biz.get("outcome") or task.task_spec.name)
        return None

    def complete(
        self, task_id: str, data: Mapping[str, Any], *, extra: frozenset[str] = frozenset()
    ) -> None:
        """Complete the READY step ``task_id`` with ``data`` (checked against its fields).

        Raises :class:`TaskNotReady` if the run does not wait there and
        :class:`InvalidTaskData` if ``data`` does not fit; in both cases nothing changed.
        """
        task = next(
            (
                t
                for t in self._workflow.get_tasks(state=TaskState.READY, manual=True)
                if str(t.id) == task_id
            ),
            None,
        )
        step = self.parsed.step(task.task_spec.name) if task is not None else None
        if task is None or step is None:
            waiting = ", ".join(s.spec.id for s in self.ready_steps()) or "-"
            raise TaskNotReady(
                _("That step is not one the process is waiting for (waiting for: %(waiting)s)")
                % {"waiting": waiting}
            )
        check_step_data(step, data, extra=extra)
        for name in [f.id for f in step.fields] + sorted(extra):
            task.data.pop(name, None)
        task.data.update(dict(data))
        self._advance(task)

    def _advance(self, task: Any) -> None:
        """Run ``task`` (if any) and then every engine step up to the next parked steps."""
        try:
            if task is not None:
                # The step's handler did the work; ``run()`` would execute a service
                # task's own (empty) implementation and leave it STARTED.
                task.complete()
            self._workflow.do_engine_steps()
        except SpiffWorkflowException as error:
            # A BPMN file whose conditions do not cover its form's options ends up here.
            raise InvalidTaskData(
                _("The process cannot continue with these values (%(error)s)") % {"error": error}
            ) from error


def task_spec_names(parsed: ParsedProcess) -> list[str]:
    """Every task spec name of the process (for tests and diagnostics)."""
    return sorted(str(t.name) for t in _all_task_specs(parsed.spec, parsed.subprocesses))


__all__ = [
    "BIZ_NS",
    "MAX_ENGINE_LOOPS",
    "EndSpec",
    "ParsedProcess",
    "ProcessRun",
    "ReadyStep",
    "StepField",
    "StepSpec",
    "check_step_data",
    "parse_process",
    "task_spec_names",
]
