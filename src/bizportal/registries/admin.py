"""Admin for the sandbox registries, so testers can add people, companies, taxpayers
and factory licences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin

from .models import SandboxFactoryLicence, SandboxJuristicPerson, SandboxPerson, SandboxTaxpayer


class AuditedAdmin(AuditedReadsAdmin):
    """Admin edits are state changes too; the admin view's transaction covers both."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record("registries.record_saved", obj, actor=request.user, created=not change)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        audit.record("registries.record_deleted", obj, actor=request.user)
        super().delete_model(request, obj)


@admin.register(SandboxPerson)
class SandboxPersonAdmin(AuditedAdmin):
    list_display = ("citizen_id", "__str__", "province", "birth_date")
    search_fields = ("citizen_id", "first_name_th", "last_name_th", "first_name_en", "last_name_en")


@admin.register(SandboxJuristicPerson)
class SandboxJuristicPersonAdmin(AuditedAdmin):
    list_display = ("juristic_id", "name_th", "status", "province")
    list_filter = ("status",)
    search_fields = ("juristic_id", "name_th", "name_en")


@admin.register(SandboxTaxpayer)
class SandboxTaxpayerAdmin(AuditedAdmin):
    list_display = ("taxpayer_id", "name_th", "status", "vat_registered", "branch_code")
    list_filter = ("status", "vat_registered")
    search_fields = ("taxpayer_id", "name_th", "vat_registration_number")


@admin.register(SandboxFactoryLicence)
class SandboxFactoryLicenceAdmin(AuditedAdmin):
    list_display = ("licence_number", "factory_name", "owner_id", "status", "province")
    list_filter = ("status",)
    search_fields = ("licence_number", "owner_id", "factory_name")
