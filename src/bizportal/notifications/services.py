"""Every change the notifications app makes: messages and their deliveries, the inbox,
people's contact details and preferences.

Sending (:func:`notify`, :func:`send_delivery`)
    A subscriber (:mod:`.subscribers`) asks :func:`notify` to tell some people about an
    event. For each person it creates one :class:`Notification` (unique per event,
    message and person) and one :class:`Delivery` per channel the person chose for
    that kind of message and can be reached on; after commit each delivery is sent by
    a task. A failed attempt is retried with exponential backoff by the sweeper; a
    non-urgent SMS in the person's quiet hours waits for the morning. What is
    guaranteed: each delivery is attempted until accepted or out of attempts (at least
    once), and the provider sees the delivery's id as its idempotency key, so a retry
    after an accepted attempt does not reach the person twice (deduplicated per
    message; email, having no such key, may arrive twice after a crash at the exact
    moment of sending).

Contact details (:func:`start_verification`, :func:`confirm_code`)
    A new email or mobile is used only after the 6-digit code sent to it is entered;
    the code is stored hashed, expires after 10 minutes and allows 5 attempts; a
    person may ask for a few codes an hour. Until then the old value stays in use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bizportal.core import audit
from bizportal.identity.models import User

from . import catalogue, templating
from .channels import ChannelError, Outgoing, channels, enabled
from .models import (
    Audience,
    Channel,
    ContactPreference,
    ContactVerification,
    Delivery,
    InboxMessage,
    Kind,
    Notification,
)

log = logging.getLogger(__name__)
BANGKOK = ZoneInfo("Asia/Bangkok")
CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
#: A delivery "sending" for longer than this belongs to a dead worker: try again.
SENDING_LEASE = dt.timedelta(minutes=5)
THAI_MOBILE = re.compile(r"^0[689]\d{8}$")


# --- Preferences -----------------------------------------------------------------


def preference_of(user: Any) -> ContactPreference | None:
    """The person's preferences, or None (then the defaults apply); no row is created
    by reading."""
    if user is None:
        return None
    try:
        pref: ContactPreference = user.contact_preference
        return pref
    except ContactPreference.DoesNotExist:
        return None


def chosen_channels(preference: ContactPreference | None, kind: str) -> tuple[str, ...]:
    if kind == Kind.SECURITY:
        return ()
    if preference is not None and kind in preference.channels:
        return tuple(preference.channels[kind])
    return tuple(catalogue.DEFAULT_CHANNELS)


def _preference_for_update(user: User) -> ContactPreference:
    pref, _created = ContactPreference.objects.select_for_update().get_or_create(user=user)
    return pref


@transaction.atomic
def save_preferences(
    user: User,
    *,
    channels_by_kind: dict[str, list[str]],
    quiet_start: dt.time,
    quiet_end: dt.time,
    language: str,
) -> ContactPreference:
    """Record the person's channel choices, quiet hours and language (validated by the
    form; checked again here because the service is the last line)."""
    allowed = set(Channel.values)
    for kind, names in channels_by_kind.items():
        if kind not in catalogue.CHOOSABLE_KINDS or not set(names) <= allowed:
            raise ValidationError(f"unknown kind or channel: {kind} {names}")
    pref = _preference_for_update(user)
    pref.channels = {kind: sorted(set(names)) for kind, names in channels_by_kind.items()}
    pref.quiet_start, pref.quiet_end, pref.language = quiet_start, quiet_end, language
    pref.save()
    audit.record(
        "notifications.preferences_changed",
        user,
        actor=user,
        channels=pref.channels,
        quiet_start=quiet_start.isoformat(),
        quiet_end=quiet_end.isoformat(),
        language=language,
    )
    return pref


def in_quiet_hours(pref: ContactPreference | None, moment: dt.datetime) -> dt.datetime | None:
    """When the quiet hours that ``moment`` falls in end, or None if it is not in them."""
    start = pref.quiet_start if pref else dt.time(21, 0)
    end = pref.quiet_end if pref else dt.time(7, 0)
    if start == end:
        return None
    local = moment.astimezone(BANGKOK)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    morning = dt.datetime.combine(local.date(), end, tzinfo=BANGKOK)
    if morning <= local:
        morning += dt.timedelta(days=1)
    return morning


# --- Creating messages -------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A person (with preferences) or an agency mailbox (email only)."""

    user: User | None = None
    mailbox: str = ""
    #: an address that overrides the person's for this message only: the email address
    #: given on the application form, or the new contact being verified
    email: str = ""

    @property
    def key(self) -> str:
        return f"user:{self.user.pk}" if self.user is not None else f"mailbox:{self.mailbox}"


