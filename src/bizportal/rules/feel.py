"""FEEL for decision tables: unary tests (input cells) and expressions (output cells).

Why this module: bkflow-feel evaluates FEEL *expressions*, but the input cells of a
DMN decision table are FEEL *unary tests* (``-``, ``"retail"``, ``[0..50]``, ``> 200``,
``not("a", "b")``), a smaller grammar in which the value being tested is implicit.
:func:`parse_unary_tests` translates a cell into a small tree of tests whose operands
are ordinary FEEL expressions; :func:`matches` evaluates each operand with bkflow-feel
and compares it with the input value here, in Python.

Why compare in Python instead of handing bkflow-feel a built expression such as
``v > 200``: its comparison operators refuse operands of different Python types
(``50.01 > 50`` raises, one side being a float and the other an int), and its ``in``
accepts only a bare name on the left (``application.days_past_expiry in [1..5]`` does
not parse). Normalising both sides first (every number as a :class:`~decimal.Decimal`)
gives the FEEL meaning without those gaps, and a type mismatch becomes a clear error
naming the cell instead of a library traceback.

This module knows nothing about fees or Django; :mod:`.engine` applies it to tables.
"""

from __future__ import annotations

import logging
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import bkflow_feel
from bkflow_feel.api import parse_expression
from bkflow_feel.parsers import Expression

#: The value kinds an input column may declare (after mapping DMN typeRefs onto them).
KINDS = ("number", "string", "boolean", "date")
#: Kinds with an order, so ``< e`` and ranges make sense for them.
ORDERED_KINDS = frozenset({"number", "date"})

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


