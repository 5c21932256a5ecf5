"""Read-only view of applications for system admins; changes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from bizportal.core.admin import AuditedReadsAdmin

from .models import Application, StatusChange


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "actor_label", "note", "at")


@admin.register(Application)
class ApplicationAdmin(AuditedReadsAdmin):
    list_display = ("reference", "service", "agency", "status", "submitted_at")
    list_filter = ("status", "agency")
    search_fields = ("reference",)
    inlines = [StatusChangeInline]
    readonly_fields = [f.name for f in Application._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
