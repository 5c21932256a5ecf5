"""Reading the gateways' signed notices on the portal's side (shared by both plugins)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from bizportal.core import safejson
from bizportal.payments.contrib.sandbox import signing
from bizportal.payments.providers import CallbackError

from .protocol import Gateway


def signed_body(
    gateway: Gateway, request: HttpRequest, required: tuple[str, ...]
) -> dict[str, Any]:
    """The notice's JSON once its signature checks out, with every ``required`` field a
    string; SignatureError or CallbackError (message in the reader's language) otherwise."""
    signing.verify(
        request.headers.get(gateway.header, ""), request.body, gateway.secret, name=gateway.header
    )
    try:
        data: Any = safejson.loads(request.body, limit=settings.PAYMENT_CALLBACK_MAX_BYTES)
    except safejson.JsonRefused as error:
        raise CallbackError(_("Unacceptable JSON: %(error)s") % {"error": error}) from None
    if not isinstance(data, dict):
        raise CallbackError(_("The body must be a JSON object"))
    missing = [name for name in required if not isinstance(data.get(name), str)]
    if missing:
        raise CallbackError(
            _("Missing or non-string fields: %(fields)s") % {"fields": ", ".join(missing)}
        )
    return data


def amount_and_time(amount: str, when: str) -> tuple[Decimal, dt.datetime]:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        value = Decimal("NaN")
    moment = parse_datetime(when)
    if not value.is_finite() or moment is None or moment.tzinfo is None:
        raise CallbackError(_("Invalid amount or time (ISO 8601 with time zone)"))
    return value, moment.astimezone(dt.UTC)
