"""Live chat pages. Each works without JavaScript (forms post, the page reloads itself
while waiting); with it, ``static/bizportal/chat.js`` sends and receives over the chat's
WebSocket instead. Every change goes through :mod:`.chat`, whose translated errors are
shown on the form."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bizportal.catalog.models import Service
from bizportal.core import audit, authz, ratelimits
from bizportal.identity.models import User

from . import chat
from .models import ChatSession
from .views import _put_back, staff_page


class StartForm(django_forms.Form):
    service = django_forms.ModelChoiceField(
        Service.objects.select_related("agency").order_by("slug"),
        to_field_name="slug",
        label=_("Service"),
    )
    topic = django_forms.CharField(label=_("What it is about"), max_length=200)


class EnquiryForm(django_forms.Form):
    service = django_forms.ModelChoiceField(
        Service.objects.order_by("slug"), to_field_name="slug", label=_("Service")
    )
    topic = django_forms.CharField(label=_("Subject"), max_length=200)
    body = django_forms.CharField(label=_("Message"), widget=django_forms.Textarea)


class LineForm(django_forms.Form):
    body = django_forms.CharField(
        label=_("Message"), required=False, widget=django_forms.Textarea(attrs={"rows": 2})
    )


def _entrepreneur(request: HttpRequest) -> Any:
    if not authz.allowed(request.user, "contact.chat"):
        raise Http404("entrepreneurs only")
    return request.user


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """``/contact/chat/``: ask for a chat; nobody online → the enquiry form instead."""
    person = _entrepreneur(request)
    existing = chat.open_chat_of(person)
    if existing is not None:
        return redirect("contact:chat-session", public_id=existing.public_id)
    form = StartForm(request.POST or None, initial={"service": request.GET.get("service", "")})
    enquiry = None
    if request.method == "POST":
        ratelimits.limit(request, "contact")
        if form.is_valid():
            try:
                session = chat.start(
                    person, topic=form.cleaned_data["topic"], service=form.cleaned_data["service"]
                )
            except ValidationError as error:
                asked = dict(form.cleaned_data)
                _put_back(form, error)
                enquiry = EnquiryForm(
                    initial={"service": asked["service"].slug, "topic": asked["topic"]}
                )
            else:
                return redirect("contact:chat-session", public_id=session.public_id)
    return render(
        request,
        "contact/chat_start.html",
        {"form": form, "enquiry": enquiry},
        status=400 if form.errors else 200,
    )


@login_required
def to_enquiry(request: HttpRequest) -> HttpResponse:
    """Leave the agency a message instead (an enquiry case)."""
    person = _entrepreneur(request)
    form = EnquiryForm(request.POST or None)
    if request.method == "POST":
        ratelimits.limit(request, "contact")
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = chat.to_enquiry(
                    person, topic=data["topic"], body=data["body"], service=data["service"]
                )
            except ValidationError as error:
                _put_back(form, error)
            else:
                messages.success(
                    request, gettext("Received as %(reference)s") % {"reference": case.reference}
                )
                return redirect("contact:case", public_id=case.public_id)
    return render(
        request,
        "contact/chat_start.html",
        {"form": None, "enquiry": form},
        status=400 if form.errors else 200,
    )


def _colleague(public_id: str) -> User | None:
    """The officer a chat is handed to, by their opaque id (never a sequential key)."""
    try:
        return User.objects.filter(public_id=public_id).first()
    except ValidationError:  # not a UUID
        return None


def _session_page(
    request: HttpRequest, session: ChatSession, *, staff: bool, here: str
) -> HttpResponse:
    user: Any = request.user
    form = LineForm(request.POST or None)
    code = 200
    if request.method == "POST":
        ratelimits.limit(request, "contact")
        action = request.POST.get("action", "post")
        try:
            if action == "end":
                chat.end(session, user)
                messages.success(request, _("Chat ended"))
            elif action == "hand_over" and staff:
                to = _colleague(request.POST.get("to", ""))
                if to is None:
                    raise ValidationError({"to": [chat.HAND_OVER_REFUSED]})
                chat.hand_over(session, user, to)
                messages.success(request, _("Handed over"))
                return redirect("contact:chat-desk")
            elif form.is_valid():
                chat.post(session, user, form.cleaned_data["body"])
            return redirect(here)
        except ValidationError as error:
            _put_back(form, error)
            code = 400
    state = chat.state(session)
    colleagues = (
        [o for o in chat.officers_online(session.agency_id) if o.pk != user.pk] if staff else []
    )
    return render(
        request,
        "contact/chat.html",
        {
            "session": session,
            "state": state,
            "form": form,
            "staff": staff,
            "answering": staff and session.officer_id == user.pk,
            "colleagues": colleagues,
            "socket_path": f"/ws/chat/{session.public_id}/",
            "refresh": 10 if session.is_open else 0,
            "max_length": settings.CHAT_MAX_MESSAGE,
        },
        status=code,
    )


@login_required
def session_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    person = _entrepreneur(request)
    session = ChatSession.objects.filter(public_id=public_id, person=person).first()
    if session is None:
        raise Http404("no such chat")
    return _session_page(
        request, session, staff=False, here=reverse("contact:chat-session", args=[public_id])
    )


@staff_page("contact.chat_desk")
def desk(request: HttpRequest) -> HttpResponse:
    """``/backoffice/chat/``: be available, pick up the next chat, the chats I answer."""
    user: Any = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "available":
            chat.mark_available(user)
        elif action == "away":
            chat.mark_away(user)
        elif action == "pick_up":
            picked = chat.pick_up_next(user)
            if picked is not None:
                return redirect("contact:staff-chat", public_id=picked.public_id)
            messages.info(request, _("Nobody is waiting"))
        return redirect("contact:chat-desk")
    available = chat.is_available(user)
    if available:
        chat.mark_available(user)  # the page reloads itself: that keeps the lease
    return render(
        request,
        "contact/chat_desk.html",
        {
            "available": available,
            "waiting": chat.waiting_count(user.agency_id),
            # Topics only: the person's name is on the chat's own (audited) page.
            "mine": ChatSession.objects.filter(officer=user, status="active"),
            "refresh": max(int(settings.CHAT_PRESENCE_SECONDS) // 3, 5),
        },
    )


@staff_page("contact.chat_desk")
@audit.audited_read("contact.chat_viewed")
def staff_session(request: HttpRequest, public_id: Any) -> HttpResponse:
    session = ChatSession.objects.filter(public_id=public_id).first()
    if session is None or not authz.allowed(request.user, "contact.chat_view", session):
        raise Http404("no such chat")
    if chat.is_available(request.user):  # type: ignore[arg-type]
        chat.mark_available(request.user)  # type: ignore[arg-type]
    return _session_page(
        request, session, staff=True, here=reverse("contact:staff-chat", args=[public_id])
    )
