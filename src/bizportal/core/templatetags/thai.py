"""Template filters for Thai pages: Buddhist-era dates and baht amounts.

Registered as builtins in settings, so every template can use them without ``load``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django import template
from django.utils.translation import get_language, gettext

from bizportal.core import thai

register = template.Library()


@register.filter
def localdate(value: dt.date | dt.datetime | None, arg: str = "") -> str:
    """Buddhist-era date on Thai pages, Gregorian on English ones. ``arg``: "time"."""
    with_time = arg == "time"
    if (get_language() or "th").startswith("th"):
        return thai.thai_date(value, with_time=with_time)
    return thai.english_date(value, with_time=with_time)


@register.filter
def money(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return ""
    return f"{thai.baht(value):,.2f}"


@register.filter
def bahttext(value: Decimal | int | str | None) -> str:
    return "" if value is None else thai.baht_text(value)


@register.filter
def translated(value: object) -> str:
    """A stored message code (its English msgid) in the reader's language.

    Labels written before the catalogues existed were stored as "ไทย / English"; those
    still show the reader's half, so old history stays readable.
    """
    text = str(value)
    if " / " in text and _has_thai(text.split(" / ", 1)[0]):
        thai_part, english_part = text.split(" / ", 1)
        return thai_part if (get_language() or "th").startswith("th") else english_part
    return gettext(text) if text else text


@register.filter
def translated_parts(value: object) -> str:
    """``translated`` of each of several labels joined by "; " (parallel process steps)."""
    return "; ".join(translated(part) for part in str(value).split("; ") if part)


def _has_thai(text: str) -> bool:
    return any("\u0e00" <= char <= "\u0e7f" for char in text)


@register.filter
def pick(value: object, lang_field: str) -> object:
    """``obj|pick:"name"`` gives ``obj.name_th`` on Thai pages, else ``obj.name_en`` (or Thai);
    ``obj`` may also be a dict (``name_th``/``name_en`` keys)."""
    lang = "th" if (get_language() or "th").startswith("th") else "en"
    if isinstance(value, Mapping):  # a stored JSON record with both languages
        return value.get(f"{lang_field}_{lang}") or value.get(f"{lang_field}_th", "")
    return (
        getattr(value, f"{lang_field}_{lang}", "")
        or getattr(value, f"{lang_field}_th", "")
        or getattr(value, lang_field, "")  # a Thai field without suffix: holder_name
    )


@register.filter
def in_language(value: object) -> object:
    """The reader's text of a data pair: ``(thai, english)``, ``{"th", "en"}`` or an object
    with ``th``/``en`` (advisor options, survey choices, registry field labels); Thai when
    the English is missing. Data an agency wrote in two languages, so not for gettext."""
    english = not (get_language() or "th").startswith("th")
    if isinstance(value, (tuple, list)):
        thai_text, english_text = value[0], value[1]
    elif isinstance(value, Mapping):
        thai_text, english_text = value.get("th", ""), value.get("en", "")
    else:
        thai_text, english_text = getattr(value, "th", ""), getattr(value, "en", "")
    return (english_text or thai_text) if english else thai_text
