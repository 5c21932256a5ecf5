"""Integration settings in the admin: a new version is published through
``integrations.services`` (every problem reported at once); published versions are
read-only, so what was forwarded under which settings can always be told."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from . import services
from .models import IntegrationVersion


class IntegrationForm(forms.ModelForm):
    """Checked by the service's own rules, each problem shown on its field."""

    class Meta:
        model = IntegrationVersion
        fields = (
            "service",
            "mode",
            "agency_system",
            "endpoint_url",
            "field_mapping",
            "documents",
            "note",
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.errors or data.get("service") is None:
            return data
        problems = services.integration_problems(
            data["service"],
            mode=data.get("mode", ""),
            agency_system=data.get("agency_system"),
            endpoint_url=data.get("endpoint_url") or "",
            field_mapping=data.get("field_mapping") or {},
            documents=data.get("documents") or [],
        )
        if problems:
            raise ValidationError(problems)
        return data


@admin.register(IntegrationVersion)
class IntegrationVersionAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ("service", "version", "mode", "agency_system", "is_current", "created_at")
    list_filter = ("mode", "is_current")
    list_select_related = ("service", "agency_system")
    search_fields = ("service__slug", "service__name_th")
    autocomplete_fields = ("service",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        published = services.publish_integration(
            obj.service,
            mode=obj.mode,
            agency_system=obj.agency_system,
            endpoint_url=obj.endpoint_url,
            field_mapping=obj.field_mapping,
            documents=obj.documents,
            note=obj.note,
            by=request.user,
        )
        obj.pk, obj.version, obj._state.adding = published.pk, published.version, False
