"""The staff menu in the page header: one entry per back-office page the roles open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from bizportal.core import authz

PAGES = (
    ("backoffice.worklist", "backoffice:worklist", "งานของหน่วยงาน / Worklist"),
    ("backoffice.counter", "backoffice:counter", "ศูนย์บริการ / Service counter"),
    ("contact.cases", "contact:staff-cases", "เรื่องร้องเรียน / Complaints"),
    ("contact.chat_desk", "contact:chat-desk", "แชต / Chat desk"),
    ("contact.helpdesk", "contact:log", "บันทึกการติดต่อ / Contact log"),
    ("backoffice.staff", "backoffice:staff", "เจ้าหน้าที่ / Staff"),
    ("catalog.use_editor", "backoffice:services", "คู่มือบริการ / Service manuals"),
    ("payments.finance", "backoffice:finance-refunds", "คืนเงิน / Refunds"),
    ("payments.reconcile", "backoffice:finance-statements", "กระทบยอด / Reconciliation"),
    ("payments.reports", "backoffice:finance-report", "รายงานการเงิน / Finance reports"),
    ("backoffice.statistics", "backoffice:statistics", "สถิติ / Statistics"),
    ("surveys.results", "backoffice:surveys", "ความพึงพอใจ / Satisfaction"),
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