class _DropLibraryReports(logging.Filter):
    """bkflow-feel logs every failed evaluation with ``logger.exception`` before raising
    it, and dumps parse trees at DEBUG. We re-raise each failure as a :class:`FeelError`
    naming the table cell, so those records are duplicates without the context; keeping
    them would put a traceback in the log for every mistyped cell an author uploads."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


logging.getLogger("bkflow_feel.api").addFilter(_DropLibraryReports())


class FeelError(ValueError):
    """A cell is not valid FEEL, or evaluating it failed or gave the wrong kind of value.

    The message is English and technical: it is an authoring problem, and callers wrap
    it in their own bilingual message.
    """


# --- the translated form of a unary-test cell -----------------------------------------


@dataclass(frozen=True)
class Equals:
    """The input equals the value of ``expression`` (or is in it, if that is a list)."""

    expression: str


@dataclass(frozen=True)
class Compare:
    """``< e``, ``<= e``, ``> e``, ``>= e``: the input compared with ``expression``."""

    operator: str
    expression: str


@dataclass(frozen=True)
class InRange:
    """``[a..b]``, ``(a..b]``, ``[a..b)``, ``(a..b)``: the input lies between two values."""

    low: str
    high: str
    low_inclusive: bool
    high_inclusive: bool


@dataclass(frozen=True)
class AnyOf:
    """A comma-separated list: the input passes at least one of the tests."""

    tests: tuple[UnaryTest, ...]


@dataclass(frozen=True)
class NoneOf:
    """``not(tests)``: the input passes none of the tests."""

    tests: tuple[UnaryTest, ...]


UnaryTest: TypeAlias = Equals | Compare | InRange | AnyOf | NoneOf


# --- splitting text without looking inside strings and brackets -----------------------


def split_top_level(text: str, separator: str) -> list[str]:
    """Split ``text`` at ``separator`` where it is outside strings and brackets.

    Why: ``"a, b", "c"`` is a list of two strings and ``[1..2], 5`` a list of two tests;
    a plain ``str.split`` would cut them in the wrong places. Brackets are counted
    without pairing them, because FEEL ranges such as ``(50..200]`` open with one kind
    and close with the other.
    """
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    quoted = False
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise FeelError(f"unbalanced brackets in {text!r}")
        elif depth == 0 and text.startswith(separator, index):
            parts.append(text[start:index])
            index += len(separator)
            start = index
            continue
        index += 1
    if quoted:
        raise FeelError(f"unterminated string in {text!r}")
    if depth != 0:
        raise FeelError(f"unbalanced brackets in {text!r}")
    parts.append(text[start:])
    return parts


def _closing_bracket(text: str, opening: int) -> int:
    """Index of the bracket closing the one at ``opening`` (strings skipped), or -1."""
    depth = 0
    quoted = False
    index = opening
    while index < len(text):
        char = text[index]
        if quoted:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


# --- the translator ----------------------------------------------------------------------


def check_expression(text: str) -> None:
    """Refuse ``text`` unless bkflow-feel parses it as one FEEL expression.

    Parsing only: nothing is evaluated, so a cell naming an input can be checked before
    any value exists.
    """
    if not text.strip():
        raise FeelError("an empty expression")
    try:
        tree = bkflow_feel.parser.parse(text)
        ast = bkflow_feel.transformer.transform(tree)
    # The parser raises lark's errors, the transformer wraps anything in VisitError;
    # the only thing that matters here is that the text is not an expression.
    except Exception as error:
        raise FeelError(f"{text!r} is not a FEEL expression ({_first_line(error)})") from error
    if not isinstance(ast, Expression):
        raise FeelError(f"{text!r} is not a FEEL expression")


def parse_unary_tests(cell: str) -> UnaryTest | None:
    """Translate one input cell into tests; ``None`` means "any value" (``-`` or empty).

    The grammar (a practical subset of FEEL unary tests):

    * ``-`` or nothing: any value;
    * ``t1, t2, ...``: any of the tests (split outside strings and brackets);
    * ``not(t1, t2, ...)``: none of the tests (may nest);
    * ``< e``, ``<= e``, ``> e``, ``>= e``: compared with the expression ``e``;
    * ``[a..b]``, ``(a..b]``, ``[a..b)``, ``(a..b)``: in the range (``(``/``)`` exclude);
    * anything else: equal to the value of the expression.

    Every operand is checked to parse as FEEL, so a mistyped cell is refused when the
    table is uploaded rather than when a citizen's fee is computed.
    """
    text = cell.strip()
    if text in {"", "-"}:
        return None
    return _tests(text)


def _tests(text: str) -> UnaryTest:
    parts = [part.strip() for part in split_top_level(text, ",")]
    if any(not part for part in parts):
        raise FeelError(f"an empty test in the list {text!r}")
    tests = tuple(_test(part) for part in parts)
    return tests[0] if len(tests) == 1 else AnyOf(tests)


def _test(text: str) -> UnaryTest:
    if text == "-":
        raise FeelError("'-' (any value) cannot be combined with other tests")
    negated = _not_argument(text)
    if negated is not None:
        if not negated.strip():
            raise FeelError("not() needs at least one test")
        inner = _tests(negated.strip())
        return NoneOf(inner.tests if isinstance(inner, AnyOf) else (inner,))
    for symbol in _COMPARISONS:  # two-character operators are listed first
        if text.startswith(symbol):
            operand = text[len(symbol) :].strip()
            check_expression(operand)
            return Compare(symbol, operand)
    in_range = _range(text)
    if in_range is not None:
        return in_range
    check_expression(text)
    return Equals(text)


def _not_argument(text: str) -> str | None:
    """The inside of ``not( ... )`` when the whole test is one such call, else None."""
    if not text.startswith("not"):
        return None
    opening = len("not")
    while opening < len(text) and text[opening].isspace():
        opening += 1
    if opening >= len(text) or text[opening] != "(":
        return None
    if _closing_bracket(text, opening) != len(text) - 1:
        return None  # e.g. ``not(a) or b``: an expression, not a negated test list
    return text[opening + 1 : -1]


def _range(text: str) -> InRange | None:
    if len(text) < 2 or text[0] not in "[(" or text[-1] not in "])":
        return None
    ends = split_top_level(text[1:-1], "..")
    if len(ends) != 2:
        return None  # a list such as ``[1, 2]`` or a parenthesised expression
    low, high = (end.strip() for end in ends)
    check_expression(low)
    check_expression(high)
    return InRange(low, high, low_inclusive=text[0] == "[", high_inclusive=text[-1] == "]")


def operands(test: UnaryTest | None) -> Iterator[tuple[UnaryTest, str]]:
    """Every (test, expression) pair inside ``test``, for checks made when loading."""
    if test is None:
        return
    if isinstance(test, AnyOf | NoneOf):
        for inner in test.tests:
            yield from operands(inner)
    elif isinstance(test, InRange):
        yield test, test.low
        yield test, test.high
    else:
        yield test, test.expression


# --- evaluation --------------------------------------------------------------------------


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """Evaluate one FEEL expression with bkflow-feel, raising :class:`FeelError` on failure."""
    try:
        return parse_expression(expression, dict(context), raise_exception=True)
    # bkflow-feel raises its ValidationError, lark errors, and whatever Python raises
    # while evaluating (TypeError, ZeroDivisionError...): all mean the cell failed.
    except Exception as error:
        raise FeelError(f"{expression!r} failed: {_first_line(error)}") from error


def normalise(value: Any, kind: str, *, source: str) -> Any:
    """``value`` (from FEEL or from an answer) as compared for an input of ``kind``.

    Numbers become :class:`Decimal` so ``50``, ``50.0`` and ``Decimal("50")`` are one
    value; booleans are never numbers, and date-times are not dates.
    """
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise FeelError(f"{source} gave {value!r}, not a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise FeelError(f"{source} gave {value!r}, not a finite number")
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "string":
        if not isinstance(value, str):
            raise FeelError(f"{source} gave {value!r}, not a string")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise FeelError(f"{source} gave {value!r}, not true or false")
        return value
    if kind == "date":
        if not isinstance(value, date) or isinstance(value, datetime):
            raise FeelError(f"{source} gave {value!r}, not a date")
        return value
    raise FeelError(f"unknown kind {kind!r}")


def matches(test: UnaryTest | None, value: Any, kind: str, context: Mapping[str, Any]) -> bool:
    """Whether ``value`` (already normalised for ``kind``) passes ``test``.

    ``context`` is what the operands may name (the table's inputs). Operands are
    evaluated lazily: the first test of a list that passes ends the evaluation.
    """
    if test is None:
        return True
    if isinstance(test, AnyOf):
        return any(matches(inner, value, kind, context) for inner in test.tests)
    if isinstance(test, NoneOf):
        return not any(matches(inner, value, kind, context) for inner in test.tests)
    if isinstance(test, Compare):
        bound = _operand(test.expression, kind, context)
        return _COMPARISONS[test.operator](value, bound)
    if isinstance(test, InRange):
        low = _operand(test.low, kind, context)
        high = _operand(test.high, kind, context)
        above = value >= low if test.low_inclusive else value > low
        below = value <= high if test.high_inclusive else value < high
        return bool(above and below)
    result = evaluate(test.expression, context)
    if isinstance(result, list):
        source = repr(test.expression)
        return any(value == normalise(item, kind, source=source) for item in result)
    return bool(value == normalise(result, kind, source=repr(test.expression)))


def _operand(expression: str, kind: str, context: Mapping[str, Any]) -> Any:
    return normalise(evaluate(expression, context), kind, source=repr(expression))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
