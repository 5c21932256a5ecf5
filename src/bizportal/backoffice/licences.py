"""The licence register for the issuing agency's officers: suspend (until a date or until
reinstated), reinstate, and revoke with maker–checker (an officer asks with a reason
code, another supervisor of the agency approves). Every change goes through
``licences.services``, which checks the permission again on the locked row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bizportal.core import audit, authz
from bizportal.licences import services
from bizportal.licences.models import Licence, RevocationReason, RevocationRequest

from .views import officer_required


def agency_licence(user: Any, public_id: Any) -> Licence:
    """A licence of the officer's own agency; any other is 404 (it does not exist for them)."""
    licence = (
        Licence.objects.select_related("agency", "service").filter(public_id=public_id).first()
    )
    if licence is None or not authz.allowed(user, "licences.manage", licence):
        raise Http404("no such licence")
    return licence


@officer_required
@audit.audited_read("licence.viewed", "licences.licence")
def licence_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    licence = agency_licence(request.user, public_id)
    audit.saw(request, [licence])
    pending = licence.revocations.filter(state=RevocationRequest.State.PENDING).first()
    return render(
        request,
        "backoffice/licence.html",
        {
            "licence": licence,
            "verdict": services.verdict(licence),
            "masked_id": services.masked_holder_id(licence),
            "pending": pending,
            "may_check": pending is not None
            and authz.allowed(request.user, "licences.approve_revocation", licence)
            and pending.requested_by_id != request.user.pk,
            "reasons": RevocationReason.choices,
            "history": licence.revocations.select_related("requested_by", "decided_by"),
        },
    )


class LifecycleForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in services.LIFECYCLE_ACTIONS])
    reason = forms.CharField(required=False, max_length=2000)
    until = forms.DateField(required=False)
    reason_code = forms.CharField(required=False, max_length=24)


@officer_required
@require_POST
def licence_act(request: HttpRequest, public_id: Any) -> HttpResponse:
    licence = agency_licence(request.user, public_id)
    form = LifecycleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The form is not valid: ")
            + "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
        )
        return redirect("backoffice:licence", public_id=public_id)
    try:
        data = form.cleaned_data
        done = services.lifecycle_action(
            licence,
            action=data["action"],
            actor=request.user,
            reason=data.get("reason", ""),
            until=data.get("until"),
            reason_code=data.get("reason_code", ""),
        )
        messages.success(request, done)
    except services.LicenceError as error:
        messages.error(request, str(error))
    return redirect("backoffice:licence", public_id=public_id)
