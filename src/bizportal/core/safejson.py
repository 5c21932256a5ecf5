"""One JSON loader for everything that arrives from outside: bounded and clean.

Python's ``json`` happily returns what later code cannot handle: a 10,000-deep array
(the decoder recurses until ``RecursionError``), ``1e400`` (``inf``), ``NaN``, a lone
surrogate ``"\\ud800"`` (valid JSON, but no UTF-8 encoder or PostgreSQL accepts it)
and ``"\\u0000"`` (PostgreSQL text and jsonb refuse NUL). Each of these used to end in
a 500 somewhere far from the request. This loader refuses them at the door with a
message in the reader's language, so the DRF parser (:mod:`bizportal.core.parsers`), the payment
callback and anything else that reads outside JSON answer a clean 400 (or 413 when
the body is over the size bound).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

#: Characters no stored text may hold: NUL and UTF-16 surrogate halves.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class JsonRefused(ValueError):
    """The document is refused; ``status`` is 413 for size, else 400 (message translated)."""

    def __init__(self, message: str, *, status: int = 400, code: str = "invalid-json") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def max_bytes() -> int:
    return int(settings.BIZPORTAL_JSON_MAX_BYTES)


def max_depth() -> int:
    return int(settings.BIZPORTAL_JSON_MAX_DEPTH)


def too_large(limit: int) -> JsonRefused:
    return JsonRefused(
        _("The body is larger than %(limit)s bytes") % {"limit": f"{limit:,}"},
        status=413,
        code="payload-too-large",
    )


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(
        _("Non-finite numbers such as %(name)s are not accepted") % {"name": name},
        code="non-finite-number",
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse_constant(text[:20])
    return value


def loads(data: bytes | str, *, limit: int | None = None, depth: int | None = None) -> Any:
    """Parse ``data`` or raise :class:`JsonRefused`.

    Refused: more than ``limit`` bytes (default ``BIZPORTAL_JSON_MAX_BYTES``), bytes
    that are not UTF-8, nesting deeper than ``depth`` (default
    ``BIZPORTAL_JSON_MAX_DEPTH``), ``NaN``/``Infinity`` and numbers that overflow to
    infinity, integers too long to convert, and strings or keys holding NUL or a lone
    surrogate.
    """
    limit = max_bytes() if limit is None else limit
    depth = max_depth() if depth is None else depth
    if isinstance(data, bytes):
        if len(data) > limit:
            raise too_large(limit)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused(_("The body is not valid UTF-8"), code="invalid-encoding") from None
    else:
        text = data
        if len(text) > limit:
            raise too_large(limit)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep(depth) from None
    except JsonRefused:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer over the digit limit
        raise JsonRefused(
            _("The body is not valid JSON: %(error)s") % {"error": str(error)[:200]}
        ) from None
    check(value, depth=depth)
    return value


def check(value: Any, *, depth: int | None = None) -> None:
    """Walk a parsed value without recursion: refuse deep nesting and bad strings."""
    depth = max_depth() if depth is None else depth
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            if level > depth:
                raise _too_deep(depth)
            for key, child in item.items():
                _check_text(key)
                stack.append((child, level + 1))
        elif isinstance(item, list):
            if level > depth:
                raise _too_deep(depth)
            stack.extend((child, level + 1) for child in item)
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            _refuse_constant(repr(item))


def _check_text(text: str) -> None:
    if _FORBIDDEN.search(text):
        raise JsonRefused(
            _("Text holds a character that is not allowed (NUL or an unpaired surrogate)"),
            code="invalid-unicode",
        )


def _too_deep(depth: int) -> JsonRefused:
    return JsonRefused(
        _("The JSON is nested deeper than %(depth)s levels") % {"depth": depth},
        code="too-deep",
    )
