"""Fees as data: every licence fee is a DMN decision table in ``rules/dmn/``.

Why DMN: an agency changes a fee by editing a table in a modeller (Camunda Modeler,
bpmn.io), not by asking for a code release; and the table file is the single place a
fee lives, so what the citizen manual prints and what the invoice charges cannot drift.

Interface (used by the applications app):

* :func:`calculate_fee` ``(service, answers) -> Decimal``: the fee in THB, 2 places.
* :func:`fee_inputs` ``(fee_table) -> list[str]``: the answers a table reads.
* :class:`FeeRuleError`: bilingual, for missing or invalid answers, no matching rule,
  or an unusable table.

Conventions for a fee table (checked when the file is first loaded):

* the file is ``rules/dmn/<fee_table>.dmn`` and its decision id is ``<fee_table>``;
* hit policy UNIQUE and exactly one output, named ``fee`` (a number, in baht);
* each input expression is an answer field name (``area_sqm``) with a ``typeRef`` of
  ``number`` (a non-negative quantity: int, float or numeric string from JSON is
  accepted), ``string`` or ``boolean``;
* entries are Python expressions; ``?`` stands for the input value (``50 < ? <= 200``).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bizportal.core.thai import baht

from .engine import DecisionInput, DecisionTable, DecisionTableError

FEE_TABLE_DIR = Path(__file__).resolve().parent / "dmn"
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
_NUMBER_TYPES = frozenset({"number", "integer", "long", "double"})
_SUPPORTED_TYPES = _NUMBER_TYPES | {"string", "boolean"}


class FeeRuleError(ValueError):
    """The fee cannot be computed; ``str(error)`` is a "ไทย / English" message.

    ``code`` says why (``missing``, ``invalid``, ``no_rule``, ``unknown_table``,
    ``bad_table``) and ``field`` names the answer at fault, if any, so a form can put
    the message next to the right input.
    """

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def _bad_table(fee_table: str, detail: str) -> FeeRuleError:
    return FeeRuleError(
        f"ตารางค่าธรรมเนียม {fee_table} ไม่สามารถใช้งานได้ ({detail}) / "
        f"Fee table {fee_table} cannot be used ({detail})",
        code="bad_table",
    )


@functools.cache
def load_fee_table(fee_table: str) -> DecisionTable:
    """Parse, check and cache one fee table (each file is parsed once per process)."""
    path = FEE_TABLE_DIR / f"{fee_table}.dmn"
    if not _TABLE_NAME.match(fee_table) or not path.is_file():
        raise FeeRuleError(
            f"ไม่พบตารางค่าธรรมเนียม {fee_table!r} / No fee table named {fee_table!r}",
            code="unknown_table",
        )
    try:
        table = DecisionTable.load(path, fee_table)
    except DecisionTableError as error:
        raise _bad_table(fee_table, str(error)) from error
    if table.hit_policy != "UNIQUE":
        raise _bad_table(fee_table, f"hit policy {table.hit_policy}, expected UNIQUE")
    if [output.name for output in table.outputs] != ["fee"]:
        raise _bad_table(fee_table, "expected exactly one output named 'fee'")
    for column in table.inputs:
        if not column.expression.isidentifier():
            raise _bad_table(
                fee_table, f"input expression {column.expression!r} is not an answer field name"
            )
        if column.type_ref not in _SUPPORTED_TYPES:
            raise _bad_table(
                fee_table, f"input {column.expression} has unsupported typeRef {column.type_ref!r}"
            )
    return table


def fee_inputs(fee_table: str) -> list[str]:
    """The answer fields the table reads, in column order (``[]`` for a flat fee)."""
    return [column.expression for column in load_fee_table(fee_table).inputs]


def _label(column: DecisionInput) -> tuple[str, str]:
    """Split a "ไทย / English" column label, falling back to the field name."""
    thai, _, english = column.label.partition(" / ")
    return (thai or column.expression, english or thai or column.expression)


def _coerce(column: DecisionInput, value: Any) -> Any:
    """Turn one JSON answer into the type the column declares, or refuse it clearly."""
    label_th, label_en = _label(column)
    field = column.expression
    if column.type_ref in _NUMBER_TYPES:
        number: Decimal | None = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if not (isinstance(value, float) and not math.isfinite(value)):
                number = Decimal(str(value))
        elif isinstance(value, str) and value.strip():
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            raise FeeRuleError(
                f"{label_th} ต้องเป็นตัวเลข (ได้รับ {value!r}) / "
                f"{label_en} must be a number (got {value!r})",
                code="invalid",
                field=field,
            )
        if number < 0:
            raise FeeRuleError(
                f"{label_th} ต้องไม่ติดลบ (ได้รับ {value}) / "
                f"{label_en} must not be negative (got {value})",
                code="invalid",
                field=field,
            )
        return number
    if column.type_ref == "boolean":
        if not isinstance(value, bool):
            raise FeeRuleError(
                f"{label_th} ต้องเป็นใช่หรือไม่ใช่ (ได้รับ {value!r}) / "
                f"{label_en} must be true or false (got {value!r})",
                code="invalid",
                field=field,
            )
        return value
    if not isinstance(value, str) or not value.strip():
        raise FeeRuleError(
            f"{label_th} ต้องเป็นข้อความที่เลือกจากรายการ (ได้รับ {value!r}) / "
            f"{label_en} must be one of the listed choices (got {value!r})",
            code="invalid",
            field=field,
        )
    return value.strip()


def calculate_fee(service: Any, answers: dict[str, Any]) -> Decimal:
    """The fee of ``service`` (its ``fee_table``) for these application answers, in THB.

    Only the answers the table declares as inputs are passed to it, each checked and
    typed first, so a wrong answer gets a message naming that answer instead of an
    engine traceback, and nothing else in the application data can influence the fee.
    """
    fee_table = str(getattr(service, "fee_table", "") or "")
    if not fee_table:
        raise FeeRuleError(
            "บริการนี้ยังไม่ได้กำหนดตารางค่าธรรมเนียม / This service has no fee table",
            code="unknown_table",
        )
    table = load_fee_table(fee_table)
    if not isinstance(answers, dict):
        raise FeeRuleError(
            "คำตอบในคำขอไม่ถูกต้อง / The application answers are not valid", code="invalid"
        )
    values: dict[str, Any] = {}
    for column in table.inputs:
        value = answers.get(column.expression)
        if value is None or value == "":
            label_th, label_en = _label(column)
            raise FeeRuleError(
                f"ต้องระบุ{label_th} เพื่อคำนวณค่าธรรมเนียม / {label_en} is needed to calculate the fee",
                code="missing",
                field=column.expression,
            )
        values[column.expression] = _coerce(column, value)
    try:
        results = table.evaluate(values)
    except DecisionTableError as error:
        raise _bad_table(fee_table, str(error)) from error
    if not results:
        shown = (
            ", ".join(
                f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"
                for name, value in values.items()
            )
            or "-"
        )
        raise FeeRuleError(
            f"ไม่มีอัตราค่าธรรมเนียมที่ตรงกับคำตอบ ({shown}) / No fee rule matches the answers ({shown})",
            code="no_rule",
            field=next(iter(values), None),
        )
    try:
        fee = baht(str(results[0]["fee"]))
    except (InvalidOperation, KeyError) as error:
        raise _bad_table(fee_table, f"fee output {results[0]!r} is not a number") from error
    if not fee.is_finite() or fee < 0:
        raise _bad_table(fee_table, f"fee output {fee} is not a valid amount")
    return fee
