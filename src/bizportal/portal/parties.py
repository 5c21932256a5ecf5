"""Whom the entrepreneur acts for, and the mandates they give and receive.

The chosen party is kept in the session (:data:`~bizportal.identity.acting.SESSION_KEY`);
:class:`~bizportal.identity.middleware.ActingMiddleware` checks its grounds again on
every request. Changes go through :mod:`bizportal.identity.services`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from bizportal.core import audit
from bizportal.core.models import AuditEvent
from bizportal.core.templatetags.thai import pick
from bizportal.identity import services as identity
from bizportal.identity.acting import SESSION_KEY, Acting, account_of, grounds, key_of, options
from bizportal.identity.models import Mandate, Party
from bizportal.registries.client import RegistryError

from .forms import MandateForm


def _entrepreneur(request: HttpRequest) -> Acting:
    acting = getattr(request, "acting", None)
    if acting is None:
        raise Http404("entrepreneurs only")
    return acting


def _next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}):
        return candidate
    return ""


@login_required
def choose(request: HttpRequest) -> HttpResponse:
    """``/account/acting/``: themselves, their companies, their mandates; pick one."""
    acting = _entrepreneur(request)
    if request.method == "POST":
        party = _party(request.POST.get("party", ""))
        try:
            if party is None:
                raise identity.PartyError(_("No such party"))
            chosen = identity.choose_party(request.user, party)  # type: ignore[arg-type]
        except (identity.PartyError, ValidationError) as error:
            messages.error(request, _text(error))
            return redirect("portal:acting")
        request.session[SESSION_KEY] = str(chosen.party.public_id)
        messages.success(
            request,
            _("You now act for %(party)s") % {"party": pick(chosen.party, "name")},
        )
        return redirect(_next(request) or "portal:account")
    return render(
        request,
        "portal/acting.html",
        {"acting": acting, "choices": options(request.user), "next": _next(request)},  # type: ignore[arg-type]
    )


@login_required
@require_POST
def refresh_companies(request: HttpRequest) -> HttpResponse:
    """Ask the juristic registry again which companies list the person as a director."""
    _entrepreneur(request)
    try:
        found = identity.refresh_companies_of(account_of(request))
    except RegistryError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "Read the juristic registry: %(count)s company lists you as a director",
                "Read the juristic registry: %(count)s companies list you as a director",
                len(found),
            )
            % {"count": len(found)},
        )
    return redirect("portal:acting")


def _party(raw: str) -> Party | None:
    try:
        return Party.objects.filter(public_id=uuid.UUID(raw)).first()
    except ValueError:
        return None


def _text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@login_required
def mandates(request: HttpRequest) -> HttpResponse:
    """``/account/mandates/``: the mandates the party gave (and a form to give one), the
    mandates given to the person (accept, decline, give up)."""
    acting = _entrepreneur(request)
    may_grant = acting.basis in ("self", "director")
    form = MandateForm(request.POST or None) if may_grant else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise Http404("a delegate cannot give mandates")
        if form.is_valid():
            try:
                data = {**form.cleaned_data, "services": list(form.cleaned_data["services"])}
                mandate = identity.grant_mandate(acting, **data)
            except (identity.PartyError, ValidationError) as error:
                form.add_error(None, _text(error))
            else:
                messages.success(
                    request,
                    _("Mandate given to %(delegate)s: it takes effect when the delegate accepts it")
                    % {"delegate": mandate.delegate_name or mandate.delegate_key},
                )
                return redirect("portal:mandates")
        status = 400
    given = (
        Mandate.objects.filter(grantor=acting.party).prefetch_related("services")
        if may_grant
        else Mandate.objects.none()
    )
    received = (
        Mandate.objects.filter(delegate_key=key_of(account_of(request)))
        .select_related("grantor")
        .prefetch_related("services")
    )
    return render(
        request,
        "portal/mandates.html",
        {
            "acting": acting,
            "form": form,
            "given": list(given),
            "received": list(received),
        },
        status=status,
    )


def _mandate_seen_by(request: HttpRequest, public_id: Any) -> tuple[Mandate, bool]:
    """The mandate, if the person is its delegate or may act for its grantor in their
    own right; with whether they are on the grantor's side."""
    mandate = (
        Mandate.objects.select_related("grantor", "delegate", "granted_by")
        .prefetch_related("services")
        .filter(public_id=public_id)
        .first()
    )
    if mandate is None:
        raise Http404("no such mandate")
    acting = grounds(request.user, mandate.grantor)
    grantor_side = acting is not None and acting.basis in ("self", "director")
    if not grantor_side and mandate.delegate_key != key_of(request.user):  # type: ignore[arg-type]
        raise Http404("no such mandate")
    return mandate, grantor_side


#: How acts under a mandate read to people (the audit action otherwise): message codes,
#: shown through ``|translated`` in the reader's language.
ACT_LABELS = {
    "application.draft_created": gettext_noop("Started an application"),
    "application.answers_saved": gettext_noop("Saved answers"),
    "application.document_attached": gettext_noop("Attached a document"),
    "application.submitted": gettext_noop("Submitted"),
    "application.resubmitted": gettext_noop("Resubmitted"),
    "application.signed": gettext_noop("Signed for the company"),
}


@login_required
def mandate_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One mandate and every act done under it: both sides see the same list."""
    mandate, grantor_side = _mandate_seen_by(request, public_id)
    acts = AuditEvent.objects.filter(mandate=str(mandate.public_id)).select_related("actor")
    return render(
        request,
        "portal/mandate_detail.html",
        {
            "mandate": mandate,
            "grantor_side": grantor_side,
            "is_delegate": mandate.delegate_key == key_of(request.user),  # type: ignore[arg-type]
            "needs_document": mandate.needs_document,
            "acts": [(act, ACT_LABELS.get(act.action, act.action)) for act in acts[:200]],
        },
    )


@login_required
@require_POST
def mandate_answer(request: HttpRequest, public_id: Any, answer: str) -> HttpResponse:
    """Accept, decline (the delegate) or revoke (either side) a mandate."""
    mandate, _seen = _mandate_seen_by(request, public_id)
    try:
        if answer in ("accept", "decline"):
            identity.answer_mandate(mandate, request.user, accept=answer == "accept")  # type: ignore[arg-type]
            done = _("Mandate accepted") if answer == "accept" else _("Mandate declined")
        elif answer == "revoke":
            identity.revoke_mandate(
                mandate,
                account_of(request),
                reason=request.POST.get("reason", "")[:500],
            )
            done = _("Mandate revoked, with immediate effect")
        else:
            raise Http404("no such answer")
    except identity.PartyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("portal:mandate", public_id=mandate.public_id)


@require_GET
@login_required
def mandate_pdf(request: HttpRequest, public_id: Any) -> FileResponse:
    """The signed written mandate, for its grantor's side and its delegate only (anyone
    else gets the 404 of a wrong id); every download is audited."""
    mandate, grantor_side = _mandate_seen_by(request, public_id)
    if mandate.document_signed_at is None or not mandate.document:
        raise Http404("no written mandate for this mandate")
    with transaction.atomic():
        audit.record(
            "identity.mandate_document_downloaded",
            mandate,
            actor=request.user,
            side="grantor" if grantor_side else "delegate",
            sha256=mandate.document_sha256,
        )
    response = FileResponse(
        mandate.document.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"mandate-{mandate.public_id}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
