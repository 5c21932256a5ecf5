"""Notification channels: one plugin per way of reaching a person.

Every channel has the same small interface (:class:`NotificationChannel`): where a
person is reached on it (an address, or nothing), and how to hand one message to the
provider. ``send`` is given the delivery's idempotency key; a provider that supports
one (the SMS gateway's ``Idempotency-Key``, LINE's ``X-Line-Retry-Key``, the inbox's
one row per delivery) never delivers a retried message twice. Email has no such key in
SMTP: the ``Message-ID`` is derived from it so mail clients can fold a duplicate.

A channel raises :class:`ChannelError` when the provider refused or could not be
reached; ``temporary`` errors are retried with backoff, permanent ones are not.
The production SMS and LINE connectors are these same classes pointed at the real
provider by settings; the sandboxes under ``/sandbox/sms/`` and ``/sandbox/line/``
speak the same protocol over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext_lazy as _

from bizportal.core.registry import Registry

if TYPE_CHECKING:
    from .models import ContactPreference

HTTP_TIMEOUT_SECONDS = 10


class ChannelError(Exception):
    """The provider did not take the message; ``temporary`` ones are retried."""

    def __init__(self, message: str, *, temporary: bool = True) -> None:
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class Outgoing:
    """One message for one channel, as the provider needs it."""

    idempotency_key: str
    delivery_id: int
    user_id: int | None
    address: str
    subject: str
    body: str
    link: str


@dataclass(frozen=True)
class Accepted:
    provider_id: str
    #: True when the provider confirms arrival at once (the inbox); others confirm by a
    #: delivery receipt later (SMS) or never (email, LINE push: "sent" is final).
    delivered: bool = False


class NotificationChannel(Protocol):
    label: str

    def address(self, user: Any, preference: ContactPreference | None) -> str:
        """Where ``user`` is reached on this channel; "" when not (unverified, unlinked)."""
        ...

    def send(self, message: Outgoing) -> Accepted: ...


channels: Registry[NotificationChannel] = Registry("notification channel")


def enabled() -> tuple[str, ...]:
    """The channels this deployment sends on (``NOTIFICATION_CHANNELS``)."""
    return tuple(name for name in settings.NOTIFICATION_CHANNELS if name in channels)


@channels.register("email")
class EmailChannel:
    label = cast(str, _("Email"))

    def address(self, user: Any, preference: ContactPreference | None) -> str:
        return str(getattr(user, "email", "") or "")

    def send(self, message: Outgoing) -> Accepted:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "bizportal"
        message_id = f"<{message.idempotency_key}@{domain}>"
        email = EmailMessage(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.address],
            headers={"Message-ID": message_id},
        )
        try:
            email.send()
        except (OSError, ValueError) as error:  # SMTP errors are OSErrors
            raise ChannelError(f"email not sent: {error!r}") from error
        return Accepted(provider_id=message_id)


@channels.register("inbox")
class InboxChannel:
    """The portal's own inbox: one :class:`InboxMessage` per delivery, at once."""

    label = cast(str, _("In-app inbox"))

    def address(self, user: Any, preference: ContactPreference | None) -> str:
        return f"user:{user.pk}" if user is not None and user.pk else ""

    def send(self, message: Outgoing) -> Accepted:
        from .models import InboxMessage

        if message.user_id is None:
            raise ChannelError("the inbox needs a person", temporary=False)
        item, _created = InboxMessage.objects.get_or_create(
            delivery_id=message.delivery_id,
            defaults={
                "user_id": message.user_id,
                "subject": message.subject[:250],
                "body": message.body,
                "link": message.link,
            },
        )
        return Accepted(provider_id=str(item.public_id), delivered=True)


def _error_text(response: requests.Response) -> str:
    return f"HTTP {response.status_code}: {response.text[:300]}"


@channels.register("sms")
class SmsGatewayChannel:
    """An HTTP SMS gateway: ``POST {SMS_GATEWAY_URL}/v1/messages`` with ``X-Api-Key``
    and ``Idempotency-Key``; the answer carries the gateway's message id, and the
    gateway later posts a signed delivery receipt to the portal's callback."""

    label = "SMS"

    def address(self, user: Any, preference: ContactPreference | None) -> str:
        # Only a number the person verified by a code; the phone number from the
        # civil registry (User.phone) is never texted unverified.
        if preference is None or preference.mobile_verified_at is None:
            return ""
        return preference.mobile

    def send(self, message: Outgoing) -> Accepted:
        from .receipts import receipt_url

        try:
            response = requests.post(
                f"{settings.SMS_GATEWAY_URL}/v1/messages",
                json={
                    "to": message.address,
                    "sender": settings.SMS_SENDER,
                    "text": message.body.strip(),
                    "reference": message.idempotency_key,
                    "callback_url": receipt_url(),
                },
                headers={
                    "X-Api-Key": settings.SMS_GATEWAY_API_KEY,
                    "Idempotency-Key": message.idempotency_key,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise ChannelError(f"SMS gateway unreachable: {error!r}") from error
        if response.status_code in (200, 201, 202):
            try:
                return Accepted(provider_id=str(response.json()["message_id"]))
            except (ValueError, KeyError, TypeError):
                unreadable = f"SMS gateway answer unreadable: {response.text[:300]}"
                raise ChannelError(unreadable) from None
        # 4xx other than 408/429 will fail the same way again: do not retry.
        temporary = response.status_code >= 500 or response.status_code in (408, 429)
        raise ChannelError(_error_text(response), temporary=temporary)


@channels.register("line")
class LineMessagingChannel:
    """The LINE Messaging API push: ``POST {LINE_API_URL}/v2/bot/message/push`` with
    the channel access token as Bearer and ``X-Line-Retry-Key``; a 409 answer to a
    retry key means LINE accepted that request before, so it counts as sent."""

    label = "LINE"

    def address(self, user: Any, preference: ContactPreference | None) -> str:
        return preference.line_user_id if preference is not None else ""

    def send(self, message: Outgoing) -> Accepted:
        try:
            response = requests.post(
                f"{settings.LINE_API_URL}/v2/bot/message/push",
                json={
                    "to": message.address,
                    "messages": [{"type": "text", "text": message.body.strip()[:5000]}],
                },
                headers={
                    "Authorization": f"Bearer {settings.LINE_CHANNEL_TOKEN}",
                    "X-Line-Retry-Key": message.idempotency_key,
                },
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise ChannelError(f"LINE unreachable: {error!r}") from error
        request_id = response.headers.get("X-Line-Request-Id", "")
        if response.status_code == 200:
            return Accepted(provider_id=request_id)
        if response.status_code == 409:
            accepted = response.headers.get("X-Line-Accepted-Request-Id", request_id)
            return Accepted(provider_id=accepted)
        temporary = response.status_code >= 500 or response.status_code == 429
        raise ChannelError(_error_text(response), temporary=temporary)


def line_link_signature(state: str, user_id: str) -> str:
    """The signature over a LINE account link (``state`` and the LINE user id), keyed
    with the channel secret: the portal accepts a link only with it."""
    message = f"{state}.{user_id}".encode()
    return hmac.new(settings.LINE_CHANNEL_SECRET.encode(), message, hashlib.sha256).hexdigest()
