"""Operators publish data services and record agencies' missions here. Consents and the
message log are not edited in the admin: consents change through the person's account
(and ``exchange.services``), the log only grows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from bizportal.core.admin import AgencyScopedAdmin

from . import services
from .models import AgencySystem, DataService, DocumentSource, MissionRule, SharingAgreement


@admin.register(DataService)
class DataServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name_th", "provider", "version", "connector", "is_active")
    list_filter = ("is_active", "subject_kind", "provider")
    search_fields = ("code", "name_th", "name_en")


@admin.register(MissionRule)
class MissionRuleAdmin(admin.ModelAdmin):
    list_display = (
        "agency",
        "data_service",
        "service",
        "step",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_filter = ("is_active", "agency", "data_service")
    autocomplete_fields = ("service",)


@admin.register(SharingAgreement)
class SharingAgreementAdmin(admin.ModelAdmin):
    """Platform staff keep the signed agreements here; the DPO's record of processing
    (``/backoffice/privacy/ropa.xlsx``) lists them."""

    list_display = (
        "reference",
        "consumer",
        "data_service",
        "retention_days",
        "valid_from",
        "valid_until",
        "is_active",
    )
    list_filter = ("is_active", "consumer", "data_service")
    search_fields = ("reference", "purpose_th", "purpose_en")


@admin.register(DocumentSource)
class DocumentSourceAdmin(admin.ModelAdmin):
    """Declare a service's required document as fetched from a data service (once only)."""

    list_display = ("document", "data_service")
    list_filter = ("data_service",)
    list_select_related = ("document__service", "data_service")
    raw_id_fields = ("document",)


@admin.register(AgencySystem)
class AgencySystemAdmin(AgencyScopedAdmin):
    """Agency systems and their OAuth2 clients: the secret is shown once, when the
    system is registered or its secret rotated, and stored only hashed. An agency's
    IT staff register, rotate and switch off their own agency's systems only."""

    agency_permission = "exchange.manage_systems"
    agency_choices = {"agency": "pk"}

    list_display = ("code", "agency", "name_th", "client_id", "is_active", "created_at")
    list_filter = ("is_active", "agency")
    search_fields = ("code", "name_th", "name_en")
    readonly_fields = ("client_id", "created_at")
    fields = ("code", "agency", "name_th", "name_en", "scopes", "is_active", "client_id")
    actions = ("rotate_secrets",)

    @admin.display(description="client_id")
    def client_id(self, system: AgencySystem) -> str:
        return system.client.client_id if system.client_id else "—"

    def save_model(self, request: HttpRequest, obj: AgencySystem, form: Any, change: bool) -> None:
        if change:
            active = obj.is_active
            super().save_model(request, obj, form, change)
            services.set_agency_system_active(obj, active, by=request.user)
            return
        system, secret = services.register_agency_system(
            code=obj.code,
            agency=obj.agency,
            name_th=obj.name_th,
            name_en=obj.name_en,
            scopes=list(obj.scopes),
            by=request.user,
        )
        obj.pk, obj.client_id, obj._state.adding = system.pk, system.client_id, False
        self._show_secret(request, system, secret)

    @admin.action(description=_("Rotate the client secret"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[AgencySystem]) -> None:
        for system in queryset.select_related("client"):
            self._show_secret(request, system, services.rotate_secret(system, by=request.user))

    def _show_secret(self, request: HttpRequest, system: AgencySystem, secret: str) -> None:
        messages.warning(
            request,
            f"{system.code}: client_id {system.client.client_id} · client_secret {secret} — "
            + _("copy it now, it is not shown again"),
        )


# OAuth2 clients are agency systems here: registered, rotated and switched off above,
# never edited raw (a raw edit could widen a client past its agency system's scopes).
for _model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
