"""DMN decision tables with FEEL cells: loading, checking and evaluating.

Why our own small engine: SpiffWorkflow's DMN engine evaluates cells as Python and
takes the first matching rule whatever the hit policy says, so a table drawn in a
standard modeller (FEEL ``[0..50]``, hit policy COLLECT) either failed or was silently
misread. Here the file is still validated against the DMN XSD that SpiffWorkflow
ships (DMN 1.1 to 1.3), but the decision table is read with lxml, its cells are FEEL
(:mod:`.feel`, evaluated by bkflow-feel) and its hit policy is enforced.

This module knows nothing about fees or Django: :mod:`.services` adds the fee
conventions (the ``fee`` and ``item`` outputs) and the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import feel

#: DMN model namespaces we accept, with the version a person would recognise.
DMN_VERSIONS = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
}
SUPPORTED_HIT_POLICIES = ("UNIQUE", "ANY", "FIRST", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
#: typeRef -> value kind. ``integer``, ``long`` and ``double`` are what Camunda
#: Modeler 7 offers for numbers; they are all plain numbers here.
INPUT_TYPES = {
    "number": "number",
    "integer": "number",
    "long": "number",
    "double": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
}
#: An input expression is a name or a dotted path into the context, never a
#: computation, so a missing value can be reported by the name the author wrote.
INPUT_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$")
#: Uploaded files are small tables; anything bigger is a mistake or an attack.
MAX_SOURCE_BYTES = 1_000_000
_SHOWN_SCHEMA_ERRORS = 5


class DecisionTableError(Exception):
    """The table is unusable; ``problems`` lists every reason found, one line each.

    This is an authoring problem, never the applicant's: callers translate it into
    their own bilingual message.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class DecisionEvaluationError(Exception):
    """The table could not decide for these values: a cell failed, or the matching
    rules break the hit policy (two rules under UNIQUE, different outputs under ANY)."""


@dataclass(frozen=True)
class DecisionInput:
    """One input column: the value it reads and how that value must be typed."""

    expression: str
    label: str
    type_ref: str

    @property
    def kind(self) -> str:
        return INPUT_TYPES[self.type_ref]


@dataclass(frozen=True)
class DecisionOutput:
    name: str
    label: str
    type_ref: str


@dataclass(frozen=True)
class DecisionRule:
    """One row: a unary test per input (None = any) and an expression per output."""

    index: int
    rule_id: str
    description: str
    input_entries: tuple[str, ...]
    tests: tuple[feel.UnaryTest | None, ...] = field(repr=False)
    output_entries: tuple[str, ...]

    @property
    def title(self) -> str:
        """How error messages name the row: its position, then its id."""
        return f"{self.index} ({self.rule_id})" if self.rule_id else str(self.index)


