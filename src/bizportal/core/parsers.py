"""The API's JSON parser: the bounds of :mod:`bizportal.core.safejson` for every view.

Set as DRF's default parser, so no API view can forget a limit: a body over
``BIZPORTAL_JSON_MAX_BYTES`` answers 413, and one that is too deep, not UTF-8, holds a
non-finite number or a NUL / unpaired surrogate answers 400, both as problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from . import safejson


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large")
    default_code = "payload-too-large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a size bound read from the stream (never more than the
    bound plus one byte is read) and the checks of :func:`safejson.loads`."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = safejson.max_bytes()
        data = stream.read(limit + 1)
        try:
            return safejson.loads(data, limit=limit)
        except safejson.JsonRefused as error:
            if error.status == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
                raise PayloadTooLarge(str(error), code=error.code) from None
            raise ParseError(str(error), code=error.code) from None