def _addresses(recipient: Recipient, kind: str, pref: ContactPreference | None) -> dict[str, str]:
    """Channel -> address for this recipient and kind of message."""
    if recipient.user is None:
        return {Channel.EMAIL: recipient.mailbox} if recipient.mailbox else {}
    found = {}
    for name in chosen_channels(pref, kind):
        if name not in enabled():
            continue
        if name == Channel.EMAIL:
            address = _email_for(recipient, pref)
        else:
            address = channels[name].address(recipient.user, pref)
        if address:
            found[name] = address
    return found


def _email_for(recipient: Recipient, pref: ContactPreference | None) -> str:
    """The account's email once the person verified it here; before that the address
    given on the application form (where there is one), else the account's."""
    account = recipient.user.email if recipient.user is not None else ""
    if pref is not None and pref.email_verified_at is not None and account:
        return account
    return recipient.email or account


def notify(
    event_id: Any,
    key: str,
    audience: str,
    recipients: Iterable[Recipient],
    context: dict[str, Any],
    *,
    link: str = "",
    application_reference: str = "",
) -> list[Delivery]:
    """Create the messages and deliveries for ``recipients`` (once per event), and send
    them after commit. Returns the deliveries created now (none on a repeat)."""
    entry = catalogue.message(key)
    created: list[Delivery] = []
    now = timezone.now()
    with transaction.atomic():
        for recipient in recipients:
            pref = preference_of(recipient.user)
            addresses = _addresses(recipient, entry.kind, pref)
            if not addresses:
                continue
            language = pref.language if pref else "th"
            first = templating.render(key, audience, next(iter(addresses)), language, context)
            try:
                with transaction.atomic():
                    notification = Notification.objects.create(
                        event_id=event_id,
                        key=key,
                        kind=entry.kind,
                        audience=audience,
                        urgent=first.urgent,
                        user=recipient.user,
                        mailbox=recipient.mailbox,
                        recipient_key=recipient.key[:280],
                        subject=first.subject or key,
                        link=link,
                        application_reference=application_reference,
                    )
            except IntegrityError:
                continue  # this event already told this person
            for name, address in addresses.items():
                text = templating.render(key, audience, name, language, context)
                not_before = now
                if name == Channel.SMS and not text.urgent:
                    not_before = in_quiet_hours(pref, now) or now
                created.append(
                    Delivery.objects.create(
                        notification=notification,
                        channel=name,
                        address=address,
                        subject=text.subject or notification.subject,
                        body=text.body,
                        next_attempt_at=not_before,
                    )
                )
        _enqueue([delivery.pk for delivery in created if delivery.next_attempt_at <= now])
    return created


def _enqueue(delivery_ids: list[int]) -> None:
    """Enqueued in the caller's transaction: with the database queue the task commits
    (or rolls back) with its delivery. With a queue outside the database (RQ) a worker
    may run it before the commit: it then finds no delivery and does nothing, and the
    sweeper sends the delivery on its next pass; nothing is lost either way."""
    from .tasks import send_delivery_task

    for delivery_id in delivery_ids:
        send_delivery_task.enqueue(delivery_id)


# --- Sending -------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min ... capped at an hour."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


def _claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    """Mark the delivery as being sent by us, if it is due and nobody else sends it."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.next_attempt_at > now:
            return None
        stale = delivery.last_attempt_at is None or delivery.last_attempt_at < now - SENDING_LEASE
        if delivery.status == Delivery.Status.SENDING and not stale:
            return None
        if delivery.status not in (Delivery.Status.QUEUED, Delivery.Status.SENDING):
            return None
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["status", "attempts", "last_attempt_at"])
    return delivery


def send_delivery(delivery_id: int) -> Delivery | None:
    """One attempt at one delivery, outside any transaction while the provider is called."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    outgoing = Outgoing(
        idempotency_key=str(delivery.public_id),
        delivery_id=delivery.pk,
        user_id=delivery.notification.user_id,
        address=delivery.address,
        subject=delivery.subject,
        body=delivery.body,
        link=delivery.notification.link,
    )
    try:
        accepted = channels[delivery.channel].send(outgoing)
    except (ChannelError, LookupError) as error:
        temporary = isinstance(error, ChannelError) and error.temporary
        return _record_failure(delivery, str(error), temporary=temporary)
    with transaction.atomic():
        # A receipt may have overtaken the provider's answer: never step back from it.
        delivery = (
            Delivery.objects.select_for_update().select_related("notification").get(pk=delivery.pk)
        )
        if accepted.delivered or delivery.status == Delivery.Status.DELIVERED:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = delivery.delivered_at or timezone.now()
        else:
            delivery.status = Delivery.Status.SENT
        delivery.provider_id = accepted.provider_id[:100]
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.save(
            update_fields=["status", "provider_id", "sent_at", "delivered_at", "last_error"]
        )
        audit.record(
            "notifications.sent",
            ("notifications.delivery", str(delivery.public_id)),
            actor_label="notifications",
            channel=delivery.channel,
            key=delivery.notification.key,
            attempt=delivery.attempts,
            provider_id=delivery.provider_id,
        )
    return delivery


