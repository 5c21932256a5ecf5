"""A person's inbox, contact details and notification preferences; the SMS receipt
callback.

Every page is about the signed-in person only (no object of anyone else is reachable
by URL: a verification id of another account is simply not found).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bizportal.core import ratelimits
from bizportal.core.problems import problem_response

from . import receipts, services
from .channels import enabled, line_link_signature
from .forms import CodeForm, ContactChangeForm, PreferencesForm, kinds_for
from .models import ContactVerification, InboxMessage

PAGE_SIZE = 20
LINE_STATE = "notifications.line_state"


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Newest first, keyset-paginated on the id (``?before=<id>``): one query a page."""
    user: Any = request.user  # login_required: a signed-in User
    rows = InboxMessage.objects.filter(user=user).order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit():
        rows = rows.filter(id__lt=int(before))
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return render(
        request,
        "notifications/inbox.html",
        {"items": page, "next_before": page[-1].id if more and page else None},
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.getlist("message")
    if request.POST.get("all") == "1":
        services.mark_read(request.user)  # type: ignore[arg-type]
    elif chosen:
        try:
            services.mark_read(request.user, chosen)  # type: ignore[arg-type]
        except ValidationError:
            messages.error(request, _("Message not found"))
    else:
        messages.error(request, _("No message chosen"))
    return redirect("notifications:inbox")


def _contact_context(request: HttpRequest, form: PreferencesForm | None = None) -> dict[str, Any]:
    user: Any = request.user
    pref = services.preference_of(user)
    kinds = kinds_for(user)
    if form is None:
        initial: dict[str, Any] = {
            "language": pref.language if pref else "th",
            "quiet_start": (pref.quiet_start if pref else None) or "21:00",
            "quiet_end": (pref.quiet_end if pref else None) or "07:00",
        }
        for kind in kinds:
            initial[f"channels_{kind}"] = list(services.chosen_channels(pref, kind))
        form = PreferencesForm(initial=initial, kinds=kinds)
    pending = ContactVerification.objects.filter(
        user=user, closed_at__isnull=True, expires_at__gt=services.timezone.now()
    ).order_by("-created_at")
    return {
        "pref": pref,
        "form": form,
        "kind_fields": [form[f"channels_{kind}"] for kind in kinds],
        "change_form": ContactChangeForm(),
        "pending": list(pending[:2]),
        "enabled_channels": enabled(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """Contact details (changed only through a code) and the channels per kind."""
    if request.method == "POST":
        form = PreferencesForm(request.POST, kinds=kinds_for(request.user))
        if form.is_valid():
            services.save_preferences(
                request.user,  # type: ignore[arg-type]
                channels_by_kind=form.channels_by_kind(),
                quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"],
                language=form.cleaned_data["language"],
            )
            messages.success(request, _("Preferences saved"))
            return redirect("notifications:contact")
        return render(
            request, "notifications/contact.html", _contact_context(request, form), status=400
        )
    return render(request, "notifications/contact.html", _contact_context(request))


@login_required
@require_POST
def contact_change(request: HttpRequest) -> HttpResponse:
    form = ContactChangeForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            ratelimits.limit(request, "contact-code", key="user")
            verification = services.start_verification(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["medium"],
                form.cleaned_data["value"],
            )
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            return redirect("notifications:contact-verify", public_id=verification.public_id)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    context = _contact_context(request)
    context["change_form"] = form
    context["change_error"] = error
    return render(request, "notifications/contact.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def contact_verify(request: HttpRequest, public_id: Any) -> HttpResponse:
    verification = get_object_or_404(ContactVerification, user=request.user, public_id=public_id)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.confirm_code(
                    request.user,  # type: ignore[arg-type]
                    public_id,
                    form.cleaned_data["code"],
                )
            except services.VerificationError as problem:
                form.add_error("code", str(problem))
            else:
                messages.success(
                    request,
                    _("Verified: the next messages go there"),
                )
                return redirect("notifications:contact")
    return render(
        request,
        "notifications/verify.html",
        {"verification": verification, "form": form},
        status=status,
    )


@login_required
@require_POST
def line_link(request: HttpRequest) -> HttpResponse:
    """Send the person to LINE Login; the answer comes back to :func:`line_callback`."""
    state = secrets.token_urlsafe(24)
    request.session[LINE_STATE] = state
    query = urlencode(
        {"state": state, "redirect_uri": settings.BASE_URL + reverse("notifications:line-callback")}
    )
    return redirect(f"{settings.LINE_LOGIN_URL}?{query}")


@login_required
@require_GET
def line_callback(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    user_id = request.GET.get("user_id", "")
    signature = request.GET.get("sig", "")
    expected_state = request.session.pop(LINE_STATE, "")
    valid = (
        expected_state
        and hmac.compare_digest(state, expected_state)
        and len(user_id) == 33
        and user_id.startswith("U")
        and hmac.compare_digest(signature, line_link_signature(state, user_id))
    )
    if not valid:
        messages.error(
            request,
            _("Linking LINE failed (the answer was invalid or stale); please try again"),
        )
        return redirect("notifications:contact")
    services.link_line(request.user, user_id)  # type: ignore[arg-type]
    messages.success(request, _("LINE linked"))
    return redirect("notifications:contact")


@login_required
@require_POST
def line_unlink(request: HttpRequest) -> HttpResponse:
    services.unlink_line(request.user)  # type: ignore[arg-type]
    messages.success(request, _("LINE unlinked"))
    return redirect("notifications:contact")


@csrf_exempt
@require_POST
def sms_receipt(request: HttpRequest) -> HttpResponse:
    """The SMS gateway's signed delivery receipt (problem+json on refusal)."""
    try:
        ratelimits.limit(request, "callback")
    except ratelimits.RateLimited as error:
        return ratelimits.too_many_response(request, error, machine=True)
    try:
        receipt = receipts.parse(request)
    except receipts.ReceiptError as error:
        return problem_response(error.status, str(error))
    delivery = services.record_receipt(
        receipt.message_id, receipt.status, receipt.at, reference=receipt.reference
    )
    if delivery is None:
        return problem_response(404, _("No message with this id or reference"), type_="not-found")
    return HttpResponse(status=204)
