"""Small DMN files written in the tests themselves, so each test shows its whole table."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(
    key: str = "fee_test",
    *,
    inputs: Sequence[tuple[str, str]] = (),
    outputs: Sequence[tuple[str, str]] = (("fee", "number"),),
    rules: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
    hit_policy: str | None = None,
    aggregation: str | None = None,
    namespace: str = DMN13,
    name: str = "ตารางทดสอบ / Test table",
) -> str:
    """A one-decision DMN file: ``inputs`` are (expression, typeRef), ``outputs`` are
    (name, typeRef), each rule is (input cells, output cells) in plain FEEL text."""
    policy = f" hitPolicy={quoteattr(hit_policy)}" if hit_policy else ""
    policy += f" aggregation={quoteattr(aggregation)}" if aggregation else ""
    parts = [
        f'<definitions xmlns="{namespace}" id="definitions_{key}" name="tests" '
        'namespace="https://bizportal.go.th/dmn/tests">',
        f"<decision id={quoteattr(key)} name={quoteattr(name)}>",
        f'<decisionTable id="table"{policy}>',
    ]
    for n, (expression, type_ref) in enumerate(inputs):
        parts.append(
            f'<input id="input_{n}" label="ช่อง {n} / Column {n}">'
            f'<inputExpression id="input_expression_{n}" typeRef={quoteattr(type_ref)}>'
            f"<text>{escape(expression)}</text></inputExpression></input>"
        )
    for n, (output_name, type_ref) in enumerate(outputs):
        parts.append(
            f'<output id="output_{n}" name={quoteattr(output_name)} typeRef={quoteattr(type_ref)}/>'
        )
    for r, (input_cells, output_cells) in enumerate(rules, start=1):
        parts.append(f'<rule id="rule_{r}">')
        parts.extend(
            f'<inputEntry id="in_{r}_{n}"><text>{escape(cell)}</text></inputEntry>'
            for n, cell in enumerate(input_cells)
        )
        parts.extend(
            f'<outputEntry id="out_{r}_{n}"><text>{escape(cell)}</text></outputEntry>'
            for n, cell in enumerate(output_cells)
        )
        parts.append("</rule>")
    parts.append("</decisionTable></decision></definitions>")
    return "".join(parts)


def flat(key: str = "fee_test", amount: str = "100.00") -> str:
    """The simplest fee table: no inputs, one rule."""
    return dmn(key, rules=[((), (amount,))])


def banded(key: str = "fee_test", small: str = "500.00", large: str = "1000.00") -> str:
    """Two area bands meeting at 50 (50 belongs to the small band)."""
    return dmn(
        key,
        inputs=[("area_sqm", "number")],
        rules=[(("[0..50]",), (small,)), (("> 50",), (large,))],
    )
