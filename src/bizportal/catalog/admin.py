"""Configuration screens for the catalogue (system admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from jsonschema.exceptions import SchemaError

from bizportal.core import audit
from bizportal.forms.validation import check_schema

from .models import Agency, ApplicationType, HarvestRecord, HarvestRun, RequiredDocument, Service
from .services import refresh_search_text


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_th", "name_en", "ministry_th")
    search_fields = ("code", "name_th", "name_en")


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0


class ApplicationTypeForm(forms.ModelForm):
    class Meta:
        model = ApplicationType
        fields = [
            "kind",
            "enabled",
            "form_schema",
            "ui_schema",
            "own_documents",
            "process_id",
            "fee_table",
            "renew_opens_days_before",
            "renew_late_days",
        ]

    def clean_form_schema(self) -> Any:
        """A kind's own form is checked like the service's: never an invalid schema."""
        schema = self.cleaned_data.get("form_schema")
        if schema:
            try:
                check_schema(schema)
            except SchemaError as error:
                raise forms.ValidationError(error.message) from error
        return schema


class ApplicationTypeInline(admin.StackedInline):
    """New, amend, renew, cancel: what each kind uses where it differs from the service."""

    model = ApplicationType
    form = ApplicationTypeForm
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_th", "agency", "processing_days", "fee_table", "is_published")
    list_filter = ("agency", "is_published")
    search_fields = ("slug", "name_th", "name_en", "manual_code")
    inlines = [ApplicationTypeInline, RequiredDocumentInline]

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


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log: shown, never added, edited or deleted by hand."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class HarvestRecordInline(admin.TabularInline):
    model = HarvestRecord
    fields = ("outcome", "uri", "title", "service", "changes", "errors")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(HarvestRun)
class HarvestRunAdmin(ReadOnlyAdmin):
    """What each ``manage.py harvest_catalog`` run took in, and why it left records out."""

    list_display = (
        "started_at",
        "source",
        "status",
        "found",
        "created",
        "updated",
        "unchanged",
        "skipped",
    )
    list_filter = ("status",)
    search_fields = ("source",)
    inlines = [HarvestRecordInline]


@admin.register(HarvestRecord)
class HarvestRecordAdmin(ReadOnlyAdmin):
    """Every created, updated or skipped record: a harvested service's history."""

    list_display = ("run", "outcome", "uri", "service")
    list_filter = ("outcome",)
    search_fields = ("uri", "identifier", "title", "service__slug")
    list_select_related = ("run", "service")
    raw_id_fields = ("run", "service")
