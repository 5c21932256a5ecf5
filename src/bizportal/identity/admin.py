"""Admin for portal accounts (entrepreneurs, officers, administrators)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin

from .models import User


@admin.register(User)
class UserAdmin(AuditedReadsAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "agency", "identity_assurance", "is_active")
    list_filter = ("role", "agency", "is_active", "is_staff")
    search_fields = ("username", "full_name_th", "full_name_en", "email", "citizen_id")
    readonly_fields = ("public_id", "last_login", "date_joined", "identity_assurance")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            "Biz Portal",
            {
                "fields": (
                    "public_id",
                    "role",
                    "agency",
                    "citizen_id",
                    "full_name_th",
                    "full_name_en",
                    "phone",
                    "birth_date",
                    "address",
                    "identity_assurance",
                )
            },
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Biz Portal", {"fields": ("role", "agency", "full_name_th", "full_name_en", "email")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The admin view's transaction covers the change and its record.
        audit.record(
            "identity.user_saved",
            obj,
            actor=request.user,
            created=not change,
            fields=sorted(getattr(form, "changed_data", [])),
        )
