"""Thai QR payment payloads (EMVCo merchant-presented QR), bill payment flavour.

Every Thai banking app pays a "Thai QR" code. Bill payment (tag 30) carries the
biller ID and two references, so the bank's confirmation tells us exactly which
invoice was paid, whereas a PromptPay credit transfer (tag 29, built by the PyPI
``promptpay`` package) would not. The payload is a chain of TLV fields: two-digit
tag, two-digit length, value; the last field (63) is a CRC-16/CCITT-FALSE over
everything before it including the literal ``6304``.

The CRC is :func:`binascii.crc_hqx` with initial value 0xFFFF, which is exactly
CRC-16/CCITT-FALSE (polynomial 0x1021, no reflection, no final XOR).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import segno
from django.utils.translation import gettext as _

from bizportal.core.thai import baht

BILL_PAYMENT_AID = "A000000677010112"
PROMPTPAY_AID = "A000000677010111"
CURRENCY_THB = "764"
COUNTRY_TH = "TH"
FORMAT_VERSION = "01"
DYNAMIC = "12"  # one-time QR: the amount is part of the code
STATIC = "11"

# Merchant account templates (26-51) and the additional data template (62) nest TLVs.
TEMPLATE_TAGS = frozenset({*(f"{n:02d}" for n in range(26, 52)), "62", "64"})
REFERENCE_RE = re.compile(r"^[0-9A-Z]{1,20}$")
BILLER_RE = re.compile(r"^[0-9]{15}$")


class PayloadError(ValueError):
    """A payload that is not a well-formed Thai QR code; the message is in the reader's language."""


@dataclass(frozen=True)
class BillPayment:
    """What a banking app shows the payer before they confirm."""

    biller_id: str
    ref1: str
    ref2: str
    amount: Decimal | None
    currency: str
    dynamic: bool
    scheme: str = "billpay"  # "promptpay": biller_id is then the PromptPay proxy


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of ``data`` as four upper-case hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def tlv(tag: str, value: str) -> str:
    """One field: tag, two-digit length, value (EMVCo caps a value at 99 characters)."""
    if len(value) > 99:
        raise PayloadError(_("Field %(tag)s is longer than 99 characters") % {"tag": tag})
    return f"{tag}{len(value):02d}{value}"


def to_reference(text: str) -> str:
    """Turn a portal number (BP-2569-000001) into a bill-payment reference (BP2569000001).

    Banks accept only digits and upper-case Latin letters, at most 20 of them.
    """
    reference = re.sub(r"[^0-9A-Z]", "", text.upper())
    if not REFERENCE_RE.match(reference):
        raise PayloadError(
            _("%(text)s cannot be a bill payment reference (1–20 digits or capital letters)")
            % {"text": repr(text)}
        )
    return reference


def bill_payment_payload(
    biller_id: str, ref1: str, ref2: str = "", amount: Decimal | None = None
) -> str:
    """The payload of a Thai QR bill payment; with an amount it is a one-time (dynamic) code."""
    if not BILLER_RE.match(biller_id):
        raise PayloadError(_("The biller ID must be 15 digits"))
    for name, ref in (("Ref1", ref1), ("Ref2", ref2)):
        if (ref or name == "Ref1") and not REFERENCE_RE.match(ref):
            raise PayloadError(
                _("%(name)s must be 1–20 digits or capital letters") % {"name": name}
            )
    account = tlv("00", BILL_PAYMENT_AID) + tlv("01", biller_id) + tlv("02", ref1)
    if ref2:
        account += tlv("03", ref2)
    fields = [
        tlv("00", FORMAT_VERSION),
        tlv("01", DYNAMIC if amount is not None else STATIC),
        tlv("30", account),
        tlv("53", CURRENCY_THB),
    ]
    if amount is not None:
        value = baht(amount)
        if value <= 0:
            raise PayloadError(_("The amount must be more than zero"))
        fields.append(tlv("54", f"{value:.2f}"))
    fields.append(tlv("58", COUNTRY_TH))
    body = "".join(fields) + "6304"
    return body + crc16(body)