def _record_failure(delivery: Delivery, error: str, *, temporary: bool) -> Delivery:
    with transaction.atomic():
        final = not temporary or delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
        delivery.last_error = error[:2000]
        if final:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.QUEUED
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
        delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
        audit.record(
            "notifications.failed" if final else "notifications.retry_scheduled",
            ("notifications.delivery", str(delivery.public_id)),
            actor_label="notifications",
            channel=delivery.channel,
            attempt=delivery.attempts,
            error=error[:300],
        )
    log.warning("delivery %s on %s failed: %s", delivery.public_id, delivery.channel, error)
    return delivery


def send_due(limit: int = 100) -> int:
    """Send each delivery that is due (a retry after backoff, an SMS after quiet hours,
    a first try whose task was lost, a "sending" whose worker died); for the sweeper."""
    now = timezone.now()
    due = Delivery.objects.filter(
        status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING], next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    sent = 0
    for delivery_id in list(due.values_list("pk", flat=True)[:limit]):
        if send_delivery(delivery_id) is not None:
            sent += 1
    return sent


@transaction.atomic
def record_receipt(
    provider_id: str, status: str, at: dt.datetime, *, reference: str = ""
) -> Delivery | None:
    """A provider's delivery receipt: the SMS reached the phone (or did not). Found by
    the reference the portal sent (the delivery's id), which the receipt may carry before
    the provider's answer naming its message id has been recorded."""
    deliveries = Delivery.objects.select_for_update().filter(channel=Channel.SMS)
    delivery = None
    if reference:
        try:
            delivery = deliveries.filter(public_id=reference).first()
        except ValidationError:
            delivery = None
    if delivery is None:
        delivery = deliveries.filter(provider_id=provider_id).first()
    if delivery is None:
        return None
    if delivery.provider_id and delivery.provider_id != provider_id:
        return None  # a receipt for another message that claims this reference
    if status == "delivered" and delivery.status != Delivery.Status.DELIVERED:
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = at
    elif status == "failed" and delivery.status in (Delivery.Status.SENT, Delivery.Status.SENDING):
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = "the gateway reported the message undeliverable"
    else:
        return delivery
    delivery.save(update_fields=["status", "delivered_at", "last_error"])
    audit.record(
        "notifications.receipt",
        ("notifications.delivery", str(delivery.public_id)),
        actor_label="sms gateway",
        status=status,
    )
    return delivery


# --- The inbox -----------------------------------------------------------------------


