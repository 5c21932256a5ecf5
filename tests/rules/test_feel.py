"""The unary-test translator: each form of input cell, and what it matches.

Input cells are FEEL unary tests; bkflow-feel evaluates expressions only, so
``rules.feel`` splits a cell into tests whose operands are expressions. These tests pin
the grammar (each form, lists, strings with commas, nested ``not``) and the meaning
(boundaries, mixed int/float/Decimal numbers, dates, names from the context).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bizportal.rules import feel
from bizportal.rules.feel import AnyOf, Compare, Equals, FeelError, InRange, NoneOf


def passes(cell: str, value: Any, kind: str = "number", **context: Any) -> bool:
    typed = feel.normalise(value, kind, source="the test value")
    return feel.matches(feel.parse_unary_tests(cell), typed, kind, context)


# --- the translation ------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["-", "", "  ", " - "])
def test_a_dash_or_an_empty_cell_means_any_value(cell: str) -> None:
    assert feel.parse_unary_tests(cell) is None
    assert passes(cell, 12)
    assert passes(cell, "anything", "string")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("< 5", Compare("<", "5")),
        ("<=5", Compare("<=", "5")),
        ("> 200", Compare(">", "200")),
        (">= -1.5", Compare(">=", "-1.5")),
        ("> application.limit", Compare(">", "application.limit")),
    ],
)
def test_a_comparison_keeps_its_operator_and_operand(cell: str, expected: Compare) -> None:
    assert feel.parse_unary_tests(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("[0..50]", InRange("0", "50", low_inclusive=True, high_inclusive=True)),
        ("(50..200]", InRange("50", "200", low_inclusive=False, high_inclusive=True)),
        ("[1.5..2.5)", InRange("1.5", "2.5", low_inclusive=True, high_inclusive=False)),
        ("( -5 .. 5 )", InRange("-5", "5", low_inclusive=False, high_inclusive=False)),
        (
            '[date("2024-01-01")..date("2024-12-31")]',
            InRange('date("2024-01-01")', 'date("2024-12-31")', True, True),
        ),
    ],
)
def test_a_range_records_which_ends_are_included(cell: str, expected: InRange) -> None:
    assert feel.parse_unary_tests(cell) == expected


@pytest.mark.parametrize("cell", ['"retail"', "42", "true", "[1, 2]", "(1)", "application.kind"])
def test_anything_else_is_an_equality_with_an_expression(cell: str) -> None:
    assert feel.parse_unary_tests(cell) == Equals(cell)


def test_a_top_level_comma_list_is_any_of_the_tests() -> None:
    assert feel.parse_unary_tests('"local", "domestic", > 5') == AnyOf(
        (Equals('"local"'), Equals('"domestic"'), Compare(">", "5"))
    )


def test_commas_inside_strings_brackets_and_ranges_do_not_split() -> None:
    assert feel.parse_unary_tests('"Bangkok, Thailand", "a \\" , b"') == AnyOf(
        (Equals('"Bangkok, Thailand"'), Equals('"a \\" , b"'))
    )
    assert feel.parse_unary_tests("[1, 2], [0..5]") == AnyOf(
        (Equals("[1, 2]"), InRange("0", "5", True, True))
    )


def test_not_negates_a_list_and_may_nest() -> None:
    assert feel.parse_unary_tests('not("a", "b")') == NoneOf((Equals('"a"'), Equals('"b"')))
    assert feel.parse_unary_tests("not(not(1))") == NoneOf((NoneOf((Equals("1"),)),))
    assert feel.parse_unary_tests("not ( [0..5], not(7) )") == NoneOf(
        (InRange("0", "5", True, True), NoneOf((Equals("7"),)))
    )


def test_a_not_that_is_only_part_of_an_expression_is_an_expression() -> None:
    assert feel.parse_unary_tests("not(true) or true") == Equals("not(true) or true")


@pytest.mark.parametrize(
    "cell",
    [
        '"unterminated',
        "[1..",
        "1,,2",
        "1,",
        "-, 5",
        "not()",
        "> ",
        "?? 5",
        "]1..5[",
        "[1..2..3]",
        "retail shop",
        "=5",
    ],
)
def test_a_cell_that_is_not_a_unary_test_is_refused(cell: str) -> None:
    with pytest.raises(FeelError):
        feel.parse_unary_tests(cell)


def test_split_top_level_respects_strings_and_unpaired_range_brackets() -> None:
    assert feel.split_top_level('"a,b", (1..2], [3, 4]', ",") == ['"a,b"', " (1..2]", " [3, 4]"]
    assert feel.split_top_level("1.5..2", "..") == ["1.5", "2"]
    assert feel.split_top_level('"x..y"', "..") == ['"x..y"']


# --- the meaning -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("[0..50]", 0, True),
        ("[0..50]", 50, True),
        ("[0..50]", Decimal("50.01"), False),
        ("(50..200]", 50, False),
        ("(50..200]", 50.01, True),
        ("(50..200]", 200, True),
        ("[50..200)", 200, False),
        ("(50..200)", Decimal("199.99"), True),
        ("> 200", Decimal("200"), False),
        ("> 200", 200.01, True),
        (">= 200", 200, True),
        ("< 0", -0.5, True),
        ("<= 1.5", Decimal("1.50"), True),
        ("50", 50.0, True),
        ("50.0", 50, True),
        ("1, 2, 3", 2, True),
        ("not(1, 2, 3)", 2, False),
        ("not(1, not(2))", 2, True),
        ("not(1, not(2))", 5, False),
        ("not(not([0..10]))", 7, True),
        ("[1, 2]", 2, True),
    ],
)
def test_numbers_compare_by_value_whatever_their_python_type(
    cell: str, value: Any, expected: bool
) -> None:
    # bkflow-feel alone refuses ``50.01 > 50`` (a float and an int); here it is fine.
    assert passes(cell, value) is expected


def test_strings_match_exactly_including_commas_and_case() -> None:
    assert passes('"Bangkok, Thailand"', "Bangkok, Thailand", "string")
    assert not passes('"retail"', "Retail", "string")
    assert passes('not("retail", "wholesale")', "export", "string")
    assert not passes('not("retail", "wholesale")', "retail", "string")


def test_booleans_and_dates() -> None:
    assert passes("true", True, "boolean")
    assert not passes("true", False, "boolean")
    in_2567 = '[date("2024-01-01")..date("2024-12-31")]'
    assert passes(in_2567, date(2024, 2, 29), "date")
    assert not passes(in_2567, date(2025, 1, 1), "date")
    assert passes('< date("2024-01-01")', date(2023, 12, 31), "date")


def test_operands_may_name_other_inputs_including_dotted_paths() -> None:
    assert passes("> limit", 11, limit=10)
    assert not passes("> application.limit", 5, application={"limit": 10})
    assert passes("[low..application.limit]", 7.5, low=7, application={"limit": 10})


def test_a_value_of_the_wrong_type_is_an_error_naming_the_operand() -> None:
    with pytest.raises(FeelError, match=r"'\"retail\"' gave 'retail', not a number"):
        passes('"retail"', 5)
    with pytest.raises(FeelError, match="not a number"):
        passes("true", 1)  # a boolean is never the number 1
    with pytest.raises(FeelError, match="gave None"):
        passes("> missing_name", 1)


def test_failed_evaluations_raise_without_logging_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(FeelError, match="failed"):
        feel.evaluate("1 + true", {})
    assert not [record for record in caplog.records if record.name.startswith("bkflow_feel")]


def test_normalise_refuses_booleans_as_numbers_and_date_times_as_dates() -> None:
    assert feel.normalise(3, "number", source="x") == Decimal(3)
    assert feel.normalise(0.1, "number", source="x") == Decimal("0.1")
    with pytest.raises(FeelError):
        feel.normalise(True, "number", source="x")
    with pytest.raises(FeelError):
        feel.normalise(float("inf"), "number", source="x")
    from datetime import datetime

    with pytest.raises(FeelError):
        feel.normalise(datetime(2024, 1, 1), "date", source="x")
