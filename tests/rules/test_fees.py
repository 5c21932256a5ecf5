"""Fees come from the live versions of the shipped DMN tables in ``rules/dmn/``.

Each test reads as one line of the fee schedule, including the boundaries, and the
bad answers an application can carry (missing, negative, wrong type, unknown choice).
The shipped tables are in the test database because ``sync_shipped_tables`` runs
after every migrate.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from bizportal.catalog import demo
from bizportal.catalog.models import Service
from bizportal.rules import services
from bizportal.rules.services import (
    FeeLine,
    FeeRuleError,
    calculate_fee,
    fee_inputs,
    live_version,
    quote_fee,
)

pytestmark = pytest.mark.django_db


def fee(table: str, **answers: object) -> Decimal:
    return calculate_fee(Service(fee_table=table), answers)


def renewal(table: str, days_past_expiry: object, **answers: object) -> services.FeeQuote:
    facts = {"kind": "renew", "days_past_expiry": days_past_expiry}
    return quote_fee(live_version(table), answers, facts)


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


def test_an_amendment_is_a_flat_100_baht_with_its_own_invoice_line() -> None:
    quote = quote_fee(live_version("fee_amendment"), {"anything": "else"})
    assert quote.total == Decimal("100.00")
    assert quote.lines == (FeeLine(Decimal("100.00"), "ค่าธรรมเนียมแก้ไขรายการ / Amendment fee"),)
    assert fee_inputs("fee_amendment") == []


def test_a_cancellation_costs_nothing() -> None:
    assert fee("fee_none") == Decimal("0.00")
    assert fee("fee_none").as_tuple().exponent == -2


def test_fees_are_baht_with_exactly_two_places() -> None:
    result = fee("fee_food_shop", area_sqm=10)
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -2


def test_a_quote_names_the_table_the_version_and_a_line_per_fee() -> None:
    quote = quote_fee(live_version("fee_food_shop"), {"area_sqm": 120})
    assert (quote.key, quote.version_number, quote.total) == (
        "fee_food_shop",
        1,
        Decimal("1000.00"),
    )
    # A table without an ``item`` output labels its line with the table's name.
    assert quote.lines == (
        FeeLine(Decimal("1000.00"), "ค่าธรรมเนียมใบอนุญาตสถานที่จำหน่ายอาหาร / Food shop licence fee"),
    )


# --- renewals: COLLECT SUM with the late surcharge ----------------------------------------


@pytest.mark.parametrize(
    ("area_sqm", "on_time", "late"),
    [
        (50, "500.00", "600.00"),
        (50.01, "1000.00", "1200.00"),
        (200, "1000.00", "1200.00"),
        (200.01, "2000.00", "2400.00"),
    ],
)
def test_a_food_shop_renewal_adds_20_percent_when_one_day_late(
    area_sqm: float, on_time: str, late: str
) -> None:
    assert renewal("fee_food_shop_renewal", 0, area_sqm=area_sqm).total == Decimal(on_time)
    assert renewal("fee_food_shop_renewal", -30, area_sqm=area_sqm).total == Decimal(on_time)
    assert renewal("fee_food_shop_renewal", 1, area_sqm=area_sqm).total == Decimal(late)


def test_a_late_renewal_is_itemised_as_the_fee_plus_the_surcharge() -> None:
    quote = renewal("fee_food_shop_renewal", 12, area_sqm=120)
    assert quote.lines == (
        FeeLine(
            Decimal("1000.00"),
            "ค่าธรรมเนียมต่ออายุใบอนุญาตสถานที่จำหน่ายอาหาร / Food shop licence renewal fee",
        ),
        FeeLine(Decimal("200.00"), "ค่าปรับต่ออายุล่าช้า ร้อยละ 20 / Late renewal surcharge (20%)"),
    )
    assert quote.total == sum(line.amount for line in quote.lines)
    assert fee_inputs("fee_food_shop_renewal") == ["area_sqm", "application.days_past_expiry"]


@pytest.mark.parametrize(("days", "expected"), [(-5, "200.00"), (0, "200.00"), (1, "300.00")])
def test_the_standard_renewal_is_200_plus_100_when_late(days: int, expected: str) -> None:
    assert renewal("fee_renewal_standard", days).total == Decimal(expected)


def test_calculate_fee_passes_facts_through() -> None:
    service = Service(fee_table="fee_renewal_standard")
    assert calculate_fee(service, {}, {"days_past_expiry": 3}) == Decimal("300.00")


def test_a_missing_fact_is_refused_naming_its_path() -> None:
    with pytest.raises(FeeRuleError) as refused:
        calculate_fee(Service(fee_table="fee_renewal_standard"), {})
    assert refused.value.code == "missing"
    assert refused.value.field == "application.days_past_expiry"
    assert str(refused.value) == "ต้องระบุจำนวนวันที่เลยวันหมดอายุ เพื่อคำนวณค่าธรรมเนียม"
    with translation.override("en"), pytest.raises(FeeRuleError) as refused:
        calculate_fee(Service(fee_table="fee_renewal_standard"), {})
    assert str(refused.value) == "Days past expiry is needed to calculate the fee"


def test_answers_cannot_pose_as_facts() -> None:
    answers = {"area_sqm": 10, "application": {"days_past_expiry": 400}}
    quote = quote_fee(live_version("fee_food_shop_renewal"), answers, {"days_past_expiry": 0})
    assert quote.total == Decimal("500.00")
    with pytest.raises(FeeRuleError, match="ต้องระบุจำนวนวันที่เลยวันหมดอายุ"):
        quote_fee(live_version("fee_food_shop_renewal"), answers)


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
    assert str(refused.value) == "ต้องระบุพื้นที่ประกอบการ (ตารางเมตร) เพื่อคำนวณค่าธรรมเนียม"
    with translation.override("en"), pytest.raises(FeeRuleError) as refused:
        calculate_fee(Service(fee_table="fee_food_shop"), answers)
    assert str(refused.value) == "Floor area (m²) is needed to calculate the fee"


@pytest.mark.parametrize("area_sqm", [-1, -0.01, "-50"])
def test_a_negative_quantity_is_refused(area_sqm: object) -> None:
    with pytest.raises(FeeRuleError, match=r"^พื้นที่ประกอบการ .* ต้องไม่ติดลบ") as refused:
        fee("fee_food_shop", area_sqm=area_sqm)
    assert refused.value.code == "invalid"
    with (
        translation.override("en"),
        pytest.raises(FeeRuleError, match=r"^Floor area .* must not be negative"),
    ):
        fee("fee_food_shop", area_sqm=area_sqm)


@pytest.mark.parametrize(
    "machine_hp",
    [True, False, "many", "1,200", [50], {"hp": 50}, float("nan"), float("inf"), "NaN", "Infinity"],
)
def test_a_non_number_is_refused(machine_hp: object) -> None:
    with pytest.raises(FeeRuleError, match=r"ต้องเป็นตัวเลข \(ได้รับ") as refused:
        fee("fee_factory", machine_hp=machine_hp)
    with (
        translation.override("en"),
        pytest.raises(FeeRuleError, match=r"^Total machine power .* must be a number"),
    ):
        fee("fee_factory", machine_hp=machine_hp)
    assert refused.value.code == "invalid"
    assert refused.value.field == "machine_hp"


@pytest.mark.parametrize("days", ["soon", True, None])
def test_a_fact_of_the_wrong_type_is_refused_like_an_answer(days: object) -> None:
    with pytest.raises(FeeRuleError) as refused:
        renewal("fee_renewal_standard", days)
    assert refused.value.code in {"invalid", "missing"}
    assert refused.value.field == "application.days_past_expiry"


@pytest.mark.parametrize("sales_type", [1, True, ["retail"], "   "])
def test_a_choice_that_is_not_text_is_refused(sales_type: object) -> None:
    with pytest.raises(FeeRuleError) as refused:
        fee("fee_liquor_sale", sales_type=sales_type)
    assert refused.value.code in {"invalid", "missing"}
    assert "ประเภทการขาย" in str(refused.value)


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
    assert refused.value.field == field
    assert str(refused.value) == f"ไม่มีอัตราค่าธรรมเนียมที่ตรงกับคำตอบ ({field}={value!r})"
    with translation.override("en"), pytest.raises(FeeRuleError) as refused:
        fee(table, **{field: value})
    assert str(refused.value) == f"No fee rule matches the answers ({field}={value!r})"


@pytest.mark.parametrize("table", ["", "fee_unknown", "../settings", "FEE_FOOD_SHOP", "fee food"])
def test_an_unknown_fee_table_is_a_clear_error(table: str) -> None:
    with pytest.raises(FeeRuleError, match="ตารางค่าธรรมเนียม") as refused:
        calculate_fee(Service(fee_table=table), {})
    assert refused.value.code == "unknown_table"
    with pytest.raises(FeeRuleError):
        fee_inputs(table or "x")


def test_answers_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(FeeRuleError, match="คำตอบในคำขอไม่ถูกต้อง"):
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


@given(area=areas, days=st.integers(min_value=-365, max_value=3650))
def test_a_late_renewal_never_costs_less_and_costs_exactly_20_percent_more(
    area: Decimal, days: int
) -> None:
    on_time = renewal("fee_food_shop_renewal", 0, area_sqm=str(area)).total
    quoted = renewal("fee_food_shop_renewal", days, area_sqm=str(area)).total
    assert quoted == (on_time * Decimal("1.2") if days > 0 else on_time)
    assert on_time == fee("fee_food_shop", area_sqm=str(area))


# --- the tables as shipped ----------------------------------------------------------------------


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


def test_every_shipped_file_is_live_as_version_1() -> None:
    keys = sorted(path.stem for path in services.SHIPPED_TABLE_DIR.glob("*.dmn"))
    assert keys == [
        "fee_amendment",
        "fee_commercial_registration",
        "fee_factory",
        "fee_food_shop",
        "fee_food_shop_renewal",
        "fee_liquor_sale",
        "fee_medical_device",
        "fee_none",
        "fee_renewal_standard",
        "fee_tour_business",
    ]
    for key in keys:
        version = live_version(key)
        assert version.number == 1
        assert version.source == (services.SHIPPED_TABLE_DIR / f"{key}.dmn").read_text()


def test_the_shipped_tables_are_feel_not_python() -> None:
    for path in services.SHIPPED_TABLE_DIR.glob("*.dmn"):
        text = path.read_text()
        assert 'expressionLanguage="python"' not in text, path.name
        cells = re.findall(r"<text>(.*?)</text>", text)
        assert cells, path.name
        assert not [cell for cell in cells if "?" in cell], path.name  # Python's "50 < ? <= 200"
        assert "dmndi:DMNShape" in text, f"{path.name} lost its diagram"


def test_each_version_is_parsed_once_and_cached() -> None:
    version = live_version("fee_food_shop")
    again = live_version("fee_food_shop")
    assert version is not again
    assert services.decision_table(version) is services.decision_table(again)