@transaction.atomic
def mark_read(user: User, public_ids: Iterable[Any] | None = None) -> int:
    """Mark some (or all) of the person's unread messages read; returns how many."""
    unread = InboxMessage.objects.filter(user=user, read_at__isnull=True)
    if public_ids is not None:
        unread = unread.filter(public_id__in=list(public_ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        audit.record(
            "notifications.inbox_read", user, actor=user, count=changed, all=public_ids is None
        )
    return changed


# --- Contact details -----------------------------------------------------------------


class VerificationError(ValueError):
    """A code that does not verify; the message says why in Thai and English."""


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+66"):
        digits = "0" + digits[3:]
    if not THAI_MOBILE.match(digits):
        raise ValidationError(_("A Thai mobile number has 10 digits starting 06, 08 or 09"))
    return digits


def _code_hash(verification_id: Any, code: str) -> str:
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


def start_verification(user: User, medium: str, value: str) -> ContactVerification:
    """Send a one-time code to a new email address or mobile number."""
    if medium == ContactVerification.Medium.MOBILE:
        value = normalise_mobile(value)
    else:
        value = (value or "").strip().lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(_("Not a valid email address")) from None
    since = timezone.now() - dt.timedelta(hours=1)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time
        recent = ContactVerification.objects.filter(
            user=user, medium=medium, created_at__gte=since
        ).count()
        if recent >= CODES_PER_HOUR:
            raise ValidationError(
                _("At most %(count)d codes an hour; please try again later")
                % {"count": CODES_PER_HOUR}
            )
        ContactVerification.objects.filter(user=user, medium=medium, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
        code = f"{secrets.randbelow(10**6):06d}"
        verification = ContactVerification(
            user=user,
            medium=medium,
            value=value,
            expires_at=timezone.now() + dt.timedelta(minutes=CODE_MINUTES),
        )
        verification.code_hash = _code_hash(verification.public_id, code)
        verification.save()
        audit.record(
            "notifications.contact_code_sent",
            verification,
            actor=user,
            medium=medium,
        )
        _send_code(user, verification, code)
    return verification


def _send_code(user: User, verification: ContactVerification, code: str) -> None:
    """The code goes to the new address only, on the one channel it names, as a message
    of its own (urgent: quiet hours do not hold it back)."""
    channel = Channel.SMS if verification.medium == ContactVerification.Medium.MOBILE else "email"
    audience = Audience.OFFICER if user.role == User.Role.STAFF else Audience.APPLICANT
    context = {"code": code, "minutes": CODE_MINUTES, "display_name": user.display_name}
    pref = preference_of(user)
    text = templating.render(
        "contact.verify_code", audience, channel, pref.language if pref else "th", context
    )
    notification = Notification.objects.create(
        event_id=verification.public_id,
        key="contact.verify_code",
        kind=Kind.SECURITY,
        audience=audience,
        urgent=True,
        user=user,
        recipient_key=f"user:{user.pk}",
        subject=text.subject or "verification code",
    )
    delivery = Delivery.objects.create(
        notification=notification,
        channel=channel,
        address=verification.value,
        subject=text.subject,
        body=text.body,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))  # after the code's row commits


def confirm_code(user: User, public_id: Any, code: str) -> ContactVerification:
    """Check the code; on success the new value replaces the old one at once.

    A refusal is raised only after the transaction commits: the counted attempt, the
    closing of an expired or exhausted code and their audit rows must stay (raising
    inside the block would roll them back and leave the attempts unlimited)."""
    problem = _check_code(user, public_id, (code or "").strip())
    if isinstance(problem, VerificationError):
        raise problem
    return problem


def _check_code(user: User, public_id: Any, code: str) -> ContactVerification | VerificationError:
    with transaction.atomic():
        verification = (
            ContactVerification.objects.select_for_update()
            .filter(user=user, public_id=public_id)
            .first()
        )
        if verification is None or verification.closed_at is not None:
            return VerificationError(_("This code is no longer valid; ask for a new one"))
        if verification.expires_at <= timezone.now():
            verification.closed_at = timezone.now()
            verification.save(update_fields=["closed_at"])
            audit.record("notifications.contact_code_expired", verification, actor=user)
            return VerificationError(_("The code has expired; ask for a new one"))
        verification.attempts += 1
        if not hmac.compare_digest(
            verification.code_hash, _code_hash(verification.public_id, code)
        ):
            left = CODE_ATTEMPTS - verification.attempts
            if left <= 0:
                verification.closed_at = timezone.now()
            verification.save(update_fields=["attempts", "closed_at"])
            audit.record(
                "notifications.contact_code_wrong", verification, actor=user, attempts_left=left
            )
            if left <= 0:
                return VerificationError(_("Too many wrong codes; ask for a new one"))
            return VerificationError(
                ngettext(
                    "Wrong code (%(left)d attempt left)",
                    "Wrong code (%(left)d attempts left)",
                    left,
                )
                % {"left": left}
            )
        verification.verified_at = verification.closed_at = timezone.now()
        verification.save(update_fields=["attempts", "verified_at", "closed_at"])
        pref = _preference_for_update(user)
        account = User.objects.select_for_update().get(pk=user.pk)
        if verification.medium == ContactVerification.Medium.MOBILE:
            pref.mobile, pref.mobile_verified_at = verification.value, verification.verified_at
            account.phone = verification.value
            account.save(update_fields=["phone"])
        else:
            pref.email_verified_at = verification.verified_at
            account.email = verification.value
            account.save(update_fields=["email"])
        pref.save()
        audit.record(
            "notifications.contact_verified", verification, actor=user, medium=verification.medium
        )
        user.email, user.phone = account.email, account.phone
    return verification


@transaction.atomic
def link_line(user: User, line_user_id: str) -> ContactPreference:
    """Link the LINE account whose user id LINE Login returned (signature checked by the
    view); LINE is then one of the person's channels to choose."""
    pref = _preference_for_update(user)
    pref.line_user_id, pref.line_linked_at = line_user_id, timezone.now()
    pref.save(update_fields=["line_user_id", "line_linked_at", "updated_at"])
    audit.record("notifications.line_linked", user, actor=user)
    return pref


@transaction.atomic
def unlink_line(user: User) -> ContactPreference:
    pref = _preference_for_update(user)
    pref.line_user_id, pref.line_linked_at = "", None
    pref.save(update_fields=["line_user_id", "line_linked_at", "updated_at"])
    audit.record("notifications.line_unlinked", user, actor=user)
    return pref
