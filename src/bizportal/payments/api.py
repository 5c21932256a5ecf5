"""Payments API: an applicant reads their invoice and the Thai QR payload to pay it.

Only the owner of the application reaches it; for anyone else it is 404
problem+json, like the pages.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bizportal.core import audit

from . import selectors, services
from .models import Invoice, Receipt
from .providers import PaymentInstruction


class ReceiptSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ["id", "number", "issued_at", "sha256", "pdf_url"]

    def get_pdf_url(self, receipt: Receipt) -> str:
        return reverse("payments:receipt-pdf", args=[receipt.public_id])


class ChannelSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One way to pay an unpaid invoice, as the pay page offers it."""

    channel = serializers.CharField(help_text="provider plugin identifier, e.g. sandbox_card")
    name = serializers.CharField(help_text="the channel as the pay page names it")
    qr_payload = serializers.CharField(allow_blank=True, help_text="EMVCo payload, if a QR")
    pay_url = serializers.CharField(allow_blank=True, help_text="link to pay, if any")


class InvoiceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    application = serializers.CharField(source="application.reference", read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    qr_payload = serializers.SerializerMethodField(
        help_text="Thai QR bill payment payload (EMVCo), while unpaid"
    )
    pay_url = serializers.SerializerMethodField(help_text="where the payer can pay, while unpaid")
    channels = serializers.SerializerMethodField(
        help_text="every channel the service accepts, while unpaid (the first is the default)"
    )
    receipt = serializers.SerializerMethodField()
    state = serializers.ChoiceField(
        source="shown_state",
        read_only=True,
        choices=["pending", "paid", "cancelled", "expired", "superseded"],
        help_text="status, or superseded once a re-issue replaced it",
    )
    replaces = serializers.SerializerMethodField(help_text="the replaced invoice's number")
    replaced_by = serializers.SerializerMethodField(help_text="the re-issued invoice's number")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "application",
            "amount",
            "lines",
            "currency",
            "status",
            "state",
            "stage",
            "expires_at",
            "replaces",
            "replaced_by",
            "ref1",
            "ref2",
            "created_at",
            "paid_at",
            "qr_payload",
            "pay_url",
            "channels",
            "receipt",
        ]

    def _instruction(self, invoice: Invoice) -> PaymentInstruction | None:
        """Built once per invoice: the payload and the link come from the same QR."""
        if invoice.status != Invoice.Status.PENDING:
            return None
        cache: dict[int, PaymentInstruction] = self.__dict__.setdefault("_instructions", {})
        if invoice.pk not in cache:
            cache[invoice.pk] = services.instruction(invoice)
        return cache[invoice.pk]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_qr_payload(self, invoice: Invoice) -> str | None:
        how = self._instruction(invoice)
        return how.qr_payload if how else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pay_url(self, invoice: Invoice) -> str | None:
        how = self._instruction(invoice)
        return how.pay_url if how else None

    @extend_schema_field(ChannelSerializer(many=True))
    def get_channels(self, invoice: Invoice) -> list[dict[str, str]]:
        if invoice.status != Invoice.Status.PENDING:
            return []
        channels = []
        for name, provider in services.accepted_channels(invoice.application.service):
            how = services.instruction(invoice, channel=name)
            channels.append(
                {
                    "channel": name,
                    "name": str(provider.label),
                    "qr_payload": how.qr_payload,
                    "pay_url": how.pay_url,
                }
            )
        return channels

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_replaces(self, invoice: Invoice) -> str | None:
        return invoice.replaces.number if invoice.replaces is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_replaced_by(self, invoice: Invoice) -> str | None:
        replacement = invoice.replacement
        return replacement.number if replacement is not None else None

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, invoice: Invoice) -> dict[str, Any] | None:
        receipt = getattr(invoice, "receipt", None) if invoice.is_paid else None
        return ReceiptSerializer(receipt).data if receipt else None


class InvoiceDetail(audit.AuditedReadMixin, APIView):
    audit_read_action = "invoice.viewed"
    audit_read_type = "payments.invoice"

    @extend_schema(
        operation_id="payments_invoice_retrieve",
        summary="An invoice of mine, with its Thai QR payload",
        responses={
            200: InvoiceSerializer,
            404: OpenApiResponse(description="not yours or not found"),
        },
        tags=["payments"],
    )
    def get(self, request: Request, public_id: Any) -> Response:
        invoice = selectors.invoice_of(request.user, public_id)
        return Response(InvoiceSerializer(invoice).data)


class InvoiceReissue(APIView):
    @extend_schema(
        operation_id="payments_invoice_reissue",
        summary="Replace my expired or cancelled invoice with a new one",
        request=None,
        responses={
            201: InvoiceSerializer,
            400: OpenApiResponse(
                description="not expired or cancelled, already re-issued, or the "
                "application no longer waits for payment (problem+json)"
            ),
            404: OpenApiResponse(description="not yours or not found"),
        },
        tags=["payments"],
    )
    def post(self, request: Request, public_id: Any) -> Response:
        invoice = selectors.invoice_of(request.user, public_id)
        new = services.reissue_invoice(invoice, actor=request.user)
        return Response(InvoiceSerializer(new).data, status=201)


urlpatterns = [
    path("invoices/<uuid:public_id>/", InvoiceDetail.as_view(), name="api-invoice"),
    path(
        "invoices/<uuid:public_id>/reissue/", InvoiceReissue.as_view(), name="api-invoice-reissue"
    ),
]
