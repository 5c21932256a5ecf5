"""WebSocket routes of the contact app (served by ``bizportal.asgi``)."""

from __future__ import annotations

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/chat/desk/", consumers.DeskConsumer.as_asgi()),
    path("ws/chat/<uuid:public_id>/", consumers.ChatConsumer.as_asgi()),
]
