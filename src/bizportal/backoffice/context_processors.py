"""The staff menu in the page header: one entry per back-office page the roles open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bizportal.core import authz

PAGES = (
    ("backoffice.worklist", "backoffice:worklist", _("Worklist")),
    ("backoffice.counter", "backoffice:counter", _("Service counter")),
    ("contact.cases", "contact:staff-cases", _("Complaints")),
    ("contact.chat_desk", "contact:chat-desk", _("Chat desk")),
    ("contact.helpdesk", "contact:log", _("Contact log")),
    ("backoffice.staff", "backoffice:staff", _("Staff")),
    ("catalog.use_editor", "backoffice:services", _("Service manuals")),
    ("payments.finance", "backoffice:finance-refunds", _("Refunds")),
    ("payments.reconcile", "backoffice:finance-statements", _("Reconciliation")),
    ("payments.reports", "backoffice:finance-report", _("Finance reports")),
    ("backoffice.statistics", "backoffice:statistics", _("Statistics")),
    ("reports.view", "reports:index", _("Reports")),
    ("surveys.results", "backoffice:surveys", _("Satisfaction")),
)


def staff_menu(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "role", "") != "staff":
        return {"staff_menu": []}
    return {
        "staff_menu": [
            (reverse(name), label)
            for permission, name, label in PAGES
            if authz.allowed(user, permission)
        ]
    }
