"""Validating application answers against the service's JSON Schema.

The schema is the agency's contract (JSON Schema 2020-12, checked with
``jsonschema``); this module adds the two Thai formats and turns the validator's
errors into one message per field in the reader's language, using the labels of the UI schema.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
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
    """Return ``{field: message}`` (in the reader's language) for every invalid field;
    empty when valid."""
    validator = Draft202012Validator(schema, format_checker=format_checker)
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(answers), key=lambda e: list(e.path)):
        field = _field_of(error)
        if field not in errors:
            errors[field] = _message(error, field, ui_schema)
    return errors


#: JSON Schema keywords that bound a number.
_NUMBER_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_SCALAR_TYPES = {"string", "number", "integer", "boolean", "null"}


def draft_bounds_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """What even an incomplete draft must respect, derived from the form's schema.

    A draft may miss required answers or hold text where a number belongs (the applicant
    fixes it before submitting), but it may not hold fields the form does not have, text
    longer than the field's ``maxLength`` (``FORM_DEFAULT_MAX_LENGTH`` when the agency set
    none), numbers outside the field's bounds (``FORM_DEFAULT_MAX_NUMBER`` in magnitude
    when it set none), or lists and objects where the form asks for one value. These
    keywords apply only to values of their type, so the derived schema never refuses
    a draft for being incomplete.
    """
    default_length = int(settings.FORM_DEFAULT_MAX_LENGTH)
    default_number = float(settings.FORM_DEFAULT_MAX_NUMBER)
    properties: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = prop if isinstance(prop, dict) else {}
        bounds: dict[str, Any] = {"maxLength": prop.get("maxLength", default_length)}
        if any(key in prop for key in _NUMBER_BOUNDS):
            bounds.update({key: prop[key] for key in _NUMBER_BOUNDS if key in prop})
        else:
            bounds.update({"minimum": -default_number, "maximum": default_number})
        declared = prop.get("type", "string")
        declared = set(declared) if isinstance(declared, list) else {declared}
        if declared <= _SCALAR_TYPES:
            bounds["type"] = ["string", "number", "boolean", "null"]
        properties[name] = bounds
    return {"type": "object", "properties": properties}


def validate_draft(
    schema: dict[str, Any], ui_schema: dict[str, Any], answers: dict[str, Any]
) -> dict[str, str]:
    """``{field: message}`` for answers a draft may not hold even unfinished:
    unknown fields and values outside :func:`draft_bounds_schema`. Empty when fine."""
    known = schema.get("properties", {})
    errors: dict[str, str] = {}
    for name in answers:
        if name not in known:
            shown = str(name)[:60]
            errors[shown] = _("This form has no field %(field)s") % {"field": shown}
    bounded = {name: value for name, value in answers.items() if name in known}
    errors.update(validate_answers(draft_bounds_schema(schema), ui_schema, bounded))
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


def _label(field: str, ui_schema: dict[str, Any]) -> str:
    """The field's label from the UI schema in the reader's language (Thai when missing)."""
    ui = ui_schema.get("fields", {}).get(field, {})
    return str(_in_language(ui.get("label_th", field), ui.get("label_en", "")) or field)


def _in_language(thai: str, english: str) -> str:
    """The agency's Thai or English wording of a label or hint, for the reader's language."""
    return thai if (get_language() or "th").startswith("th") else (english or thai)


def _message(error: SchemaError, field: str, ui_schema: dict[str, Any]) -> str:
    label = _label(field, ui_schema)
    kind = error.validator
    value = error.validator_value
    widget = ui_schema.get("fields", {}).get(field, {}).get("widget")
    if widget == "checkbox" and kind in {"required", "const"}:
        return _("Please tick to confirm: %(label)s") % {"label": label}
    if kind == "required":
        return _("%(label)s is required") % {"label": label}
    if kind == "format":
        cause = error.cause
        if isinstance(cause, ValidationError):
            return str(cause.messages[0])
        return _("%(label)s has an invalid format") % {"label": label}
    if kind == "type":
        expected = {
            "number": _("a number"),
            "integer": _("a whole number"),
            "string": _("text"),
            "boolean": _("yes or no"),
        }
        if isinstance(value, list):  # the draft bound: one value, not a list or object
            return _("%(label)s must be a single value") % {"label": label}
        kind_of = expected.get(str(value), str(value))
        return _("%(label)s must be %(kind)s") % {"label": label, "kind": kind_of}
    if kind == "minLength":
        return _("%(label)s needs at least %(count)s characters") % {"label": label, "count": value}
    if kind == "maxLength":
        return _("%(label)s may have at most %(count)s characters") % {
            "label": label,
            "count": value,
        }
    if kind == "minimum":
        return _("%(label)s must be at least %(value)s") % {"label": label, "value": value}
    if kind == "exclusiveMinimum":
        return _("%(label)s must be more than %(value)s") % {"label": label, "value": value}
    if kind in {"maximum", "exclusiveMaximum"}:
        return _("%(label)s must be at most %(value)s") % {"label": label, "value": value}
    if kind == "enum":
        return _("Choose %(label)s from the list") % {"label": label}
    if kind == "pattern":
        ui = ui_schema.get("fields", {}).get(field, {})
        hint = _in_language(ui.get("help_th", ""), ui.get("help_en", ""))
        if hint:
            return _("%(label)s is not valid (%(hint)s)") % {"label": label, "hint": hint}
    return _("%(label)s is not valid") % {"label": label}
