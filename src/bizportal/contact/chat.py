"""Live chat: every change to officers' presence, chats and their messages happens here.

A signed-in person asks the agency responsible (by application, service or agency) for
a chat. If one of its officers is available they wait in the agency's queue, first come
first served, and see their position; an officer picks up the next chat, may hand it to
a colleague who is available (the whole transcript follows, it is the chat's), and
either side ends it: the transcript then goes into the contact log as one entry on the
*chat* channel for the person. When nobody is available the person is offered the
message thread instead: :func:`to_enquiry` opens an enquiry case through
:mod:`.services`.

The state is in the database; after each commit :mod:`.push` tells the WebSockets
watching the chat (or the agency's queue) to look again. Every change is audited in the
same transaction; a refused request (an empty message, one over ``CHAT_MAX_MESSAGE``, a
chat that is not yours) writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from bizportal.applications.models import Application
from bizportal.catalog.models import Agency, Service
from bizportal.core import audit, authz
from bizportal.identity.models import User

from . import push, services
from .models import (
    Case,
    Category,
    Channel,
    ChatMessage,
    ChatSession,
    ChatStatus,
    ContactEntry,
    EntryType,
    Kind,
    OfficerPresence,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOBODY_ONLINE = _("No officer is online just now; please leave the agency a message instead")
CHAT_OVER = _("This chat has ended")
HAND_OVER_REFUSED = _("A chat can be handed only to an online officer of the same agency")
MAX_TOPIC = 200

Side = ChatMessage.Side


def _refuse(field: str, message: StrOrPromise, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def clean_body(body: str) -> str:
    """A chat message: not empty, not over ``CHAT_MAX_MESSAGE`` characters."""
    text = (body or "").strip()
    if "\x00" in text:
        raise _refuse("body", _("The text holds a character not allowed"), "invalid")
    if not text:
        raise _refuse("body", _("Please type a message"), "required")
    limit = int(settings.CHAT_MAX_MESSAGE)
    if len(text) > limit:
        raise _refuse(
            "body",
            gettext("The message is longer than %(limit)s characters") % {"limit": f"{limit:,}"},
            "max_length",
        )
    return text


# --- presence -----------------------------------------------------------------------


def _require_desk(officer: User) -> None:
    if not authz.allowed(officer, "contact.chat_desk"):
        raise PermissionDenied("contact.chat_desk")


def _agency_id(officer: User) -> int:
    if officer.agency_id is None:
        raise PermissionDenied("contact.chat_desk")
    return officer.agency_id


def mark_available(officer: User) -> OfficerPresence:
    """The officer can take chats for the next ``CHAT_PRESENCE_SECONDS``; their page
    calls this again to stay available. Audited when they come online, not on every
    refresh."""
    _require_desk(officer)
    until = timezone.now() + dt.timedelta(seconds=int(settings.CHAT_PRESENCE_SECONDS))
    with transaction.atomic():
        presence = OfficerPresence.objects.select_for_update().filter(officer=officer).first()
        came_online = presence is None or presence.available_until <= timezone.now()
        if presence is None:
            presence = OfficerPresence.objects.create(
                officer=officer, agency_id=_agency_id(officer), available_until=until
            )
        else:
            presence.agency_id = _agency_id(officer)
            presence.available_until = until
            presence.save(update_fields=["agency", "available_until"])
        if came_online:
            audit.record("contact.chat_available", officer, actor=officer, until=until.isoformat())
    return presence


def mark_away(officer: User) -> None:
    _require_desk(officer)
    with transaction.atomic():
        gone = OfficerPresence.objects.filter(
            officer=officer, available_until__gt=timezone.now()
        ).update(available_until=timezone.now())
        if gone:
            audit.record("contact.chat_away", officer, actor=officer)


def is_available(officer: User) -> bool:
    return OfficerPresence.objects.filter(
        officer=officer, available_until__gt=timezone.now()
    ).exists()


def officers_online(agency: Agency | int) -> list[User]:
    agency_id = agency if isinstance(agency, int) else agency.pk
    return list(
        User.objects.filter(
            chat_presence__agency_id=agency_id,
            chat_presence__available_until__gt=timezone.now(),
            agency_id=agency_id,
            is_active=True,
        ).order_by("pk")
    )


# --- the person's side --------------------------------------------------------------


def agency_for(
    *,
    application: Application | None = None,
    service: Service | None = None,
    agency: Agency | None = None,
) -> tuple[Agency, Service | None]:
    if application is not None:
        return application.agency, application.service
    if service is not None:
        return service.agency, service
    if agency is not None:
        return agency, None
    raise _refuse(
        "service",
        _("Please choose the service or agency you want to reach"),
        "required",
    )


def open_chat_of(person: User) -> ChatSession | None:
    return (
        ChatSession.objects.filter(person=person)
        .filter(status__in=[ChatStatus.WAITING, ChatStatus.ACTIVE])
        .first()
    )


def start(
    person: User,
    *,
    topic: str,
    application: Application | None = None,
    service: Service | None = None,
    agency: Agency | None = None,
) -> ChatSession:
    """Queue the person for a chat with the responsible agency. Refused (code
    ``nobody_online``) when none of its officers is available: the page then offers the
    message thread. A person has one open chat at a time: asking again returns it."""
    if not authz.allowed(person, "contact.chat"):
        raise PermissionDenied("contact.chat")
    text = services._clean_text(topic, "topic", limit=MAX_TOPIC)
    if application is not None and not authz.allowed(person, "applications.view", application):
        raise _refuse("application", services.NOT_YOURS, "not_yours")
    owner, found_service = agency_for(application=application, service=service, agency=agency)
    existing = open_chat_of(person)
    if existing is not None:
        return existing
    if not officers_online(owner):
        raise _refuse("topic", NOBODY_ONLINE, "nobody_online")
    try:
        with transaction.atomic():
            chat = ChatSession.objects.create(
                person=person,
                agency=owner,
                service=found_service,
                application=application,
                topic=text,
                language=_language(),
                created_at=timezone.now(),
            )
            audit.record(
                "contact.chat_started",
                chat,
                actor=person,
                agency=owner.code,
                application=(application.reference or "") if application else "",
            )
    except IntegrityError:  # a second tab started one at the same moment
        existing = open_chat_of(person)
        if existing is None:
            raise
        return existing
    push.after_commit(chat)
    return chat


def queue_position(chat: ChatSession) -> int:
    """1 for the next chat the agency picks up; 0 once it is no longer waiting."""
    if chat.status != ChatStatus.WAITING:
        return 0
    ahead = ChatSession.objects.filter(agency_id=chat.agency_id, status=ChatStatus.WAITING).filter(
        Q(created_at__lt=chat.created_at) | Q(created_at=chat.created_at, pk__lt=chat.pk)
    )
    return ahead.count() + 1


def waiting_count(agency: Agency | int) -> int:
    agency_id = agency if isinstance(agency, int) else agency.pk
    return ChatSession.objects.filter(agency_id=agency_id, status=ChatStatus.WAITING).count()


def _locked(chat: ChatSession) -> ChatSession:
    return ChatSession.objects.select_for_update(of=("self",)).get(pk=chat.pk)


def _language() -> str:
    """The language the person asked for the chat in (their page's), else the default."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    supported = {code for code, _name in settings.LANGUAGES}
    return current if current in supported else settings.LANGUAGE_CODE


def _system(chat: ChatSession, message: str, **params: str) -> ChatMessage:
    """A line from the portal itself, written in the person's language (the chat's)."""
    with translation.override(chat.language or settings.LANGUAGE_CODE):
        text = gettext(message) % params
    return ChatMessage.objects.create(
        session=chat,
        side=Side.SYSTEM,
        author_label="Biz Portal",
        body=text,
        created_at=timezone.now(),
    )


def _side(author: User, chat: ChatSession) -> str:
    if authz.allowed(author, "contact.chat_own", chat):
        return Side.PERSON
    if authz.allowed(author, "contact.chat_answer", chat):
        return Side.AGENCY
    raise PermissionDenied("contact.chat_own")


def post(chat: ChatSession, author: User, body: str) -> ChatMessage:
    """A line from the person (their own open chat) or from the officer answering it."""
    chat.refresh_from_db()
    _side(author, chat)  # a stranger learns nothing, not even whether the text is right
    text = clean_body(body)
    with transaction.atomic():
        audit.hold_chain()
        chat = _locked(chat)
        side = _side(author, chat)  # again on the row as it is now (hand-overs)
        if not chat.is_open:
            raise _refuse("body", CHAT_OVER, "ended")
        message = ChatMessage.objects.create(
            session=chat,
            side=side,
            author=author,
            author_label=author.display_name,
            body=text,
            created_at=timezone.now(),
        )
        audit.record("contact.chat_message", chat, actor=author, side=side, message=message.pk)
    push.after_commit(chat)
    return message


# --- the officers' side -------------------------------------------------------------


def pick_up_next(officer: User) -> ChatSession | None:
    """The officer takes the chat that has waited longest in their agency's queue (None
    if nobody waits). Picking up keeps them available. Two officers picking up at once
    get different chats (``skip_locked``)."""
    _require_desk(officer)
    mark_available(officer)
    with transaction.atomic():
        audit.hold_chain()
        chat = (
            ChatSession.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(agency_id=_agency_id(officer), status=ChatStatus.WAITING)
            .order_by("created_at", "pk")
            .first()
        )
        if chat is None:
            return None
        chat.status = ChatStatus.ACTIVE
        chat.officer = officer
        chat.picked_up_at = timezone.now()
        chat.save(update_fields=["status", "officer", "picked_up_at"])
        _system(chat, gettext_noop("%(officer)s has joined the chat"), officer=officer.display_name)
        audit.record("contact.chat_picked_up", chat, actor=officer, person=chat.person_id)
    push.after_commit(chat, queue=True)
    return chat


def hand_over(chat: ChatSession, officer: User, to: User) -> ChatSession:
    """The officer answering passes the chat to an available colleague of the same
    agency; the transcript stays with the chat, so the colleague reads it all."""
    chat.refresh_from_db()
    if not authz.allowed(officer, "contact.chat_answer", chat):
        raise PermissionDenied("contact.chat_answer")
    if (
        to.pk == officer.pk
        or to.agency_id != chat.agency_id
        or not authz.allowed(to, "contact.chat_desk")
        or not is_available(to)
    ):
        raise _refuse("to", HAND_OVER_REFUSED, "not_available")
    with transaction.atomic():
        audit.hold_chain()
        chat = _locked(chat)
        if chat.status != ChatStatus.ACTIVE or chat.officer_id != officer.pk:
            raise _refuse("to", CHAT_OVER, "ended")
        chat.officer = to
        chat.save(update_fields=["officer"])
        _system(
            chat,
            gettext_noop("%(officer)s handed the chat to %(colleague)s"),
            officer=officer.display_name,
            colleague=to.display_name,
        )
        audit.record("contact.chat_handed_over", chat, actor=officer, to=to.pk)
    push.after_commit(chat)
    return chat


def transcript(chat: ChatSession) -> str:
    """The whole chat as text, one line per message, times in Bangkok."""
    with translation.override(settings.LANGUAGE_CODE):  # for the contact log: staff read it
        lines = [gettext("Chat: %(topic)s") % {"topic": chat.topic}]
    for message in chat.messages.order_by("created_at", "pk"):
        at = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"[{at}] {message.author_label}: {message.body}")
    return "\n".join(lines)