@dataclass(frozen=True)
class Match:
    """A matching rule and the raw FEEL values of its outputs (``None`` for an empty cell)."""

    rule: DecisionRule
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class DecisionTable:
    """One parsed decision table, immutable and ready to evaluate many times."""

    decision_id: str
    name: str
    dmn_version: str
    hit_policy: str
    aggregation: str | None
    inputs: tuple[DecisionInput, ...]
    outputs: tuple[DecisionOutput, ...]
    rules: tuple[DecisionRule, ...]

    def summary(self) -> dict[str, Any]:
        """What an admin screen or an audit record shows about the table (JSON-ready)."""
        return {
            "decision_id": self.decision_id,
            "name": self.name,
            "dmn_version": self.dmn_version,
            "hit_policy": self.hit_policy,
            "aggregation": self.aggregation,
            "inputs": [
                {"expression": i.expression, "label": i.label, "type_ref": i.type_ref}
                for i in self.inputs
            ],
            "outputs": [
                {"name": o.name, "label": o.label, "type_ref": o.type_ref} for o in self.outputs
            ],
            "rule_count": len(self.rules),
        }

    def evaluate(self, values: Mapping[str, Any]) -> list[Match]:
        """The rules the hit policy selects for ``values``, with their outputs.

        ``values`` maps each input expression to its value, already typed for the
        column (numbers as :class:`Decimal`). It is the whole evaluation context: cells
        can name the table's inputs and nothing else. Returns ``[]`` when no rule
        matches; one match for UNIQUE, ANY and FIRST; every match, in rule order, for
        RULE ORDER and COLLECT (aggregation is left to the caller, who knows what the
        output means).
        """
        context = feel_context(values)
        matched = [rule for rule in self.rules if self._rule_matches(rule, values, context)]
        if self.hit_policy == "UNIQUE" and len(matched) > 1:
            raise DecisionEvaluationError(
                f"rules {_titles(matched)} all match, but hit policy UNIQUE allows only one"
            )
        if self.hit_policy == "FIRST":
            matched = matched[:1]
        results = [Match(rule, self._outputs(rule, context)) for rule in matched]
        if self.hit_policy == "ANY" and results:
            first = _comparable(results[0].outputs)
            if any(_comparable(result.outputs) != first for result in results[1:]):
                raise DecisionEvaluationError(
                    f"rules {_titles(matched)} match with different outputs, but hit policy "
                    "ANY requires them to agree"
                )
            results = results[:1]
        return results

    def _rule_matches(
        self, rule: DecisionRule, values: Mapping[str, Any], context: Mapping[str, Any]
    ) -> bool:
        for column, test in zip(self.inputs, rule.tests, strict=True):
            try:
                if not feel.matches(test, values[column.expression], column.kind, context):
                    return False
            except feel.FeelError as error:
                raise DecisionEvaluationError(
                    f"rule {rule.title}, input {column.expression}: {error}"
                ) from error
        return True

    def _outputs(self, rule: DecisionRule, context: Mapping[str, Any]) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for column, entry in zip(self.outputs, rule.output_entries, strict=True):
            try:
                outputs[column.name] = feel.evaluate(entry, context) if entry.strip() else None
            except feel.FeelError as error:
                raise DecisionEvaluationError(
                    f"rule {rule.title}, output {column.name}: {error}"
                ) from error
        return outputs


def feel_context(values: Mapping[str, Any]) -> dict[str, Any]:
    """The FEEL context for typed input values: dotted paths become nested contexts.

    Numbers are handed to bkflow-feel as ``int`` when whole and ``float`` otherwise:
    its arithmetic refuses a :class:`Decimal` next to a float literal, and these are
    quantities (areas, days), not money, so a float is exact enough for them.
    """
    context: dict[str, Any] = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        target = context
        for name in parents:
            target = target.setdefault(name, {})
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        target[leaf] = value
    return context


def _titles(rules: Iterable[DecisionRule]) -> str:
    return ", ".join(rule.title for rule in rules)


