"""Thai identifiers, dates and money as applicants read them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from stdnum.th import pin

from bizportal.core import thai


def with_check_digit(first12: str) -> str:
    return first12 + str(pin.calc_check_digit(first12))


def test_a_valid_citizen_id_is_returned_compact() -> None:
    valid = with_check_digit("110170020345")
    assert (
        thai.validate_citizen_id(
            f"{valid[0]}-{valid[1:5]}-{valid[5:10]}-{valid[10:12]}-{valid[12]}"
        )
        == valid
    )


@pytest.mark.parametrize(
    ("value", "fragment", "thai_fragment"),
    [
        ("123", "13 digits", "ต้องมี 13 หลัก"),
        ("11017002034AB", "digits only", "ต้องเป็นตัวเลขเท่านั้น"),
        ("1101700203452", "check digit", "เลขตรวจสอบไม่ตรง"),
    ],
)
def test_invalid_citizen_ids_say_why_in_thai_and_english(
    value: str, fragment: str, thai_fragment: str
) -> None:
    if fragment == "check digit":
        good = with_check_digit("110170020345")
        value = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as caught:
        thai.validate_citizen_id(value)
    message = caught.value.messages[0]
    assert thai_fragment in message and "เลขประจำตัวประชาชน" in message
    assert fragment not in message
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        thai.validate_citizen_id(value)
    english = caught.value.messages[0]
    assert fragment in english and "Citizen ID" in english


@given(st.from_regex(r"[1-8][0-9]{11}", fullmatch=True))
def test_every_computed_check_digit_validates(first12: str) -> None:
    assert thai.validate_citizen_id(with_check_digit(first12)) == with_check_digit(first12)


def test_juristic_id_is_checked_with_its_own_message() -> None:
    with pytest.raises(ValidationError) as caught:
        thai.validate_juristic_id("0105561000000")
    assert "นิติบุคคล" in caught.value.messages[0]


def test_dates_use_the_buddhist_era() -> None:
    assert thai.thai_date(dt.date(2026, 11, 21)) == "21 พฤศจิกายน 2569"
    assert thai.thai_date(dt.date(2026, 1, 2), short=True) == "2 ม.ค. 2569"


def test_money_rounds_half_up_and_reads_in_thai_words() -> None:
    assert thai.baht("1100.005") == Decimal("1100.01")
    assert thai.baht_text(Decimal("1100.00")) == "หนึ่งพันหนึ่งร้อยบาทถ้วน"
