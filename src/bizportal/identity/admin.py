"""Admin for portal accounts (entrepreneurs, officers, administrators)."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# Sign-in attempts (user names, addresses) and staff second-factor devices are personal
# data too: their third-party admin screens are re-registered with audited reads.
def _audited(model: type[Any], base: type[admin.ModelAdmin]) -> None:  # type: ignore[type-arg]
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{base.__name__}", (AuditedReadsAdmin, base), {}))


_audited(AccessAttempt, AccessAttemptAdmin)
_audited(AccessLog, AccessLogAdmin)
_audited(AccessFailureLog, AccessFailureLogAdmin)
_audited(TOTPDevice, TOTPDeviceAdmin)
