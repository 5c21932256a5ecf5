"""Admin for the sandbox provider's people (the provider's own staff view)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin

from . import switches
from .models import ProviderSwitch, SandboxIdentity


class SandboxIdentityForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Leave empty to keep the current password.",
    )
    reset_totp = forms.BooleanField(
        required=False,
        label="Reset TOTP",
        help_text="Forget the authenticator app: the person enrols again at the next AAL2 sign-in.",
    )

    class Meta:
        model = SandboxIdentity
        fields = (
            "person_kind",
            "citizen_id",
            "passport_no",
            "nationality",
            "title_th",
            "given_name_th",
            "family_name_th",
            "title_en",
            "given_name_en",
            "family_name_en",
            "email",
            "ial",
            "is_active",
        )


@admin.register(SandboxIdentity)
class SandboxIdentityAdmin(AuditedReadsAdmin):
    form = SandboxIdentityForm
    list_display = ("citizen_id", "passport_no", "name_th", "name_en", "ial", "is_active")
    list_filter = ("person_kind", "ial", "is_active")
    search_fields = (
        "citizen_id",
        "passport_no",
        "given_name_th",
        "family_name_th",
        "given_name_en",
        "family_name_en",
    )
    readonly_fields = ("subject", "created_at")

    def save_model(
        self, request: HttpRequest, obj: SandboxIdentity, form: forms.ModelForm, change: bool
    ) -> None:
        if form.cleaned_data.get("new_password"):
            obj.set_password(form.cleaned_data["new_password"])
        elif not change:
            obj.password = "!"  # noqa: S105 - no password yet: nobody can sign in as this identity
        if form.cleaned_data.get("reset_totp"):
            obj.totp_secret = ""
        super().save_model(request, obj, form, change)
        # The admin view runs in a transaction: the record commits with the change.
        audit.record(
            "sandbox_idp.identity_saved",
            obj,
            actor=request.user,
            created=not change,
            password_changed=bool(form.cleaned_data.get("new_password")),
            totp_reset=bool(form.cleaned_data.get("reset_totp")),
        )


@admin.register(ProviderSwitch)
class ProviderSwitchAdmin(AuditedReadsAdmin):
    """Stop and start the sandbox providers (a stopped one answers 503)."""

    list_display = ("provider", "stopped", "changed_at")
    readonly_fields = ("provider", "stopped", "changed_at")
    actions = ("stop", "start")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Stop the selected providers (they answer 503)")
    def stop(self, request: HttpRequest, queryset: Any) -> None:
        for switch in queryset:
            switches.set_stopped(switch.provider, stopped=True, by=request.user.get_username())

    @admin.action(description="Start the selected providers")
    def start(self, request: HttpRequest, queryset: Any) -> None:
        for switch in queryset:
            switches.set_stopped(switch.provider, stopped=False, by=request.user.get_username())
