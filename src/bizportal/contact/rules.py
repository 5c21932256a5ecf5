"""Who may see and act on cases and the contact log (``core.authz``).

* A person sees their own cases (signed in); an anonymous person only through the
  follow-up link, which is checked in the view, not here.
* Officers and supervisors see the cases of the agencies they work for, whether their
  agency owns the case or shares it; answering is theirs too. Closing, sharing with
  another agency: the owner agency's officers.
* Live chat: a signed-in entrepreneur sees only their own chats; the officers of the
  chat's agency see it, and only the officer answering it writes in it.
* Counter and helpdesk staff log contacts for people and follow every case across
  agencies (read only: they answer nothing for an agency).
"""

from __future__ import annotations

from typing import Any

import rules
from bizportal.core import authz
from bizportal.identity.rules import has_agency, is_agency_officer, is_entrepreneur, is_helpdesk

from .models import Case, ChatSession


@rules.predicate
def is_own_case(user: Any, case: Case | None) -> bool:
    return (
        case is not None
        and getattr(user, "is_authenticated", False)
        and case.person_id is not None
        and case.person_id == user.pk
    )


@rules.predicate
def agency_involved(user: Any, case: Case | None) -> bool:
    """The officer's agency owns or shares the case."""
    agency_id = getattr(user, "agency_id", None)
    if case is None or agency_id is None:
        return False
    if case.owner_agency_id == agency_id:
        return True
    return case.routing.filter(agency_id=agency_id).exists()


@rules.predicate
def agency_owns(user: Any, case: Case | None) -> bool:
    agency_id = getattr(user, "agency_id", None)
    return case is not None and agency_id is not None and case.owner_agency_id == agency_id


@rules.predicate
def is_own_chat(user: Any, chat: ChatSession | None) -> bool:
    return (
        chat is not None and getattr(user, "is_authenticated", False) and chat.person_id == user.pk
    )


@rules.predicate
def chat_of_agency(user: Any, chat: ChatSession | None) -> bool:
    agency_id = getattr(user, "agency_id", None)
    return chat is not None and agency_id is not None and chat.agency_id == agency_id


@rules.predicate
def answers_chat(user: Any, chat: ChatSession | None) -> bool:
    return chat is not None and chat.officer_id is not None and chat.officer_id == user.pk


authz.register("contact.view_own", is_own_case)
authz.register("contact.cases", (is_agency_officer & has_agency) | is_helpdesk)
authz.register("contact.view", (is_agency_officer & agency_involved) | is_helpdesk)
authz.register("contact.answer", is_agency_officer & agency_involved)
authz.register("contact.coordinate", is_agency_officer & agency_owns)
authz.register("contact.helpdesk", is_helpdesk)
# Live chat: an entrepreneur chats (their own chats only); the agency's officers take
# chats of their agency, and only the officer answering a chat writes in it.
authz.register("contact.chat", is_entrepreneur)
authz.register("contact.chat_own", is_entrepreneur & is_own_chat)
authz.register("contact.chat_desk", is_agency_officer & has_agency)
authz.register("contact.chat_view", is_agency_officer & chat_of_agency)
authz.register("contact.chat_answer", is_agency_officer & chat_of_agency & answers_chat)
