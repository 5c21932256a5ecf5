"""Validating application answers against the service's JSON Schema.

The schema is the agency's contract (JSON Schema 2020-12, checked with
``jsonschema``); this module adds the two Thai formats and turns the validator's
errors into one bilingual message per field, using the labels of the UI schema.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from bizportal.core.thai import validate_citizen_id, validate_juristic_id

format_checker = FormatChecker()
_REQUIRED = re.compile(r"^'([^']+)' is a required property$")


@format_checker.checks("th-citizen-id", raises=ValidationError)
def _is_citizen_id(value: object) -> bool:
    return not isinstance(value, str) or bool(validate_citizen_id(value))


@format_checker.checks("th-juristic-id", raises=ValidationError)
def _is_juristic_id(value: object) -> bool:
    return not isinstance(value, str) or bool(validate_juristic_id(value))


def check_schema(schema: dict[str, Any]) -> None:
    """Raise if an agency's form schema is not valid JSON Schema 2020-12."""
    Draft202012Validator.check_schema(schema)


def validate_answers(
    schema: dict[str, Any], ui_schema: dict[str, Any], answers: dict[str, Any]
) -> dict[str, str]:
    """Return ``{field: "ไทย / English"}`` for every invalid field; empty when valid."""
    validator = Draft202012Validator(schema, format_checker=format_checker)
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(answers), key=lambda e: list(e.path)):
        field = _field_of(error)
        if field not in errors:
            errors[field] = _message(error, field, ui_schema)
    return errors


def _field_of(error: SchemaError) -> str:
    if error.validator == "required":
        # One error per missing property, each worded "'phone' is a required property"
        # (validator_value is the whole list, so it cannot tell them apart).
        named = _REQUIRED.match(error.message)
        if named:
            return named.group(1)
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return missing[0] if missing else "__all__"
    return str(error.path[0]) if error.path else "__all__"


def _label(field: str, ui_schema: dict[str, Any]) -> tuple[str, str]:
    ui = ui_schema.get("fields", {}).get(field, {})
    return ui.get("label_th", field), ui.get("label_en", field)


def _message(error: SchemaError, field: str, ui_schema: dict[str, Any]) -> str:
    th, en = _label(field, ui_schema)
    kind = error.validator
    value = error.validator_value
    widget = ui_schema.get("fields", {}).get(field, {}).get("widget")
    if widget == "checkbox" and kind in {"required", "const"}:
        return f"กรุณาทำเครื่องหมายยืนยัน: {th} / Please tick to confirm: {en}"
    if kind == "required":
        return f"กรุณากรอก{th} / {en} is required"
    if kind == "format":
        cause = error.cause
        if isinstance(cause, ValidationError):
            return str(cause.messages[0])
        return f"{th}มีรูปแบบไม่ถูกต้อง / {en} has an invalid format"
    if kind == "type":
        expected = {
            "number": ("ตัวเลข", "a number"),
            "integer": ("จำนวนเต็ม", "a whole number"),
            "string": ("ข้อความ", "text"),
            "boolean": ("ใช่หรือไม่", "yes or no"),
        }
        t_th, t_en = expected.get(str(value), (str(value), str(value)))
        return f"{th}ต้องเป็น{t_th} / {en} must be {t_en}"
    if kind == "minLength":
        return f"{th}ต้องมีอย่างน้อย {value} ตัวอักษร / {en} needs at least {value} characters"
    if kind == "maxLength":
        return f"{th}ยาวได้ไม่เกิน {value} ตัวอักษร / {en} may have at most {value} characters"
    if kind in {"minimum", "exclusiveMinimum"}:
        op_th = "ไม่น้อยกว่า" if kind == "minimum" else "มากกว่า"
        op_en = "at least" if kind == "minimum" else "more than"
        return f"{th}ต้อง{op_th} {value} / {en} must be {op_en} {value}"
    if kind in {"maximum", "exclusiveMaximum"}:
        return f"{th}ต้องไม่เกิน {value} / {en} must be at most {value}"
    if kind == "enum":
        return f"กรุณาเลือก{th}จากรายการ / Choose {en} from the list"
    if kind == "pattern":
        ui = ui_schema.get("fields", {}).get(field, {})
        hint_th, hint_en = ui.get("help_th", ""), ui.get("help_en", "")
        suffix_th = f" ({hint_th})" if hint_th else ""
        suffix_en = f" ({hint_en})" if hint_en else ""
        return f"{th}ไม่ถูกต้อง{suffix_th} / {en} is not valid{suffix_en}"
    return f"{th}ไม่ถูกต้อง / {en} is not valid"
