"""Integration settings in the admin: a new version is published through
``integrations.services`` (every problem reported at once); published versions are
read-only, so what was forwarded under which settings can always be told."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from bizportal.core.admin import AgencyScopedAdmin, AuditedReadsAdmin, ReadOnlyAdmin

from . import forwarding, services
from .models import (
    Batch,
    Forwarding,
    ForwardingAttempt,
    ForwardingState,
    IntegrationVersion,
    StatusUpdate,
)


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
class IntegrationVersionAdmin(AgencyScopedAdmin):
    """An agency's IT staff publish their own agency's services' integrations only."""

    agency_permission = "integrations.manage"
    agency_path = "service__agency"
    agency_choices = {"service": "agency", "agency_system": "agency"}
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


class AttemptInline(admin.TabularInline):
    model = ForwardingAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "outcome", "status_code", "latency_ms", "response_excerpt")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UpdateInline(admin.TabularInline):
    model = StatusUpdate
    fk_name = "forwarding"
    extra = 0
    can_delete = False
    fields = ("sequence", "type", "outcome", "source", "received_at", "body")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Forwarding)
class ForwardingAdmin(AgencyScopedAdmin, AuditedReadsAdmin, ReadOnlyAdmin):
    """Every hand-over to an agency's system with its attempts and the updates that
    came back. Filter *undeliverable* is the dead-letter list; **Replay** sends the
    chosen ones again with a fresh set of attempts (after the cause was fixed). An
    agency's IT staff see and replay their own agency's only."""

    agency_permission = "integrations.manage"
    agency_path = "agency_system__agency"
    agency_may_edit = False

    list_display = (
        "application",
        "agency_system",
        "mode",
        "state",
        "attempts",
        "created_at",
        "delivered_at",
        "decision",
    )
    list_filter = ("state", "mode", "agency_system")
    list_select_related = ("application", "agency_system")
    search_fields = ("application__reference", "=public_id")
    inlines = (AttemptInline, UpdateInline)
    actions = ("replay",)
    exclude = ("package",)

    @admin.action(description=_("Replay the undeliverable forwardings chosen"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Forwarding]) -> None:
        replayed = 0
        for row in queryset.filter(state=ForwardingState.DEAD):
            forwarding.replay(row, by=request.user)
            replayed += 1
        skipped = queryset.count() - replayed
        message = ngettext("%(count)d replayed", "%(count)d replayed", replayed) % {
            "count": replayed
        }
        if skipped:
            message += "; " + ngettext(
                "%(count)d skipped (not undeliverable)",
                "%(count)d skipped (not undeliverable)",
                skipped,
            ) % {"count": skipped}
        self.message_user(request, message, messages.SUCCESS if replayed else messages.WARNING)


@admin.register(Batch)
class BatchAdmin(AgencyScopedAdmin, AuditedReadsAdmin, ReadOnlyAdmin):
    agency_permission = "integrations.manage"
    agency_path = "agency_system__agency"
    agency_may_edit = False
    list_display = ("agency_system", "day", "count", "created_at", "downloaded_at")
    list_filter = ("agency_system",)
    exclude = ("items_jsonl", "items_csv")
