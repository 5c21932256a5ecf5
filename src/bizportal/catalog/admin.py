"""Configuration screens for the catalogue (system admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from jsonschema.exceptions import SchemaError

from bizportal.core import audit
from bizportal.forms.validation import check_schema

from . import selectors
from .manual import ManualError, check_service
from .models import (
    Agency,
    ApplicationType,
    Category,
    HarvestRecord,
    HarvestRun,
    RequiredDocument,
    Service,
    ServiceCategory,
    Synonym,
)
from .search import forget_synonyms
from .services import refresh_search_text, save_synonyms


class ForgetsCachedCounts(admin.ModelAdmin):
    """Browse counts and filter options are cached: an admin's change drops them."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        transaction.on_commit(selectors.forget_cached)

    def delete_model(self, request: Any, obj: Any) -> None:
        super().delete_model(request, obj)
        transaction.on_commit(selectors.forget_cached)


@admin.register(Agency)
class AgencyAdmin(ForgetsCachedCounts):
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


@admin.register(Category)
class CategoryAdmin(ForgetsCachedCounts):
    """Target groups, lifecycle stages and TSIC industries. The shipped ones are kept in
    step with ``catalog/reference.py`` after every migrate; admins may add target groups."""

    list_display = ("kind", "code", "name_th", "name_en", "parent", "order")
    list_filter = ("kind",)
    search_fields = ("code", "name_th", "name_en")
    list_select_related = ("parent",)


class ServiceCategoryInline(admin.TabularInline):
    model = ServiceCategory
    extra = 0
    autocomplete_fields = ("category",)
    verbose_name = _("category")
    verbose_name_plural = _("categories")


class ServiceForm(forms.ModelForm):
    """The citizen-manual checks of every writer, as form errors on the field concerned.
    (The admin supplies the model and fields.)"""

    apply_url = forms.URLField(required=False, assume_scheme="https")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = Service(
            **{
                name: data[name]
                for name in MANUAL_FIELDS
                if name in data and data[name] is not None
            }
        )
        try:
            check_service(candidate)
        except ManualError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, str(error))
        return data


MANUAL_FIELDS = (
    "legal_basis",
    "steps",
    "processing_days",
    "fee_items",
    "channel",
    "fee_table",
    "apply_url",
    "form_schema",
)


@admin.register(Service)
class ServiceAdmin(ForgetsCachedCounts):
    form = ServiceForm
    list_display = (
        "slug",
        "name_th",
        "agency",
        "channel",
        "processing_days",
        "fee_table",
        "is_published",
    )
    list_filter = ("agency", "channel", "service_kind", "is_published")
    search_fields = ("slug", "name_th", "name_en", "manual_code")
    inlines = [ApplicationTypeInline, RequiredDocumentInline, ServiceCategoryInline]

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


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """Synonym rings for search: catalogue managers add the words people really type."""

    list_display = ("__str__", "note", "updated_at")
    search_fields = ("words", "note")

    def save_model(self, request: Any, obj: Synonym, form: Any, change: bool) -> None:
        save_synonyms(obj.members(), note=obj.note, ring=obj)

    def delete_model(self, request: Any, obj: Synonym) -> None:
        super().delete_model(request, obj)
        audit.record("catalog.synonyms_deleted", obj, actor=request.user)
        forget_synonyms()


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
    fields = ("outcome", "uri", "title", "service", "changes", "errors", "warnings")
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
