"""Clients are registered by platform administrators (``federation.manage_client``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from bizportal.core.admin import AuditedReadsAdmin

from . import services
from .models import FederatedClient, SystemUserApproval


@admin.register(FederatedClient)
class FederatedClientAdmin(AuditedReadsAdmin):
    list_display = ("client_id", "name", "kind", "agency", "vendor", "active")
    list_filter = ("kind", "active")
    search_fields = ("client_id", "name")
    filter_horizontal = ("requested_services",)
    readonly_fields = ("system_user",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.save_client(obj, actor=request.user)


@admin.register(SystemUserApproval)
class SystemUserApprovalAdmin(AuditedReadsAdmin):
    """Read only: approvals are given and revoked by the company's directors."""

    list_display = ("client", "company", "approved_at", "revoked_at")
    readonly_fields = [f.name for f in SystemUserApproval._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
