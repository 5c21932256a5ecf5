"""Read-only admin views: money records are changed by services, never by hand."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bizportal.core import audit
from bizportal.core.admin import AuditedReadsAdmin

from .models import (
    Invoice,
    PaymentEvent,
    PaymentIssue,
    PaymentTerms,
    Receipt,
    Refund,
    ServicePaymentOptions,
    StatementImport,
    StatementLine,
)
from .providers import providers


class ReadOnly(AuditedReadsAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    list_display = ("number", "application", "amount", "status", "paid_at", "provider_txn_id")
    list_filter = ("status", "provider")
    search_fields = ("number", "ref1", "ref2", "provider_txn_id")


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnly):
    list_display = ("at", "provider", "signature_valid", "outcome", "provider_txn_id", "invoice")
    list_filter = ("provider", "outcome", "signature_valid")
    search_fields = ("provider_txn_id",)


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """How long each service's invoices stay payable (configuration, audited)."""

    list_display = ("service", "invoice_days")
    search_fields = ("service__slug", "service__name_th", "service__name_en")
    autocomplete_fields = ("service",)

    def get_actions(self, request: Any) -> dict[str, Any]:
        # Django's bulk delete bypasses delete_model (and so the audit trail).
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found

    def save_model(self, request: Any, obj: PaymentTerms, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "payments.terms_updated" if change else "payments.terms_created",
            obj,
            actor=request.user,
            service=obj.service.slug,
            invoice_days=obj.invoice_days,
        )

    def delete_model(self, request: Any, obj: PaymentTerms) -> None:
        audit.record("payments.terms_deleted", obj, actor=request.user, service=obj.service.slug)
        super().delete_model(request, obj)


@admin.register(Receipt)
class ReceiptAdmin(ReadOnly):
    list_display = ("number", "invoice", "issued_at", "sha256")
    search_fields = ("number",)


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ("requested_at", "invoice", "amount", "state", "number", "provider_reference")
    list_filter = ("state", "provider", "reason_code")
    search_fields = ("number", "provider_reference", "invoice__number")


class ReadOnlyNoPersonalData(admin.ModelAdmin):  # type: ignore[type-arg]
    """Bank statements: references and amounts, no personal data, so reads are not
    audited (tests/test_audit_reads.py lists them); still never changed by hand."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyNoPersonalData):
    list_display = ("imported_at", "filename", "format", "provider", "from_date", "to_date")
    list_filter = ("format", "provider")


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnlyNoPersonalData):
    list_display = ("statement", "line_no", "booked_on", "direction", "amount", "status")
    list_filter = ("status", "direction")
    search_fields = ("bank_reference", "ref1", "ref2")


@admin.register(PaymentIssue)
class PaymentIssueAdmin(ReadOnlyNoPersonalData):
    """Flagged payments (references and amounts, no names): handled by finance officers
    in the back office, seen here."""

    list_display = ("created_at", "kind", "state", "invoice", "amount", "provider_txn_id")
    list_filter = ("kind", "state", "provider")
    search_fields = ("provider_txn_id", "invoice__number")


def _channel_choices() -> list[tuple[str, str]]:
    """Installed channels; those the settings do not enable are marked, since a service
    may list them but they stay off until PAYMENT_PROVIDERS enables them."""
    return [
        (
            name,
            str(provider.label)
            if name in settings.PAYMENT_PROVIDERS
            else f"{provider.label} (off)",
        )
        for name, provider in providers
    ]


class ServicePaymentOptionsForm(forms.ModelForm):  # type: ignore[type-arg]
    channels = forms.MultipleChoiceField(
        choices=_channel_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Channels accepted (none ticked: every enabled channel)"),
    )

    class Meta:
        model = ServicePaymentOptions
        fields = ["service", "channels"]


@admin.register(ServicePaymentOptions)
class ServicePaymentOptionsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Which channels each service accepts: configuration, no personal data (listed in
    tests/test_audit_reads.py); every change is audited with the admin's transaction."""

    form = ServicePaymentOptionsForm
    list_display = ("service", "channels", "updated_at")
    autocomplete_fields = ("service",)

    def save_model(
        self, request: HttpRequest, obj: ServicePaymentOptions, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "payments.service_channels_saved",
            obj,
            actor=request.user,
            service=obj.service.slug,
            channels=list(obj.channels),
        )

    def delete_model(self, request: HttpRequest, obj: ServicePaymentOptions) -> None:
        audit.record("payments.service_channels_deleted", obj, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit.record("payments.service_channels_deleted", obj, actor=request.user)
        super().delete_queryset(request, queryset)
