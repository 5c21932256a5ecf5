"""The security contact's list of alerts: read them, close them with what was found."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from bizportal.core.admin import AuditedReadsAdmin

from . import services
from .models import SecurityAlert


@admin.register(SecurityAlert)
class SecurityAlertAdmin(AuditedReadsAdmin):
    """An alert's key is an address or an account: reading the list is audited."""

    list_display = ("rule", "key", "status", "observed", "crossings", "first_seen", "last_seen")
    list_filter = ("status", "rule")
    search_fields = ("key",)
    date_hierarchy = "last_seen"
    readonly_fields = (
        "rule",
        "key",
        "status",
        "first_seen",
        "last_seen",
        "crossings",
        "observed",
        "threshold",
        "window_seconds",
        "notified",
        "closed_at",
        "closed_by",
    )
    fields = (*readonly_fields, "closing_note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only the detection rules raise alerts

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an alert is evidence: closed, never deleted

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != SecurityAlert.Status.OPEN:
            return (*self.readonly_fields, "closing_note")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: SecurityAlert, form: Any, change: bool) -> None:
        """Saving an open alert with a note closes it (through the service, audited)."""
        try:
            services.close_alert(obj, request.user, obj.closing_note)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
