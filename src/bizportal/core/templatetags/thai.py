"""Template filters for Thai pages: Buddhist-era dates and baht amounts.

Registered as builtins in settings, so every template can use them without ``load``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.translation import get_language

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
def lang_part(value: object) -> str:
    """The current language's half of a bilingual label "ไทย / English"."""
    text = str(value)
    if " / " not in text:
        return text
    thai_part, english_part = text.split(" / ", 1)
    return thai_part if (get_language() or "th").startswith("th") else english_part


@register.filter
def lang_parts(value: object) -> str:
    """``lang_part`` of each of several labels joined by "; " (parallel process steps)."""
    return "; ".join(lang_part(part) for part in str(value).split("; ") if part)


@register.filter
def pick(value: object, lang_field: str) -> object:
    """``obj|pick:"name"`` gives ``obj.name_th`` on Thai pages, else ``obj.name_en`` (or Thai)."""
    lang = "th" if (get_language() or "th").startswith("th") else "en"
    text = getattr(value, f"{lang_field}_{lang}", "") or getattr(value, f"{lang_field}_th", "")
    return text
