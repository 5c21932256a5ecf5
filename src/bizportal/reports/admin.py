"""The refresh marks, read-only: when the report aggregates were last brought up to date."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import RefreshMark


@admin.register(RefreshMark)
class RefreshMarkAdmin(admin.ModelAdmin):
    list_display = ("name", "changed_since", "refreshed_at", "days")
    readonly_fields = ("name", "changed_since", "refreshed_at", "days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