def _comparable(outputs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Outputs in a form where ``100`` and ``100.0`` are equal (for hit policy ANY)."""
    return tuple(
        Decimal(str(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for v in outputs.values()
    )


# --- loading -------------------------------------------------------------------------------


def load(
    source: bytes,
    *,
    decision_id: str | None = None,
    check: Callable[[DecisionTable], Iterable[str]] | None = None,
) -> DecisionTable:
    """Parse, validate and check one DMN file holding one decision table.

    Refuses, listing every problem it finds (:class:`DecisionTableError`): a file that
    is not XML or not DMN 1.1 to 1.3, fails the DMN XSD, holds other than one decision,
    whose id is not ``decision_id``, with an unsupported hit policy, an input that is
    not a name or dotted path or has an unknown typeRef, or a cell that is not FEEL.
    ``check`` adds the caller's own conventions (e.g. the outputs a fee table needs).
    """
    if len(source) > MAX_SOURCE_BYTES:
        raise DecisionTableError([f"the file is larger than {MAX_SOURCE_BYTES} bytes"])
    root = _parse_xml(source)
    namespace = etree.QName(root).namespace or ""
    if namespace not in DMN_VERSIONS or etree.QName(root).localname != "definitions":
        raise DecisionTableError([f"not a DMN 1.1, 1.2 or 1.3 file (root element {root.tag!r})"])
    _validate_schema(root, namespace)
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        found = ", ".join(d.get("id", "?") for d in decisions) or "none"
        raise DecisionTableError([f"expected exactly one decision, found {found}"])
    decision = decisions[0]
    table_element = decision.find("dmn:decisionTable", ns)
    if table_element is None:
        raise DecisionTableError([f"decision {decision.get('id')} has no decision table"])

    problems: list[str] = []
    found_id = decision.get("id", "")
    if decision_id is not None and found_id != decision_id:
        problems.append(f"the decision id is {found_id!r}, expected {decision_id!r}")
    hit_policy = table_element.get("hitPolicy", "UNIQUE")
    aggregation = table_element.get("aggregation")
    if hit_policy not in SUPPORTED_HIT_POLICIES:
        problems.append(
            f"hit policy {hit_policy} is not supported (use one of "
            f"{', '.join(SUPPORTED_HIT_POLICIES)})"
        )
    if aggregation is not None and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
        problems.append(f"aggregation {aggregation} is allowed only with hit policy COLLECT")

    inputs = tuple(
        _input(element, ns, problems) for element in table_element.findall("dmn:input", ns)
    )
    _check_input_paths(inputs, problems)
    outputs = tuple(
        DecisionOutput(
            name=element.get("name", ""),
            label=element.get("label", ""),
            type_ref=element.get("typeRef", ""),
        )
        for element in table_element.findall("dmn:output", ns)
    )
    rules = tuple(
        _rule(index, element, ns, inputs, outputs, problems)
        for index, element in enumerate(table_element.findall("dmn:rule", ns), start=1)
    )
    if not rules:
        problems.append("the table has no rules")
    table = DecisionTable(
        decision_id=found_id,
        name=decision.get("name") or found_id,
        dmn_version=DMN_VERSIONS[namespace],
        hit_policy=hit_policy,
        aggregation=aggregation,
        inputs=inputs,
        outputs=outputs,
        rules=rules,
    )
    if check is not None:
        problems.extend(check(table))
    if problems:
        raise DecisionTableError(problems)
    return table


def _parse_xml(source: bytes) -> etree._Element:
    # No entities, no DTDs, no network: an uploaded file must not make the server read
    # local files or fetch URLs while it is parsed.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(source, parser=parser)
    except etree.XMLSyntaxError as error:
        raise DecisionTableError([f"not well-formed XML ({error})"]) from error
    if root.getroottree().docinfo.doctype:
        raise DecisionTableError(["a DOCTYPE is not allowed in a DMN file"])
    return root


def _validate_schema(root: etree._Element, namespace: str) -> None:
    """Check the file against the XSD SpiffWorkflow ships for its DMN version.

    Why SpiffWorkflow's validator: it carries the official DMN 1.1-1.3 schemas and is
    what BpmnDmnParser applies to DMN files, so a file the old engine accepted still
    passes. It reports only the last error, so the schema's full log is read as well.
    A validator is built per call (about a millisecond): lxml schema objects keep
    their error log on themselves, so one shared between threads could mix reports.
    """
    try:
        validator = BpmnValidator(DMN_SCHEMAS[namespace])
    except etree.XMLSchemaParseError as error:
        # SpiffWorkflow 3.2 ships a DMNDI12.xsd that is really the DI schema, so the
        # DMN 1.2 schema does not load. Refuse rather than accept an unchecked file.
        version = DMN_VERSIONS[namespace]
        raise DecisionTableError(
            [
                f"DMN {version} files cannot be checked against the DMN schema here "
                f"({error}); save the table as DMN 1.3"
            ]
        ) from error
    try:
        validator.validate(root)
    except SpiffWorkflowException as error:
        log = [
            f"line {entry.line}: {entry.message}" for entry in validator.validator.error_log
        ] or [str(error)]
        shown = log[:_SHOWN_SCHEMA_ERRORS]
        if len(log) > len(shown):
            shown.append(f"... and {len(log) - len(shown)} more schema errors")
        raise DecisionTableError([f"fails the DMN schema: {line}" for line in shown]) from error


def _text(element: etree._Element | None, ns: Mapping[str, str]) -> str:
    if element is None:
        return ""
    return (element.findtext("dmn:text", default="", namespaces=ns) or "").strip()


def _input(element: etree._Element, ns: Mapping[str, str], problems: list[str]) -> DecisionInput:
    expression_element = element.find("dmn:inputExpression", ns)
    column = DecisionInput(
        expression=_text(expression_element, ns),
        label=element.get("label", ""),
        type_ref=(expression_element.get("typeRef", "") if expression_element is not None else ""),
    )
    if not INPUT_PATH.match(column.expression):
        problems.append(
            f"input expression {column.expression!r} is not a name or dotted path "
            "(e.g. area_sqm, application.days_past_expiry)"
        )
    if column.type_ref not in INPUT_TYPES:
        problems.append(
            f"input {column.expression} has unsupported typeRef {column.type_ref!r} "
            "(use number, string, boolean or date)"
        )
    return column


def _check_input_paths(inputs: Sequence[DecisionInput], problems: list[str]) -> None:
    paths = [column.expression for column in inputs]
    for position, path in enumerate(paths):
        if path in paths[:position]:
            problems.append(f"input {path} is declared twice")
        elif any(other.startswith(path + ".") for other in paths):
            problems.append(f"input {path} is both a value and a context holding other inputs")


def _rule(
    index: int,
    element: etree._Element,
    ns: Mapping[str, str],
    inputs: Sequence[DecisionInput],
    outputs: Sequence[DecisionOutput],
    problems: list[str],
) -> DecisionRule:
    rule_id = element.get("id", "")
    title = f"{index} ({rule_id})" if rule_id else str(index)
    input_entries = tuple(_text(e, ns) for e in element.findall("dmn:inputEntry", ns))
    output_entries = tuple(_text(e, ns) for e in element.findall("dmn:outputEntry", ns))
    if len(input_entries) != len(inputs):
        problems.append(
            f"rule {title} has {len(input_entries)} input cells for {len(inputs)} inputs"
        )
    if len(output_entries) != len(outputs):
        problems.append(
            f"rule {title} has {len(output_entries)} output cells for {len(outputs)} outputs"
        )
    tests: list[feel.UnaryTest | None] = []
    for column, entry in zip(inputs, input_entries, strict=False):
        try:
            test = feel.parse_unary_tests(entry)
        except feel.FeelError as error:
            problems.append(f"rule {title}, input {column.expression}: {error}")
            test = None
        else:
            problems.extend(
                f"rule {title}, input {column.expression}: {problem}"
                for problem in dict.fromkeys(_type_problems(test, column))
            )
        tests.append(test)
    for output, entry in zip(outputs, output_entries, strict=False):
        if entry:
            try:
                feel.check_expression(entry)
            except feel.FeelError as error:
                problems.append(f"rule {title}, output {output.name}: {error}")
    return DecisionRule(
        index=index,
        rule_id=rule_id,
        description=(element.findtext("dmn:description", default="", namespaces=ns) or "").strip(),
        input_entries=input_entries,
        tests=tuple(tests),
        output_entries=output_entries,
    )


def _type_problems(test: feel.UnaryTest | None, column: DecisionInput) -> Iterable[str]:
    """Tests that cannot fit the column's type, found without any input value.

    An ordering (``< e``, a range) needs a number or a date. A constant operand (one
    that evaluates with nothing in the context, e.g. ``"retail"``) must be of the
    column's kind: ``"retail"`` in a number column is a mistake we can see now.
    Operands that name inputs are checked when evaluated.
    """
    kind = INPUT_TYPES.get(column.type_ref)
    if kind is None:
        return
    for test_part, expression in feel.operands(test):
        if isinstance(test_part, feel.Compare | feel.InRange) and kind not in feel.ORDERED_KINDS:
            yield f"{expression!r}: a comparison or range needs a number or date input, not {kind}"
            continue
        try:
            constant = feel.evaluate(expression, {})
        except feel.FeelError:
            continue  # names an input, or fails only without one: checked at evaluation
        if constant is None:
            continue
        listed = isinstance(test_part, feel.Equals) and isinstance(constant, list)
        values = constant if listed else [constant]
        try:
            for value in values:
                feel.normalise(value, kind, source=repr(expression))
        except feel.FeelError as error:
            yield f"{error} (the input is a {kind})"
