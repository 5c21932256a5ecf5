"""A thin adapter over SpiffWorkflow's DMN engine.

Why an adapter: the rest of Biz Portal should speak in "decision tables with typed
inputs", not in SpiffWorkflow parsers, engines and tasks. Keeping every SpiffWorkflow
import here means a library upgrade touches one file.

SpiffWorkflow evaluates a decision table against a *task*: it reads ``task.data`` for
the input values and ``task.workflow.script_engine`` to evaluate the (Python)
expressions of the table. A fee is decided outside any running process, so
:class:`_Evaluation` supplies exactly that slice of a task (plus the names the
engine's error messages mention) and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.exceptions import SpiffWorkflowException

#: Expressions in our tables only compare values, so they run with no builtins at all:
#: a table cannot call ``open`` or ``__import__`` even if someone writes it that way.
SCRIPT_ENGINE = PythonScriptEngine(environment=TaskDataEnvironment({"__builtins__": {}}))


class DecisionTableError(Exception):
    """The table itself is unusable (bad file, unsupported construct, failing expression).

    This is an authoring problem, never the applicant's: callers translate it into
    their own bilingual message.
    """


@dataclass(frozen=True)
class DecisionInput:
    """One input column: the answer it reads and how that answer must be typed."""

    expression: str
    label: str
    type_ref: str


@dataclass(frozen=True)
class DecisionOutput:
    name: str
    label: str
    type_ref: str


class _Scope:
    """The part of a SpiffWorkflow workflow the DMN engine touches."""

    def __init__(self, source: str) -> None:
        self.script_engine = SCRIPT_ENGINE
        self.spec = _Named(file=source)
        self.top_workflow = self


class _Named:
    def __init__(self, **attributes: str) -> None:
        self.__dict__.update(attributes)


class _Evaluation:
    """The part of a SpiffWorkflow task the DMN engine reads (see module docstring)."""

    def __init__(self, data: dict[str, Any], decision_id: str, source: str) -> None:
        self.data = data
        self.workflow = _Scope(source)
        self.task_spec = _Named(bpmn_name=decision_id, name=decision_id)


class DecisionTable:
    """One parsed DMN decision table, ready to evaluate many times."""

    def __init__(self, decision_id: str, name: str, engine: DMNEngine, source: Path) -> None:
        self.decision_id = decision_id
        self.name = name
        self._engine = engine
        self.source = source
        table = engine.decision_table
        self.hit_policy: str = table.hit_policy
        self.inputs: tuple[DecisionInput, ...] = tuple(
            DecisionInput(
                expression=(i.expression or "").strip(),
                label=i.label or "",
                type_ref=i.typeRef or "",
            )
            for i in table.inputs
        )
        self.outputs: tuple[DecisionOutput, ...] = tuple(
            DecisionOutput(
                name=o.name or o.label or "", label=o.label or "", type_ref=o.typeRef or ""
            )
            for o in table.outputs
        )
        self.rule_count = len(table.rules)

    @classmethod
    def load(cls, path: Path, decision_id: str) -> DecisionTable:
        """Parse and schema-validate ``path`` (DMN 1.1 to 1.3) and return ``decision_id``."""
        # With a validator set, SpiffWorkflow also checks the file against the DMN XSD it
        # ships for the file's namespace: a table a modeller could not open is refused here.
        parser = BpmnDmnParser(validator=BpmnValidator())
        try:
            parser.add_dmn_file(str(path))
            engine = parser.get_engine(decision_id, None)
        except (OSError, etree.LxmlError, SpiffWorkflowException) as error:
            raise DecisionTableError(f"{path.name}: {error}") from error
        name = parser.dmn_parsers[decision_id].get_name() or decision_id
        return cls(decision_id, name, engine, path)

    def evaluate(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the outputs of every matching rule (one for UNIQUE, many for COLLECT).

        ``values`` is the whole evaluation context: nothing else is visible to the
        table's expressions.
        """
        evaluation = _Evaluation(dict(values), self.decision_id, self.source.name)
        try:
            rules = self._engine.decide(evaluation)
            return [dict(rule.output_as_dict(evaluation)) for rule in rules]
        except SpiffWorkflowException as error:
            raise DecisionTableError(f"{self.source.name}: {error}") from error
