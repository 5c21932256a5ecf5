"""Configuration screens for the catalogue (system admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from bizportal.core import audit
from bizportal.forms.validation import check_schema

from .models import Agency, RequiredDocument, Service
from .services import refresh_search_text


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_th", "name_en", "ministry_th")
    search_fields = ("code", "name_th", "name_en")


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_th", "agency", "processing_days", "fee_table", "is_published")
    list_filter = ("agency", "is_published")
    search_fields = ("slug", "name_th", "name_en", "manual_code")
    inlines = [RequiredDocumentInline]

    def save_model(self, request: Any, obj: Service, form: Any, change: bool) -> None:
        """An invalid form schema must never reach applicants; the search text follows
        the names; and the change is audited like any other."""
        check_schema(obj.form_schema)
        super().save_model(request, obj, form, change)
        refresh_search_text(obj)
        audit.record(
            "catalog.service_updated" if change else "catalog.service_created",
            obj,
            actor=request.user,
        )
