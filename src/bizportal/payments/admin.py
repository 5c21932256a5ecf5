"""Read-only admin views: money records are changed by services, never by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from bizportal.core.admin import AuditedReadsAdmin

from .models import Invoice, PaymentEvent, Receipt


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


@admin.register(Receipt)
class ReceiptAdmin(ReadOnly):
    list_display = ("number", "invoice", "issued_at", "sha256")
    search_fields = ("number",)
