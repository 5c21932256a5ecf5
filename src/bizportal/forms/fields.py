"""Turning a service's form definition into fields a page can render, and back.

HTML forms post strings; the JSON Schema speaks numbers and integers. ``coerce``
converts posted values by the schema type and keeps what cannot be converted as
text, so the validator reports it and the applicant's input is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class FormField:
    name: str
    label: str
    widget: str
    required: bool
    value: Any
    help: str = ""
    readonly: bool = False
    error: str = ""
    choices: list[Choice] = field(default_factory=list)

    @property
    def input_type(self) -> str:
        return {"number": "number", "email": "email", "tel": "tel"}.get(self.widget, "text")


def _lang() -> str:
    return "th" if (get_language() or "th").startswith("th") else "en"


def build_fields(
    schema: dict[str, Any],
    ui_schema: dict[str, Any],
    answers: dict[str, Any],
    errors: dict[str, str],
) -> list[FormField]:
    lang = _lang()
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    ui_fields: dict[str, Any] = ui_schema.get("fields", {})
    order = ui_schema.get("order") or list(properties)
    result = []
    for name in order:
        if name not in properties:
            continue
        ui = ui_fields.get(name, {})
        prop = properties[name]
        value = answers.get(name, "")
        if ui.get("omit_when_empty") and ui.get("readonly") and value in ("", None):
            continue  # a prefilled field that does not apply to this applicant
        widget = ui.get("widget") or (
            "checkbox"
            if prop.get("type") == "boolean"
            else "select"
            if "enum" in prop
            else "number"
            if prop.get("type") in {"number", "integer"}
            else "text"
        )
        choices = [
            Choice(
                value=str(option),
                label=ui.get("choices", {}).get(option, {}).get(lang, str(option)),
                selected=str(value) == str(option),
            )
            for option in prop.get("enum", [])
        ]
        result.append(
            FormField(
                name=name,
                label=ui.get(f"label_{lang}") or ui.get("label_th") or name,
                widget=widget,
                required=name in required,
                value="" if value is None else value,
                help=ui.get(f"help_{lang}", ""),
                readonly=bool(ui.get("readonly")),
                error=errors.get(name, ""),
                choices=choices,
            )
        )
    return result


def coerce(schema: dict[str, Any], posted: dict[str, str]) -> dict[str, Any]:
    """Answers typed by the schema; blank optional fields are left out."""
    properties: dict[str, Any] = schema.get("properties", {})
    answers: dict[str, Any] = {}
    for name, prop in properties.items():
        if name not in posted:
            continue
        raw = (posted.get(name) or "").strip()
        if raw == "":
            continue
        answers[name] = _coerce_value(prop.get("type"), raw)
    return answers


def _coerce_value(kind: str | None, raw: str) -> Any:
    if kind in {"number", "integer"}:
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            return raw
        if not number.is_finite():
            return raw
        if kind == "integer" and number == number.to_integral_value():
            return int(number)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        return raw.lower() in {"1", "true", "yes", "on"}
    return raw
