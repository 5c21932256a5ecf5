"""Reading a licence's check code as people type it, and comparing it safely.

The licence number is sequential and printed for all to see, so anyone can count
through the register; the check code (see :func:`bizportal.licences.models.
new_check_code`) is what proves the asker has the document itself. Only number *and*
code unlock the holder's details on the public verify page and API.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from .models import CHECK_CODE_ALPHABET, CHECK_CODE_LENGTH, Licence

#: Crockford's decoding: look-alike letters read as the digits they resemble.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CodeCheck(StrEnum):
    """What the request's code says about the asker."""

    ABSENT = "absent"
    MATCHED = "matched"
    MISMATCHED = "mismatched"


def normalise(code: str) -> str:
    """Upper case, without spaces or hyphens, look-alikes mapped; "" if not a code."""
    cleaned = code.strip().upper().replace("-", "").replace(" ", "")[: CHECK_CODE_LENGTH * 2]
    cleaned = cleaned.translate(_LOOK_ALIKES)
    if len(cleaned) != CHECK_CODE_LENGTH or any(c not in CHECK_CODE_ALPHABET for c in cleaned):
        return ""
    return cleaned


def check(licence: Licence, code: str | None) -> CodeCheck:
    """Whether ``code`` (as typed or from the QR link) is this licence's, in constant time."""
    if not code or not code.strip():
        return CodeCheck.ABSENT
    given = normalise(code)
    if given and licence.check_code and hmac.compare_digest(given, licence.check_code):
        return CodeCheck.MATCHED
    return CodeCheck.MISMATCHED
