"""Fees come from the DMN decision tables in ``rules/dmn/``.

Each test reads as one line of the fee schedule, including the boundaries, and the
bad answers an application can carry (missing, negative, wrong type, unknown choice).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizportal.catalog import demo
from bizportal.catalog.models import Service
from bizportal.rules import services
from bizportal.rules.services import FeeRuleError, calculate_fee, fee_inputs


def fee(table: str, **answers: object) -> Decimal:
    return calculate_fee(Service(fee_table=table), answers)


# --- the fee schedule ---------------------------------------------------------------


def test_commercial_registration_is_a_flat_50_baht_whatever_the_answers() -> None:
    assert fee("fee_commercial_registration") == Decimal("50.00")
    assert fee("fee_commercial_registration", area_sqm=10_000, anything="else") == Decimal("50.00")
    assert fee_inputs("fee_commercial_registration") == []


@pytest.mark.parametrize(
    ("area_sqm", "expected"),
    [
        (0, "500.00"),
        (1, "500.00"),
        (50, "500.00"),
        (50.01, "1000.00"),
        (120, "1000.00"),
        (200, "1000.00"),
        (200.01, "2000.00"),
        (5000, "2000.00"),
    ],
)
def test_food_shop_fee_follows_the_floor_area_bands(area_sqm: float, expected: str) -> None:
    assert fee("fee_food_shop", area_sqm=area_sqm) == Decimal(expected)


@pytest.mark.parametrize(
    ("sales_type", "expected"), [("retail", "1100.00"), ("wholesale", "5500.00")]
)
def test_liquor_fee_depends_on_the_type_of_sale(sales_type: str, expected: str) -> None:
    assert fee("fee_liquor_sale", sales_type=sales_type) == Decimal(expected)


@pytest.mark.parametrize(
    ("machine_hp", "expected"),
    [
        (0, "500.00"),
        (50, "500.00"),
        (50.01, "2500.00"),
        (200, "2500.00"),
        (200.01, "10000.00"),
        (900, "10000.00"),
    ],
)
def test_factory_fee_follows_the_machine_power_bands(machine_hp: float, expected: str) -> None:
    assert fee("fee_factory", machine_hp=machine_hp) == Decimal(expected)


@pytest.mark.parametrize(
    ("tour_area", "expected"),
    [("local", "300.00"), ("domestic", "500.00"), ("inbound", "1000.00"), ("outbound", "1000.00")],
)
def test_tour_business_fee_depends_on_the_area_served(tour_area: str, expected: str) -> None:
    assert fee("fee_tour_business", tour_area=tour_area) == Decimal(expected)


def test_fees_are_baht_with_exactly_two_places() -> None:
    result = fee("fee_food_shop", area_sqm=10)
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -2


# --- answers as they arrive from JSON --------------------------------------------------


@pytest.mark.parametrize("area_sqm", [120, 120.0, "120", " 120.5 ", Decimal("120")])
def test_numbers_may_arrive_as_int_float_decimal_or_numeric_text(area_sqm: object) -> None:
    assert fee("fee_food_shop", area_sqm=area_sqm) == Decimal("1000.00")


def test_only_the_answers_the_table_declares_are_read() -> None:
    assert fee_inputs("fee_food_shop") == ["area_sqm"]
    assert fee_inputs("fee_factory") == ["machine_hp"]
    assert fee_inputs("fee_liquor_sale") == ["sales_type"]
    assert fee_inputs("fee_tour_business") == ["tour_area"]
    # other answers, even ones that look like code, are never seen by the table
    assert fee("fee_food_shop", area_sqm=10, decision="__import__('os')") == Decimal("500.00")


# --- bad answers --------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [{}, {"area_sqm": None}, {"area_sqm": ""}, {"seats": 40}])
def test_a_missing_answer_is_refused_naming_the_field(answers: dict[str, object]) -> None:
    with pytest.raises(FeeRuleError) as refused:
        calculate_fee(Service(fee_table="fee_food_shop"), answers)
    assert refused.value.code == "missing"
    assert refused.value.field == "area_sqm"
    assert str(refused.value) == (
        "ต้องระบุพื้นที่ประกอบการ (ตารางเมตร) เพื่อคำนวณค่าธรรมเนียม / "
        "Floor area (m²) is needed to calculate the fee"
    )


@pytest.mark.parametrize("area_sqm", [-1, -0.01, "-50"])
def test_a_negative_quantity_is_refused(area_sqm: object) -> None:
    with pytest.raises(
        FeeRuleError, match=r"ต้องไม่ติดลบ .* / Floor area .* must not be negative"
    ) as refused:
        fee("fee_food_shop", area_sqm=area_sqm)
    assert refused.value.code == "invalid"


@pytest.mark.parametrize(
    "machine_hp",
    [True, False, "many", "1,200", [50], {"hp": 50}, float("nan"), float("inf"), "NaN", "Infinity"],
)
def test_a_non_number_is_refused(machine_hp: object) -> None:
    with pytest.raises(
        FeeRuleError, match=r"ต้องเป็นตัวเลข .* / Total machine power .* must be a number"
    ) as refused:
        fee("fee_factory", machine_hp=machine_hp)
    assert refused.value.code == "invalid"
    assert refused.value.field == "machine_hp"


@pytest.mark.parametrize("sales_type", [1, True, ["retail"], "   "])
def test_a_choice_that_is_not_text_is_refused(sales_type: object) -> None:
    with pytest.raises(FeeRuleError) as refused:
        fee("fee_liquor_sale", sales_type=sales_type)
    assert refused.value.code in {"invalid", "missing"}
    assert " / " in str(refused.value)


@pytest.mark.parametrize(
    ("table", "field", "value"),
    [
        ("fee_liquor_sale", "sales_type", "smuggling"),
        ("fee_liquor_sale", "sales_type", "Retail"),
        ("fee_tour_business", "tour_area", "lunar"),
    ],
)
def test_an_unknown_choice_matches_no_rule(table: str, field: str, value: str) -> None:
    with pytest.raises(FeeRuleError) as refused:
        fee(table, **{field: value})
    assert refused.value.code == "no_rule"
    assert str(refused.value) == (
        f"ไม่มีอัตราค่าธรรมเนียมที่ตรงกับคำตอบ ({field}={value!r}) / "
        f"No fee rule matches the answers ({field}={value!r})"
    )


@pytest.mark.parametrize("table", ["", "fee_unknown", "../settings", "FEE_FOOD_SHOP", "fee food"])
def test_an_unknown_fee_table_is_a_clear_error(table: str) -> None:
    with pytest.raises(FeeRuleError, match=" / ") as refused:
        calculate_fee(Service(fee_table=table), {})
    assert refused.value.code == "unknown_table"
    with pytest.raises(FeeRuleError):
        fee_inputs(table or "x")


def test_answers_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(FeeRuleError, match="not valid"):
        calculate_fee(Service(fee_table="fee_food_shop"), ["area_sqm", 10])  # type: ignore[arg-type]


# --- properties -----------------------------------------------------------------------------

areas = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)


@given(smaller=areas, larger=areas)
def test_the_food_shop_fee_never_decreases_as_the_area_grows(
    smaller: Decimal, larger: Decimal
) -> None:
    smaller, larger = sorted((smaller, larger))
    assert fee("fee_food_shop", area_sqm=str(smaller)) <= fee("fee_food_shop", area_sqm=str(larger))


@given(hp=st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_every_machine_power_has_exactly_one_of_the_published_fees(hp: float) -> None:
    assert fee("fee_factory", machine_hp=hp) in {
        Decimal("500.00"),
        Decimal("2500.00"),
        Decimal("10000.00"),
    }


@given(
    area=st.one_of(st.integers(min_value=0, max_value=10**6), st.floats(min_value=0, max_value=1e6))
)
def test_an_int_a_float_and_its_text_give_the_same_fee(area: float) -> None:
    assert fee("fee_food_shop", area_sqm=area) == fee("fee_food_shop", area_sqm=str(area))


# --- the tables as files ----------------------------------------------------------------------


def test_every_demo_service_names_a_table_and_every_listed_choice_has_a_fee() -> None:
    """The catalogue's forms and the fee tables must agree: a choice the form offers
    must never hit "no rule matches" at approval time."""
    for entry in demo.SERVICES:
        inputs = fee_inputs(entry["fee_table"])
        properties = entry["form_schema"].get("properties", {})
        for field in inputs:
            assert field in properties, f"{entry['slug']}: the form has no {field} answer"
            for choice in properties[field].get("enum", []):
                assert fee(entry["fee_table"], **{field: choice}) > 0


def test_each_file_is_parsed_once_and_cached() -> None:
    assert services.load_fee_table("fee_food_shop") is services.load_fee_table("fee_food_shop")


@pytest.fixture
def table_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(services, "FEE_TABLE_DIR", tmp_path)
    services.load_fee_table.cache_clear()
    yield tmp_path
    services.load_fee_table.cache_clear()


DMN_HEAD = (
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
    'namespace="https://bizportal.go.th/dmn/test">'
)


def test_a_table_that_fails_the_dmn_schema_is_refused_when_loaded(table_dir: Path) -> None:
    (table_dir / "fee_broken.dmn").write_text(
        DMN_HEAD + '<decision id="fee_broken"><decisionTable id="t"><rule id="r"/></decisionTable>'
        "</decision></definitions>"
    )
    with pytest.raises(FeeRuleError, match="cannot be used") as refused:
        fee("fee_broken")
    assert refused.value.code == "bad_table"


def test_a_table_without_a_fee_output_is_refused(table_dir: Path) -> None:
    (table_dir / "fee_no_output.dmn").write_text(
        DMN_HEAD + '<decision id="fee_no_output" name="x"><decisionTable id="t">'
        '<output id="o" name="amount" typeRef="number"/>'
        '<rule id="r"><outputEntry id="e"><text>1</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )
    with pytest.raises(FeeRuleError, match="one output named 'fee'"):
        fee("fee_no_output")


def test_a_table_whose_input_is_an_expression_not_a_field_is_refused(table_dir: Path) -> None:
    (table_dir / "fee_expr.dmn").write_text(
        DMN_HEAD + '<decision id="fee_expr" name="x"><decisionTable id="t">'
        '<input id="i"><inputExpression id="ie" typeRef="number">'
        "<text>area_sqm * 2</text></inputExpression></input>"
        '<output id="o" name="fee" typeRef="number"/>'
        '<rule id="r"><inputEntry id="ien"><text>-</text></inputEntry>'
        '<outputEntry id="e"><text>1</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )
    with pytest.raises(FeeRuleError, match="not an answer field name"):
        fee_inputs("fee_expr")
