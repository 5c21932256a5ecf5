"""Cursor pagination that answers a crafted cursor with 400, never 404 or 500.

DRF's CursorPagination answers an undecodable cursor with 404 and passes the position
it holds straight into a filter, where a NUL or a surrogate fails in the database
driver (500 on PostgreSQL). This one checks the position too and answers problem+json
400 for any cursor it did not make.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

BAD_CURSOR = _("The page cursor is not valid")
_FORBIDDEN = re.compile("[\x00-\x1f\ud800-\udfff]")


class CheckedCursorPagination(CursorPagination):
    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None
        position: Any = cursor.position if cursor is not None else None
        if position is not None and (len(position) > 200 or _FORBIDDEN.search(position)):
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        return cursor