def _split(text: str, where: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    position = 0
    while position < len(text):
        head = text[position : position + 4]
        if len(head) < 4 or not head.isdigit():
            raise PayloadError(
                _("Malformed QR payload at position %(position)s%(where)s")
                % {"position": position, "where": where}
            )
        tag, length = head[:2], int(head[2:])
        value = text[position + 4 : position + 4 + length]
        if len(value) != length:
            raise PayloadError(
                _("Field %(tag)s is shorter than its stated length%(where)s")
                % {"tag": tag, "where": where}
            )
        if tag in fields:
            raise PayloadError(
                _("Field %(tag)s appears twice%(where)s") % {"tag": tag, "where": where}
            )
        fields[tag] = value
        position += 4 + length
    return fields


def parse_payload(text: str) -> dict[str, str | dict[str, str]]:
    """Split a Thai QR payload into its fields, checking TLV structure and CRC.

    Templates (26-51, 62, 64) come back as dicts of their sub-fields. Raises
    :class:`PayloadError` with a translated message on any defect, so a mistyped
    or tampered code is refused before anyone sees an amount.
    """
    text = text.strip()
    if not text:
        raise PayloadError(_("The QR payload is empty"))
    if not text.isascii():
        raise PayloadError(_("The QR payload contains non-ASCII characters"))
    fields = _split(text, "")
    if list(fields)[-1] != "63" or len(fields["63"]) != 4:
        raise PayloadError(_("The QR payload must end with its CRC field (63)"))
    expected = crc16(text[:-4])
    if fields["63"].upper() != expected:
        raise PayloadError(
            _("CRC mismatch (got %(got)s, expected %(expected)s): the QR payload was altered")
            % {"got": fields["63"], "expected": expected}
        )
    if fields.get("00") != FORMAT_VERSION:
        raise PayloadError(_("Not an EMVCo QR payload (field 00)"))
    parsed: dict[str, str | dict[str, str]] = {}
    for tag, value in fields.items():
        parsed[tag] = (
            _split(value, " (%s)" % (_("in field %(tag)s") % {"tag": tag}))
            if tag in TEMPLATE_TAGS
            else value
        )
    return parsed


def read_bill_payment(text: str) -> BillPayment:
    """Parse a payload and return its bill payment, or raise :class:`PayloadError`."""
    fields = parse_payload(text)
    account = fields.get("30")
    if not isinstance(account, dict) or account.get("00") != BILL_PAYMENT_AID:
        raise PayloadError(_("This QR code is not a bill payment"))
    biller_id, ref1 = account.get("01", ""), account.get("02", "")
    if not biller_id or not ref1:
        raise PayloadError(_("A bill payment QR needs a biller ID and Ref1"))
    amount = _amount_of(fields)
    currency = fields.get("53", "")
    return BillPayment(
        biller_id=biller_id,
        ref1=ref1,
        ref2=account.get("03", ""),
        amount=amount,
        currency=currency if isinstance(currency, str) else "",
        dynamic=fields.get("01") == DYNAMIC,
    )


# --- PromptPay credit transfer (tag 29) -------------------------------------------------

PROMPTPAY_MOBILE, PROMPTPAY_NATIONAL_ID, PROMPTPAY_EWALLET = "01", "02", "03"


def promptpay_proxy(proxy: str) -> tuple[str, str]:
    """The sub-tag and value of a PromptPay proxy: a Thai mobile number (10 digits from
    0, carried as 0066 and the last 9), a national ID or tax ID (13 digits) or an
    e-wallet ID (15 digits). Spaces and hyphens are ignored."""
    digits = re.sub(r"[\s-]", "", proxy or "")
    if re.fullmatch(r"0[0-9]{9}", digits):
        return PROMPTPAY_MOBILE, "0066" + digits[1:]
    if re.fullmatch(r"0066[0-9]{9}", digits):
        return PROMPTPAY_MOBILE, digits
    if re.fullmatch(r"[0-9]{13}", digits):
        return PROMPTPAY_NATIONAL_ID, digits
    if re.fullmatch(r"[0-9]{15}", digits):
        return PROMPTPAY_EWALLET, digits
    raise PayloadError(
        _(
            "A PromptPay ID is a 10-digit mobile number, a 13-digit national or tax ID, "
            "or a 15-digit e-wallet ID"
        )
    )


def promptpay_payload(
    proxy: str, amount: Decimal | None = None, *, bill_number: str = "", reference: str = ""
) -> str:
    """A PromptPay credit transfer QR (tag 29, AID A000000677010111) to ``proxy``.

    A transfer carries no bill references of its own, so the invoice's numbers ride in
    the additional data template (62): 01 the bill number (our Ref2) and 05 the
    reference label (our Ref1); the paying bank passes them on in its notice.
    """
    sub_tag, value = promptpay_proxy(proxy)
    for name, ref in (("Bill number", bill_number), ("Reference", reference)):
        if ref and not REFERENCE_RE.match(ref):
            raise PayloadError(
                _("%(name)s must be 1–20 digits or capital letters") % {"name": name}
            )
    # Fields in the order PromptPay codes in the wild use (58 before 53), so a static
    # code is byte for byte the published one.
    fields = [
        tlv("00", FORMAT_VERSION),
        tlv("01", DYNAMIC if amount is not None else STATIC),
        tlv("29", tlv("00", PROMPTPAY_AID) + tlv(sub_tag, value)),
        tlv("58", COUNTRY_TH),
        tlv("53", CURRENCY_THB),
    ]
    if amount is not None:
        total = baht(amount)
        if total <= 0:
            raise PayloadError(_("The amount must be more than zero"))
        fields.append(tlv("54", f"{total:.2f}"))
    extra = (tlv("01", bill_number) if bill_number else "") + (
        tlv("05", reference) if reference else ""
    )
    if extra:
        fields.append(tlv("62", extra))
    body = "".join(fields) + "6304"
    return body + crc16(body)


def _amount_of(fields: dict[str, str | dict[str, str]]) -> Decimal | None:
    raw_amount = fields.get("54")
    if not isinstance(raw_amount, str):
        return None
    try:
        amount = Decimal(raw_amount)
    except InvalidOperation:
        raise PayloadError(_("Invalid amount %(value)s") % {"value": repr(raw_amount)}) from None
    if not amount.is_finite() or amount <= 0:
        raise PayloadError(_("Invalid amount %(value)s") % {"value": repr(raw_amount)})
    return amount


def read_promptpay(text: str) -> BillPayment:
    """Parse a PromptPay transfer QR; ``biller_id`` is the proxy as carried (0066…),
    Ref1/Ref2 come from the additional data (62/05 and 62/01)."""
    fields = parse_payload(text)
    account = fields.get("29")
    if not isinstance(account, dict) or account.get("00") != PROMPTPAY_AID:
        raise PayloadError(_("This QR code is not a PromptPay transfer"))
    proxy = next(
        (
            account[tag]
            for tag in (PROMPTPAY_MOBILE, PROMPTPAY_NATIONAL_ID, PROMPTPAY_EWALLET)
            if account.get(tag)
        ),
        "",
    )
    if not proxy:
        raise PayloadError(_("The PromptPay QR names no receiver"))
    extra = fields.get("62")
    extra = extra if isinstance(extra, dict) else {}
    currency = fields.get("53", "")
    return BillPayment(
        biller_id=proxy,
        ref1=extra.get("05", ""),
        ref2=extra.get("01", ""),
        amount=_amount_of(fields),
        currency=currency if isinstance(currency, str) else "",
        dynamic=fields.get("01") == DYNAMIC,
        scheme="promptpay",
    )


def read_any(text: str) -> BillPayment:
    """A bill payment (tag 30) or a PromptPay transfer (tag 29), whichever it is."""
    fields = parse_payload(text)
    if "29" in fields and "30" not in fields:
        return read_promptpay(text)
    return read_bill_payment(text)


def qr_code(payload: str) -> segno.QRCode:
    """The QR symbol; error level M as the Thai QR guideline recommends."""
    return segno.make_qr(payload, error="m")


def qr_svg(payload: str, *, title: str = "Thai QR") -> str:
    """Inline SVG markup of the code (scales without blur, no extra request)."""
    return str(qr_code(payload).svg_inline(scale=4, title=title, omitsize=True))


def qr_png_data_uri(payload: str, *, scale: int = 6) -> str:
    """PNG as a data URI, for PDFs and e-mails that cannot show inline SVG."""
    return str(qr_code(payload).png_data_uri(scale=scale))
