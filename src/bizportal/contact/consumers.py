"""The chat's WebSockets (Django Channels): one per chat, for the person and the
officers of its agency, and one per officer for their agency's chat desk (the queue).

A socket only carries what the services decide: a line typed is handed to
:func:`.chat.post` (its refusal, in the socket's language, comes back as ``{"error": ...}``, nothing
stored), and on every nudge from :mod:`.push` the socket reads the chat from the database
and sends what is new. Who may connect is the same rule as the pages
(``contact.chat_own``, ``contact.chat_view``); staff need their second factor, as on
every back-office page. Anyone else is refused at the handshake (close code 4403).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from bizportal.core import authz
from bizportal.core.security import is_staff_account

from . import chat, push
from .models import ChatSession

REFUSED = 4403
NOT_ALLOWED = _("You may not take part in this chat")


def _second_factor_ok(scope: dict[str, Any], user: Any) -> bool:
    """Staff passed their second factor in this session (django-otp's verified device),
    as the back office's middleware requires of every page."""
    if not is_staff_account(user):
        return True
    session = scope.get("session") or {}
    device_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(device_id) if device_id else None
    return device is not None and device.user_id == user.pk


def scope_language(scope: dict[str, Any]) -> str:
    """The socket's language, as LocaleMiddleware picks a page's: the language cookie,
    then Accept-Language, else the default (Thai)."""
    supported = {code for code, _name in settings.LANGUAGES}
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return str(cookie)
    for name, value in scope.get("headers") or []:
        if name == b"accept-language":
            for code, _quality in parse_accept_lang_header(value.decode("latin-1")):
                base = code.split("-")[0].lower()
                if base in supported:
                    return base
    return str(settings.LANGUAGE_CODE)


def _errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


class ChatConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """``/ws/chat/<public_id>/``: the chat's lines and state, both ways."""

    chat: ChatSession
    last_id = 0

    async def connect(self) -> None:
        session = await self._allowed()
        if session is None:
            await self.close(code=REFUSED)
            return
        self.chat = session
        await self.channel_layer.group_add(push.chat_group(session.public_id), self.channel_name)
        # The queue moves when the agency picks up anyone: positions change.
        await self.channel_layer.group_add(push.desk_group(session.agency_id), self.channel_name)
        await self.accept()
        await self._send_state()

    @database_sync_to_async
    def _allowed(self) -> ChatSession | None:
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False) or not _second_factor_ok(self.scope, user):
            return None
        found = ChatSession.objects.filter(
            public_id=self.scope["url_route"]["kwargs"]["public_id"]
        ).first()
        if found is None:
            return None
        if authz.allowed(user, "contact.chat_own", found) or authz.allowed(
            user, "contact.chat_view", found
        ):
            return found
        return None

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "chat"):
            await self.channel_layer.group_discard(
                push.chat_group(self.chat.public_id), self.channel_name
            )
            await self.channel_layer.group_discard(
                push.desk_group(self.chat.agency_id), self.channel_name
            )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        body = content.get("body", "") if isinstance(content, dict) else ""
        if not isinstance(body, str):
            body = ""
        try:
            await self._post(body)
        except ValidationError as error:
            with translation.override(scope_language(self.scope)):
                refusal = " ".join(_errors(error))
            await self.send_json({"error": refusal})
        except PermissionDenied:
            with translation.override(scope_language(self.scope)):
                refusal = str(NOT_ALLOWED)
            await self.send_json({"error": refusal})
        else:
            await self._send_state()

    @database_sync_to_async
    def _post(self, body: str) -> None:
        with translation.override(scope_language(self.scope)):
            chat.post(self.chat, self.scope["user"], body)

    async def chat_changed(self, event: dict[str, Any]) -> None:
        await self._send_state()

    async def _send_state(self) -> None:
        state = await self._state()
        if state["messages"]:
            self.last_id = state["messages"][-1]["id"]
        await self.send_json(state)

    @database_sync_to_async
    def _state(self) -> dict[str, Any]:
        with translation.override(scope_language(self.scope)):
            return chat.state(self.chat, after=self.last_id)


class DeskConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """``/ws/chat/desk/``: an officer's agency queue: how many wait."""

    agency_id: int

    async def connect(self) -> None:
        agency_id = await self._allowed()
        if agency_id is None:
            await self.close(code=REFUSED)
            return
        self.agency_id = agency_id
        await self.channel_layer.group_add(push.desk_group(agency_id), self.channel_name)
        await self.accept()
        await self.chat_changed({})

    @database_sync_to_async
    def _allowed(self) -> int | None:
        user = self.scope.get("user")
        if (
            getattr(user, "is_authenticated", False)
            and _second_factor_ok(self.scope, user)
            and authz.allowed(user, "contact.chat_desk")
        ):
            return int(user.agency_id)
        return None

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "agency_id"):
            await self.channel_layer.group_discard(
                push.desk_group(self.agency_id), self.channel_name
            )

    async def chat_changed(self, event: dict[str, Any]) -> None:
        waiting = await database_sync_to_async(chat.waiting_count)(self.agency_id)
        await self.send_json({"waiting": waiting})
