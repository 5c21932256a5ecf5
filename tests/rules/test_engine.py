"""Loading DMN files and enforcing hit policies (``rules.engine``, no database).

Each table is written out in the test, so the rules and the expected outcome sit
side by side.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bizportal.rules import engine
from bizportal.rules.engine import DecisionEvaluationError, DecisionTableError

from .tables import DMN11, DMN12, DMN13, dmn


def load(source: str, **kwargs: Any) -> engine.DecisionTable:
    return engine.load(source.encode("utf-8"), **kwargs)


def fired(table: engine.DecisionTable, **values: Any) -> list[tuple[int, Any]]:
    """(rule number, fee output) of each match the hit policy selects."""
    typed = {
        name: Decimal(str(v)) if isinstance(v, int | float) else v for name, v in values.items()
    }
    return [(match.rule.index, match.outputs["fee"]) for match in table.evaluate(typed)]


def overlapping(hit_policy: str, *, second_fee: str = "20", aggregation: str | None = None) -> str:
    """Rule 1: 0-10 -> 10; rule 2: 5-20 -> second_fee; rule 3: > 20 -> 30."""
    return dmn(
        inputs=[("n", "number")],
        rules=[(("[0..10]",), ("10",)), (("[5..20]",), (second_fee,)), (("> 20",), ("30",))],
        hit_policy=hit_policy,
        aggregation=aggregation,
    )


# --- hit policies ----------------------------------------------------------------------------


def test_unique_gives_the_one_matching_rule() -> None:
    table = load(overlapping("UNIQUE"))
    assert fired(table, n=2) == [(1, 10)]
    assert fired(table, n=25) == [(3, 30)]
    assert fired(table, n=-1) == []


def test_unique_refuses_an_overlap_naming_the_rules() -> None:
    table = load(overlapping("UNIQUE"))
    with pytest.raises(
        DecisionEvaluationError, match=r"rules 1 \(rule_1\), 2 \(rule_2\) all match"
    ):
        fired(table, n=7)


def test_a_table_without_a_hit_policy_is_unique() -> None:
    table = load(overlapping(""))
    assert table.hit_policy == "UNIQUE"
    with pytest.raises(DecisionEvaluationError, match="UNIQUE"):
        fired(table, n=7)


def test_any_accepts_overlapping_rules_that_agree() -> None:
    table = load(overlapping("ANY", second_fee="10.0"))
    assert fired(table, n=7) == [(1, 10)]


def test_any_refuses_overlapping_rules_that_disagree() -> None:
    table = load(overlapping("ANY", second_fee="20"))
    with pytest.raises(
        DecisionEvaluationError, match=r"1 \(rule_1\), 2 \(rule_2\) match with diff"
    ):
        fired(table, n=7)
    assert fired(table, n=12) == [(2, 20)]


def test_first_takes_the_first_match_in_rule_order() -> None:
    table = load(overlapping("FIRST"))
    assert fired(table, n=7) == [(1, 10)]
    assert fired(table, n=15) == [(2, 20)]


def test_rule_order_and_collect_give_every_match_in_rule_order() -> None:
    assert fired(load(overlapping("RULE ORDER")), n=7) == [(1, 10), (2, 20)]
    collect = load(overlapping("COLLECT", aggregation="SUM"))
    assert collect.aggregation == "SUM"
    assert fired(collect, n=7) == [(1, 10), (2, 20)]
    assert fired(collect, n=25) == [(3, 30)]


@pytest.mark.parametrize(
    ("hit_policy", "aggregation", "problem"),
    [
        ("PRIORITY", None, "hit policy PRIORITY is not supported"),
        ("OUTPUT ORDER", None, "hit policy OUTPUT ORDER is not supported"),
        ("UNIQUE", "SUM", "aggregation SUM is allowed only with hit policy COLLECT"),
    ],
)
def test_unsupported_hit_policies_are_refused_when_loading(
    hit_policy: str, aggregation: str | None, problem: str
) -> None:
    with pytest.raises(DecisionTableError) as refused:
        load(overlapping(hit_policy, aggregation=aggregation))
    assert problem in refused.value.problems[0]


def test_a_hit_policy_the_schema_does_not_know_fails_the_schema() -> None:
    with pytest.raises(DecisionTableError, match=r"fails the DMN schema.*SOMETIMES"):
        load(overlapping("SOMETIMES"))


# --- contexts and outputs ---------------------------------------------------------------------


def test_dotted_inputs_and_outputs_that_compute_from_them() -> None:
    table = load(
        dmn(
            inputs=[("area_sqm", "number"), ("application.days_past_expiry", "number")],
            outputs=[("fee", "number"), ("item", "string")],
            rules=[
                (("-", "<= 0"), ("500", '"base"')),
                (("-", "> 0"), ("application.days_past_expiry * 10", '"per day"')),
            ],
            hit_policy="UNIQUE",
        )
    )
    values = {"area_sqm": Decimal("12.5"), "application.days_past_expiry": Decimal(3)}
    [match] = table.evaluate(values)
    assert match.outputs == {"fee": 30, "item": "per day"}
    assert engine.feel_context(values) == {"area_sqm": 12.5, "application": {"days_past_expiry": 3}}


def test_an_output_cell_that_fails_names_the_rule_and_output() -> None:
    table = load(dmn(inputs=[("n", "number")], rules=[(("-",), ("n * 2.5",))]))
    assert table.evaluate({"n": Decimal("1.5")})[0].outputs["fee"] == 3.75
    # bkflow-feel refuses int * float; the error says where, for the table's author
    with pytest.raises(DecisionEvaluationError, match=r"rule 1 \(rule_1\), output fee"):
        table.evaluate({"n": Decimal(2)})


def test_the_summary_is_what_admins_and_audit_records_show() -> None:
    table = load(overlapping("COLLECT", aggregation="MAX"))
    assert table.summary() == {
        "decision_id": "fee_test",
        "name": "ตารางทดสอบ / Test table",
        "dmn_version": "1.3",
        "hit_policy": "COLLECT",
        "aggregation": "MAX",
        "inputs": [{"expression": "n", "label": "ช่อง 0 / Column 0", "type_ref": "number"}],
        "outputs": [{"name": "fee", "label": "", "type_ref": "number"}],
        "rule_count": 3,
    }


# --- what loading refuses ------------------------------------------------------------------


@pytest.mark.parametrize("namespace", [DMN11, DMN13])
def test_dmn_1_1_and_1_3_files_are_accepted(namespace: str) -> None:
    table = load(overlapping("FIRST").replace(DMN13, namespace))
    assert table.dmn_version == {DMN11: "1.1", DMN13: "1.3"}[namespace]


def test_dmn_1_2_files_are_refused_because_they_cannot_be_schema_checked() -> None:
    # SpiffWorkflow 3.2's DMN 1.2 schema does not load (its DMNDI12.xsd is the DI
    # schema); an unchecked file is refused, with the way out in the message.
    with pytest.raises(DecisionTableError, match=r"DMN 1.2 files cannot be checked.*DMN 1.3"):
        load(overlapping("FIRST").replace(DMN13, DMN12))


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("this is not xml", "not well-formed XML"),
        ("<definitions/>", "not a DMN 1.1, 1.2 or 1.3 file"),
        ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "not a DMN"),
        (
            f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="x">'
            '<decision id="fee_test"><decisionTable id="t"><rule id="r"/></decisionTable>'
            "</decision></definitions>",
            "fails the DMN schema",
        ),
        (
            f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="x"></definitions>',
            "expected exactly one decision, found none",
        ),
    ],
)
def test_files_that_are_not_dmn_are_refused(source: str, problem: str) -> None:
    with pytest.raises(DecisionTableError, match=problem):
        load(source)


def test_external_entities_are_never_read() -> None:
    doctype = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    in_attribute = dmn(rules=[((), ("1",))]).replace("ตารางทดสอบ / Test table", "&x;")
    with pytest.raises(DecisionTableError, match="not well-formed XML"):
        load(doctype + in_attribute)
    in_text = dmn(rules=[((), ("1",))]).replace(
        '<rule id="rule_1">', '<rule id="rule_1"><description>&x;</description>'
    )
    with pytest.raises(DecisionTableError, match="DOCTYPE is not allowed") as refused:
        load(doctype + in_text)
    assert "root:" not in str(refused.value)


def test_every_problem_is_listed_at_once() -> None:
    source = dmn(
        "fee_wrong",
        inputs=[("area_sqm * 2", "number"), ("kind", "text"), ("size", "number")],
        rules=[
            (("> 1", '"a"', "[0..5"), ("1",)),
            (("-", "-", '"big"'), ("1 +",)),
            (("-",), ("1",)),
        ],
    )
    with pytest.raises(DecisionTableError) as refused:
        load(source, decision_id="fee_test")
    problems = refused.value.problems
    assert "the decision id is 'fee_wrong', expected 'fee_test'" in problems
    assert any("'area_sqm * 2' is not a name or dotted path" in p for p in problems)
    assert any("input kind has unsupported typeRef 'text'" in p for p in problems)
    assert any(p.startswith("rule 1 (rule_1), input size:") for p in problems)
    assert any("rule 2 (rule_2), input size: " in p and "not a number" in p for p in problems)
    assert any(p.startswith("rule 2 (rule_2), output fee:") for p in problems)
    assert "rule 3 (rule_3) has 1 input cells for 3 inputs" in problems
    assert len(problems) == 7, problems


def test_a_comparison_on_a_string_input_is_refused() -> None:
    with pytest.raises(DecisionTableError, match="needs a number or date input, not string"):
        load(dmn(inputs=[("kind", "string")], rules=[(("> 5",), ("1",))]))


def test_two_decisions_in_one_file_are_refused() -> None:
    single = dmn(rules=[((), ("1",))])
    decision = single[single.index("<decision ") : single.index("</decision>") + len("</decision>")]
    second = decision.replace('id="', 'id="two_').replace("two_fee_test", "fee_two")
    double = single.replace("</definitions>", second + "</definitions>")
    with pytest.raises(DecisionTableError, match="exactly one decision, found fee_test, fee_two"):
        load(double)


def test_an_input_that_is_both_a_value_and_a_context_is_refused() -> None:
    with pytest.raises(DecisionTableError, match="both a value and a context"):
        load(
            dmn(
                inputs=[("application", "string"), ("application.days", "number")],
                rules=[(("-", "-"), ("1",))],
            )
        )
