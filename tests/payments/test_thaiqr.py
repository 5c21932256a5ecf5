"""Thai QR bill payment payloads: built field by field, checked by CRC, scannable."""

from __future__ import annotations

import io
from decimal import Decimal

import PIL.Image
import pytest
import zxingcpp

from bizportal.payments import thaiqr


def bitwise_crc16_ccitt_false(data: bytes) -> int:
    """An independent, textbook CRC-16/CCITT-FALSE, to check the library call against."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


# Built by hand from the Thai QR bill payment specification:
#   00 02 01                                   payload format
#   01 02 12                                   dynamic (one-time) code
#   30 72 ...                                  bill payment merchant account
#         00 16 A000000677010112               AID for bill payment
#         01 15 099400016550101                biller ID (tax ID + suffix)
#         02 12 BP2569000001                   Ref1
#         03 13 INV2569000001                  Ref2
#   53 03 764                                  THB
#   54 06 500.00                               amount
#   58 02 TH                                   country
#   63 04 ....                                 CRC over everything up to and including "6304"
HAND_BUILT = (
    "000201"
    "010212"
    "3072"
    "0016A000000677010112"
    "0115099400016550101"
    "0212BP2569000001"
    "0313INV2569000001"
    "5303764"
    "5406500.00"
    "5802TH"
    "6304"
)


def test_crc_is_ccitt_false_with_its_published_check_value() -> None:
    assert thaiqr.crc16("123456789") == "29B1"
    assert int(thaiqr.crc16(HAND_BUILT), 16) == bitwise_crc16_ccitt_false(HAND_BUILT.encode())


def test_bill_payment_payload_matches_the_hand_built_vector() -> None:
    payload = thaiqr.bill_payment_payload(
        "099400016550101", "BP2569000001", "INV2569000001", Decimal("500")
    )
    assert payload == HAND_BUILT + "4AC3"
    assert f"{bitwise_crc16_ccitt_false(HAND_BUILT.encode()):04X}" == "4AC3"


def test_a_published_promptpay_payload_parses_with_its_crc() -> None:
    # The widely used PromptPay example for mobile number 089-999-9999 (tag 29).
    fields = thaiqr.parse_payload(
        "00020101021129370016A000000677010111011300668999999995802TH53037646304FE29"
    )
    assert fields["29"] == {"00": "A000000677010111", "01": "0066899999999"}
    assert fields["63"] == "FE29"


def test_parse_returns_nested_bill_payment_fields() -> None:
    fields = thaiqr.parse_payload(HAND_BUILT + "4AC3")
    assert fields["30"] == {
        "00": "A000000677010112",
        "01": "099400016550101",
        "02": "BP2569000001",
        "03": "INV2569000001",
    }
    bill = thaiqr.read_bill_payment(HAND_BUILT + "4AC3")
    assert bill == thaiqr.BillPayment(
        biller_id="099400016550101",
        ref1="BP2569000001",
        ref2="INV2569000001",
        amount=Decimal("500.00"),
        currency="764",
        dynamic=True,
    )


def test_a_changed_amount_breaks_the_crc() -> None:
    tampered = (HAND_BUILT + "4AC3").replace("5406500.00", "5406005.00")
    with pytest.raises(thaiqr.PayloadError, match="CRC mismatch"):
        thaiqr.parse_payload(tampered)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("000201010212300", "Malformed"),
        ("0002010102125802TH", "must end with its CRC"),
        (
            "00020101021230720016A0000006770101120115099400016550101",
            "shorter than its stated length",
        ),
        ("0002๑๑", "non-ASCII"),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(thaiqr.PayloadError, match=message):
        thaiqr.parse_payload(text)


def test_a_promptpay_transfer_is_not_a_bill_payment() -> None:
    with pytest.raises(thaiqr.PayloadError, match="not a bill payment"):
        thaiqr.read_bill_payment(
            "00020101021129370016A000000677010111011300668999999995802TH53037646304FE29"
        )


def test_static_code_without_amount() -> None:
    payload = thaiqr.bill_payment_payload("099400016550101", "BP2569000001")
    bill = thaiqr.read_bill_payment(payload)
    assert (bill.amount, bill.dynamic, bill.ref2) == (None, False, "")


@pytest.mark.parametrize(
    ("biller", "ref1", "amount", "message"),
    [
        ("12345", "BP1", Decimal("1"), "biller ID must be 15 digits"),
        ("099400016550101", "bp-1", Decimal("1"), "Ref1 must be"),
        ("099400016550101", "", Decimal("1"), "Ref1 must be"),
        ("099400016550101", "A" * 21, Decimal("1"), "Ref1 must be"),
        ("099400016550101", "BP1", Decimal("0"), "more than zero"),
    ],
)
def test_builder_refuses_what_banks_would_refuse(
    biller: str, ref1: str, amount: Decimal, message: str
) -> None:
    with pytest.raises(thaiqr.PayloadError, match=message):
        thaiqr.bill_payment_payload(biller, ref1, "", amount)


def test_portal_numbers_become_bill_payment_references() -> None:
    assert thaiqr.to_reference("BP-2569-000001") == "BP2569000001"
    with pytest.raises(thaiqr.PayloadError):
        thaiqr.to_reference("---")


def test_the_qr_image_decodes_back_to_the_payload() -> None:
    payload = HAND_BUILT + "4AC3"
    png = io.BytesIO()
    thaiqr.qr_code(payload).save(png, kind="png", scale=6)
    png.seek(0)
    decoded = zxingcpp.read_barcodes(PIL.Image.open(png))
    assert [barcode.text for barcode in decoded] == [payload]


def test_inline_svg_is_an_accessible_svg_element() -> None:
    svg = thaiqr.qr_svg(HAND_BUILT + "4AC3", title="Thai QR INV-2569-000001")
    assert svg.startswith("<svg") and "<title>Thai QR INV-2569-000001</title>" in svg
    assert thaiqr.qr_png_data_uri(HAND_BUILT + "4AC3").startswith("data:image/png;base64,")