def end(chat: ChatSession, actor: User) -> ChatSession:
    """Either side ends the chat (an officer of the agency may end a waiting one too);
    the transcript goes into the contact log, on the chat channel, for the person."""
    chat.refresh_from_db()
    if not (
        authz.allowed(actor, "contact.chat_own", chat)
        or authz.allowed(actor, "contact.chat_view", chat)
    ):
        raise PermissionDenied("contact.chat_own")
    with transaction.atomic():
        audit.hold_chain()
        chat = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("person", "officer")
            .get(pk=chat.pk)
        )
        if not chat.is_open:
            raise _refuse("body", CHAT_OVER, "ended")
        if actor.pk != chat.person_id and chat.officer_id not in (None, actor.pk):
            raise PermissionDenied("contact.chat_answer")
        now = timezone.now()
        _system(chat, gettext_noop("%(name)s ended the chat"), name=actor.display_name)
        entry = ContactEntry.objects.create(
            at=now,
            channel=Channel.CHAT,
            type=EntryType.ENQUIRY,
            person=chat.person,
            person_key=chat.person.citizen_id or "",
            person_name=chat.person.display_name,
            application=chat.application,
            summary=transcript(chat),
            logged_by=chat.officer,
        )
        chat.status = ChatStatus.ENDED
        chat.ended_at = now
        chat.contact_entry = entry
        chat.save(update_fields=["status", "ended_at", "contact_entry"])
        audit.record(
            "contact.chat_ended",
            chat,
            actor=actor,
            entry=str(entry.public_id),
            officer=chat.officer_id,
        )
    push.after_commit(chat, queue=True)
    return chat


