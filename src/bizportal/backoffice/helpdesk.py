"""The helpdesk look-up: staff answering a person's call find their applications by
reference or citizen ID, and see where each stands, never what was filed.

A look-up reads personal data without the person's own request on screen, so the
officer must type why (the call, the case) before anything is shown; the reason goes
into the audit trail with one event per application shown, and those events are what
the person's data tracker lists. Answers and documents stay out of this page: the
helpdesk explains status and history, the agency decides on the contents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.applications.models import Application
from bizportal.core import audit
from bizportal.core.thai import validate_citizen_id
from bizportal.identity.acting import account_of

from .views import staff_only

helpdesk_only = staff_only("backoffice.helpdesk")

#: The audit action of one application shown to the helpdesk (the data tracker lists it).
LOOKED_UP = "application.looked_up_by_helpdesk"

#: Applications shown for one citizen ID at most (newest first).
LIMIT = 50

_DIGITS = re.compile(r"^[0-9\s-]+$")


class LookupForm(forms.Form):
    query = forms.CharField(
        max_length=40,
        label=gettext_lazy("Reference or citizen ID"),
        error_messages={"required": gettext_lazy("Please give a reference or a citizen ID")},
    )
    reason = forms.CharField(
        max_length=500,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Why you look (the call or case, recorded in the audit trail)"),
        error_messages={
            "required": gettext_lazy("Please record why you look these applications up"),
            "min_length": gettext_lazy(
                "Please describe the reason in a few words (at least 10 characters)"
            ),
        },
    )

    def clean_query(self) -> str:
        """A number is a citizen ID (checked, so a typo is named as one); anything else
        is a reference."""
        raw = self.cleaned_data["query"].strip()
        if _DIGITS.match(raw):
            return validate_citizen_id(raw)
        return raw.upper()


@dataclass(frozen=True)
class Found:
    kind: str
    applications: list[Application]


def find(staff: Any, query: str, reason: str) -> Found:
    """The applications for ``query`` (a validated citizen ID or a reference), each
    recorded as looked up by ``staff`` with ``reason``; nothing is recorded when nothing
    is found. Refuses an unknown reference or a citizen ID with no applications."""
    kind = "citizen_id" if query.isdigit() else "reference"
    if kind == "citizen_id":
        found = Application.objects.filter(
            Q(party__key=query) | Q(applicant__citizen_id=query), reference__isnull=False
        )
    else:
        found = Application.objects.filter(reference=query)
    applications = list(
        found.select_related("service", "agency")
        .prefetch_related("history")
        .order_by("-created_at")[:LIMIT]
    )
    if not applications:
        raise ValidationError(
            _("No application has this reference")
            if kind == "reference"
            else _("This person has no submitted applications"),
            code="not_found",
        )
    with transaction.atomic():
        for application in applications:
            audit.record(LOOKED_UP, application, actor=staff, reason=reason, query=kind)
    return Found(kind, applications)


@helpdesk_only
def lookup(request: HttpRequest) -> HttpResponse:
    """``/backoffice/helpdesk/``: the form, and on POST what it found (POST, so neither
    the citizen ID nor the reason lands in URLs and access logs)."""
    form = LookupForm(request.POST or None)
    found: Found | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                found = find(
                    account_of(request), form.cleaned_data["query"], form.cleaned_data["reason"]
                )
            except ValidationError as error:
                form.add_error("query", error)
        if found is None:
            status = 400
    return render(
        request, "backoffice/helpdesk.html", {"form": form, "found": found}, status=status
    )
