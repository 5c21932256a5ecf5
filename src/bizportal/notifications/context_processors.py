"""The inbox's unread count in the page header, for people signed in.

The count is lazy: a page that does not show the header (or an anonymous visitor)
costs no query, and a page that does costs exactly one indexed ``COUNT`` over the
partial index of unread messages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import InboxMessage


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "inbox_unread": SimpleLazyObject(
            lambda: InboxMessage.objects.filter(user=user, read_at__isnull=True).count()
        )
    }