def to_enquiry(
    person: User,
    *,
    topic: str,
    body: str,
    application: Application | None = None,
    service: Service | None = None,
    agency: Agency | None = None,
) -> Case:
    """Nobody online (or tired of waiting): the person leaves the agency an enquiry in
    the message thread instead. A waiting chat of theirs is closed as *moved* and its
    lines go along in the enquiry."""
    if not authz.allowed(person, "contact.chat"):
        raise PermissionDenied("contact.chat")
    waiting = open_chat_of(person)
    if waiting is not None and waiting.status == ChatStatus.ACTIVE:
        raise _refuse(
            "body",
            _("You are in a chat with an officer already"),
            "in_chat",
        )
    if service is None and application is None and agency is not None:
        service = Service.objects.filter(agency=agency).order_by("pk").first()
    with transaction.atomic():
        case = services.file_case(
            services.Filing(
                kind=Kind.ENQUIRY,
                category=Category.INFORMATION,
                subject=topic,
                body=body,
                service=service,
                application=application,
            ),
            person=person,
        )
        if waiting is not None:
            chat = _locked(waiting)
            if chat.status == ChatStatus.WAITING:
                chat.status = ChatStatus.MOVED
                chat.ended_at = timezone.now()
                chat.case = case
                chat.save(update_fields=["status", "ended_at", "case"])
                audit.record("contact.chat_moved", chat, actor=person, case=case.reference)
                push.after_commit(chat, queue=True)
    return case


def state(chat: ChatSession, *, after: int = 0) -> dict[str, Any]:
    """What a page or a socket shows: status, queue position, who answers, and the
    messages after id ``after``."""
    chat.refresh_from_db()
    officer = chat.officer.display_name if chat.officer_id and chat.officer else ""
    return {
        "status": chat.status,
        "status_label": str(ChatStatus(chat.status).label),
        "position": queue_position(chat),
        "officer": officer,
        "messages": [
            {
                "id": m.pk,
                "side": m.side,
                "author": m.author_label,
                "body": m.body,
                "at": timezone.localtime(m.created_at).strftime("%H:%M"),
            }
            for m in chat.messages.filter(pk__gt=after).order_by("created_at", "pk")
        ],
    }
