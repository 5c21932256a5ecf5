"""Server-side validation of application answers, with Thai and English messages."""

from django.utils import translation

from bizportal.catalog import demo
from bizportal.catalog.bundles import CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA
from bizportal.forms.fields import build_fields, coerce
from bizportal.forms.validation import check_schema, validate_answers
from tests.factories import ApplicantFactory, citizen_id, valid_food_shop_answers

FOOD = next(s for s in demo.SERVICES if s["slug"] == "food-shop-licence")
SCHEMA, UI = FOOD["form_schema"], FOOD["ui_schema"]


def answers(**changes: object) -> dict:
    base = valid_food_shop_answers(ApplicantFactory.build(citizen_id=citizen_id(5)))
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_every_demo_form_is_valid_json_schema() -> None:
    for service in demo.SERVICES:
        check_schema(service["form_schema"])


def test_complete_answers_pass() -> None:
    assert validate_answers(SCHEMA, UI, answers()) == {}


def test_an_invalid_citizen_id_is_reported_on_its_field() -> None:
    bad = citizen_id(777)[:-1] + str((int(citizen_id(777)[-1]) + 1) % 10)
    errors = validate_answers(SCHEMA, UI, answers(manager_citizen_id=bad))
    assert list(errors) == ["manager_citizen_id"]
    assert "เลขตรวจสอบไม่ตรง" in errors["manager_citizen_id"]
    with translation.override("en"):
        english = validate_answers(SCHEMA, UI, answers(manager_citizen_id=bad))
    assert "check digit" in english["manager_citizen_id"]


def test_a_missing_required_field_names_the_field_in_the_readers_language() -> None:
    errors = validate_answers(SCHEMA, UI, answers(business_name=None))
    assert errors == {"business_name": "กรุณากรอกชื่อสถานประกอบการ"}
    with translation.override("en"):
        errors = validate_answers(SCHEMA, UI, answers(business_name=None))
    assert errors == {"business_name": "Business name is required"}


def test_numbers_and_choices_are_checked() -> None:
    errors = validate_answers(SCHEMA, UI, answers(area_sqm=0, premises="borrowed", phone="12345"))
    assert set(errors) == {"area_sqm", "premises", "phone"}
    assert "มากกว่า 0" in errors["area_sqm"]
    assert "จากรายการ" in errors["premises"]
    with translation.override("en"):
        errors = validate_answers(SCHEMA, UI, answers(area_sqm=0, premises="borrowed"))
    assert "more than 0" in errors["area_sqm"]
    assert "Choose Premises from the list" in errors["premises"]


def test_posted_strings_are_typed_by_the_schema_and_bad_numbers_kept_for_the_message() -> None:
    typed = coerce(
        SCHEMA, {"area_sqm": "1,250.5", "seats": "40", "business_name": "  ร้าน  ", "phone": ""}
    )
    assert typed == {"area_sqm": 1250.5, "seats": 40, "business_name": "ร้าน"}
    kept = coerce(SCHEMA, {"area_sqm": "สิบ"})
    assert kept == {"area_sqm": "สิบ"}
    assert "ต้องเป็นตัวเลข" in validate_answers(SCHEMA, UI, answers(area_sqm="สิบ"))["area_sqm"]


def test_the_cancellation_form_is_a_reason_and_a_confirmation_checkbox() -> None:
    fields = {f.name: f for f in build_fields(CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA, {}, {})}
    assert list(fields) == ["reason", "confirm"]
    assert fields["reason"].widget == "textarea" and fields["reason"].required
    assert fields["confirm"].widget == "checkbox" and fields["confirm"].required
    ticked = build_fields(CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA, {"confirm": True}, {})
    assert ticked[1].value is True


def test_a_ticked_box_posts_true_and_an_unticked_one_is_missing() -> None:
    ticked = coerce(CANCEL_FORM_SCHEMA, {"reason": "เลิกกิจการแล้ว", "confirm": "true"})
    assert ticked == {"reason": "เลิกกิจการแล้ว", "confirm": True}
    assert validate_answers(CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA, ticked) == {}
    unticked = coerce(CANCEL_FORM_SCHEMA, {"reason": "เลิกกิจการแล้ว"})
    errors = validate_answers(CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA, unticked)
    assert list(errors) == ["confirm"]
    assert "ข้าพเจ้าเข้าใจว่าเมื่อยกเลิกแล้ว" in errors["confirm"]
    # "No" is not a confirmation either (the schema says it must be true).
    refused = validate_answers(
        CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA, {"reason": "เลิกกิจการแล้ว", "confirm": False}
    )
    assert list(refused) == ["confirm"]
