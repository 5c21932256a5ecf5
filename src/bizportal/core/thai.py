"""Thai identifiers, Buddhist-era dates and money in words.

The checksums come from python-stdnum; this module only gives them the messages a
Thai applicant reads, in the active language (the ``core`` catalogues).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)
from stdnum.th import moa, pin, tin

BE_OFFSET = 543
THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)


def _id_message(kind: str, error: StdnumError) -> str:
    """What is wrong with an identifier, in the active language; ``kind`` is translated."""
    if isinstance(error, InvalidLength):
        return _("%(kind)s must have 13 digits") % {"kind": kind}
    if isinstance(error, InvalidFormat):
        return _("%(kind)s must contain digits only") % {"kind": kind}
    if isinstance(error, InvalidChecksum):
        return _("%(kind)s is not valid (check digit does not match)") % {"kind": kind}
    return _("%(kind)s is not valid") % {"kind": kind}


def validate_citizen_id(value: str) -> str:
    """Return the compact 13-digit citizen ID or raise a translated ValidationError."""
    try:
        return str(pin.validate(value))
    except StdnumError as error:
        raise ValidationError(_id_message(_("Citizen ID"), error), code="citizen_id") from None


def validate_juristic_id(value: str) -> str:
    """Return the compact 13-digit juristic person number or raise a translated ValidationError."""
    try:
        return str(moa.validate(value))
    except StdnumError as error:
        raise ValidationError(
            _id_message(_("Juristic person ID"), error), code="juristic_id"
        ) from None


def validate_taxpayer_id(value: str) -> str:
    """Return the compact 13-digit taxpayer ID, a company's juristic number or a
    person's citizen ID, or raise a translated ValidationError.

    stdnum's ``tin`` says only "invalid format" for any failure, so the message comes
    from the check that fits the number (juristic numbers start with 0)."""
    try:
        return str(tin.validate(value))
    except StdnumError:
        checker = moa if tin.compact(str(value)).startswith("0") else pin
        try:
            checker.validate(value)
            error: StdnumError = InvalidFormat()
        except StdnumError as failed:
            error = failed
        raise ValidationError(_id_message(_("Taxpayer ID"), error), code="taxpayer_id") from None


def to_buddhist_year(year: int) -> int:
    return year + BE_OFFSET


def thai_date(
    value: dt.date | dt.datetime | None, *, short: bool = False, with_time: bool = False
) -> str:
    """Format a date the way Thai official documents do: 21 พฤศจิกายน 2569."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        moment: dt.datetime | None = value
        day = value.date()
    else:
        moment = None
        day = value
    months = THAI_MONTHS_SHORT if short else THAI_MONTHS
    text = f"{day.day} {months[day.month - 1]} {to_buddhist_year(day.year)}"
    if with_time and moment is not None:
        text += f" {moment:%H:%M} น."
    return text


def english_date(value: dt.date | dt.datetime | None, *, with_time: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    text = f"{value.day} {value:%B %Y}"
    if with_time and isinstance(value, dt.datetime):
        text += f" {value:%H:%M}"
    return text


def baht(amount: Decimal | int | str) -> Decimal:
    """Money in THB with two places, rounded half up as Thai receipts are."""
    return Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def baht_text(amount: Decimal | int | str) -> str:
    """The amount in Thai words, as printed on receipts: หนึ่งร้อยบาทถ้วน."""
    from pythainlp.util import bahttext

    return str(bahttext(float(baht(amount))))
