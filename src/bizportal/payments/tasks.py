"""Background work of payments."""

from __future__ import annotations

from django_tasks import task

from .models import Receipt


@task()
def render_receipt(receipt_public_id: str) -> str:
    """Render the receipt PDF after the payment committed; returns its SHA-256."""
    from .services import render_receipt_pdf

    receipt = render_receipt_pdf(Receipt.objects.get(public_id=receipt_public_id))
    return receipt.sha256
