"""Checks on the citizen-manual data of a service, before anything is written.

Why in Python as well as the database: the structured parts of the manual (laws,
steps, fee lines) are JSON the database cannot check, and the channel rules the
database does check deserve a message an agency admin can act on rather than an
IntegrityError. Every writer (``services.upsert_service``, the admin form) runs these.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .models import Service

STEP_KEYS = {"th", "en", "days", "unit_th", "unit_en"}
LAW_KEYS = {"th", "en", "url"}
FEE_KEYS = {"th", "en", "amount"}


class ManualError(ValueError):
    """The citizen-manual data is not valid; ``field`` names the part, ``str()`` is
    Thai / English."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _texts(field: str, index: int, entry: Any, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping):
        raise ManualError(
            field, _("%(field)s[%(index)d] must be an object") % {"field": field, "index": index}
        )
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ManualError(
            field,
            _("%(field)s[%(index)d] has unknown keys %(keys)s")
            % {"field": field, "index": index, "keys": unknown},
        )
    for key in ("th", "en"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ManualError(
                field,
                _("%(field)s[%(index)d] needs Thai and English text (%(key)s)")
                % {"field": field, "index": index, "key": key},
            )
    for key in sorted(allowed - {"th", "en", "days", "amount"}):
        if key in entry and not isinstance(entry[key], str):
            raise ManualError(
                field,
                _("%(field)s[%(index)d].%(key)s must be text")
                % {"field": field, "index": index, "key": key},
            )
    return entry


def _list(field: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ManualError(field, _("%(field)s must be a list") % {"field": field})
    return value


def check_legal_basis(value: Any) -> None:
    for index, entry in enumerate(_list("legal_basis", value)):
        law = _texts("legal_basis", index, entry, LAW_KEYS)
        url = law.get("url", "")
        if url and not str(url).startswith(("https://", "http://")):
            raise ManualError(
                "legal_basis",
                _("legal_basis[%(index)d].url must start with https://") % {"index": index},
            )


def check_steps(value: Any, processing_days: int | None) -> None:
    """Each step is Thai and English text with its working days; the days add up to the
    processing time the manual promises (the service-level clock starts from it)."""
    total = 0
    steps = _list("steps", value)
    for index, entry in enumerate(steps):
        step = _texts("steps", index, entry, STEP_KEYS)
        days = step.get("days", 0)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
            raise ManualError(
                "steps",
                _("steps[%(index)d].days must be working days, 0-3650") % {"index": index},
            )
        total += days
    if steps and processing_days is not None and total != processing_days:
        raise ManualError(
            "steps",
            _("the steps add up to %(total)d working days but the processing time is %(days)d")
            % {"total": total, "days": processing_days},
        )


def check_fee_items(value: Any) -> None:
    for index, entry in enumerate(_list("fee_items", value)):
        line = _texts("fee_items", index, entry, FEE_KEYS)
        amount = line.get("amount")
        if amount is None:
            continue
        try:
            number = Decimal(str(amount)) if isinstance(amount, str | int) else None
        except InvalidOperation:
            number = None
        if (
            isinstance(amount, bool)
            or number is None
            or not number.is_finite()
            or number < 0
            or number != number.quantize(Decimal("0.01"))
        ):
            raise ManualError(
                "fee_items",
                _('fee_items[%(index)d].amount must be an amount in THB such as "500.00", or null')
                % {"index": index},
            )


def check_channel(channel: str, *, fee_table: str, apply_url: str, form_schema: Any) -> None:
    """What each channel needs: Biz Portal takes only what it can show and price; the
    agency's own e-service must be named."""
    if channel not in Service.Channel.values:
        raise ManualError("channel", _("unknown channel %(channel)r") % {"channel": channel})
    if channel in Service.PORTAL_CHANNELS:
        if not fee_table:
            raise ManualError(
                "fee_table",
                _("a service applied for on Biz Portal needs a fee table"),
            )
        if not form_schema:
            raise ManualError(
                "form_schema",
                _("a service applied for on Biz Portal needs an application form"),
            )
    if channel == Service.Channel.AGENCY_ONLINE and not apply_url:
        raise ManualError(
            "apply_url",
            _("a service applied for on the agency's e-service needs its address (apply_url)"),
        )


def check_service(service: Service) -> None:
    """Every check above, on a service about to be saved."""
    check_legal_basis(service.legal_basis)
    check_steps(service.steps, service.processing_days)
    check_fee_items(service.fee_items)
    check_channel(
        service.channel,
        fee_table=service.fee_table,
        apply_url=service.apply_url,
        form_schema=service.form_schema,
    )
