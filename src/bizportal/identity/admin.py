"""Admin for portal accounts (entrepreneurs, officers, administrators)."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin

from . import services
from .models import IdentityConflict, IdentityLink, User


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


@admin.register(IdentityLink)
class IdentityLinkAdmin(AuditedReadsAdmin):
    """Which providers proved which account (read only: sign-ins write it)."""

    list_display = ("account", "provider", "ial", "aal", "first_signed_in_at", "last_signed_in_at")
    list_filter = ("provider",)
    search_fields = ("account__citizen_id", "account__full_name_th", "subject")
    readonly_fields = (
        "account",
        "provider",
        "subject",
        "ial",
        "aal",
        "claims",
        "first_signed_in_at",
        "last_signed_in_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IdentityConflict)
class IdentityConflictAdmin(AuditedReadsAdmin):
    """Sign-ins held because a provider contradicted another: accept the new link (the
    person can then sign in with it) or reject it (the provider stays refused)."""

    list_display = ("account", "provider", "known_provider", "differs", "status", "opened_at")
    list_filter = ("status", "provider")
    search_fields = ("account__citizen_id", "account__full_name_th")
    readonly_fields = tuple(f.name for f in IdentityConflict._meta.fields)
    actions = ("accept", "reject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Accept: link the provider to the account")
    def accept(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, accept=True)

    @admin.action(description="Reject: keep refusing this provider for the person")
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, accept=False)

    def _decide(self, request: HttpRequest, queryset: Any, *, accept: bool) -> None:
        for conflict in queryset:
            try:
                decided = services.resolve_identity_conflict(
                    conflict,
                    request.user,  # type: ignore[arg-type]  # the admin site: staff only
                    accept=accept,
                )
            except (services.PartyError, ValidationError) as error:
                self.message_user(request, f"{conflict}: {error}", level=messages.ERROR)
            else:
                self.message_user(request, f"{decided}: {decided.get_status_display()}")
