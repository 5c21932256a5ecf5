"""Tell the WebSockets watching a chat (and the agency's chat desk) that it changed.

Only a nudge goes over the channel layer: the consumers read the state from the
database, so a lost or duplicated nudge costs nothing but a read, and any process can
serve either side. Sent after the transaction commits, never for a rolled-back change.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def chat_group(public_id: Any) -> str:
    return f"chat.{public_id}"


def desk_group(agency_id: int) -> str:
    return f"chatdesk.{agency_id}"


def _send(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, {"type": "chat.changed"})
        except Exception:  # a push is a courtesy: pages poll and reload without it
            log.warning("chat push to %s failed", group, exc_info=True)


def after_commit(chat: Any, *, queue: bool = True) -> None:
    groups = [chat_group(chat.public_id)]
    if queue:
        groups.append(desk_group(chat.agency_id))
    transaction.on_commit(lambda: _send(groups))
