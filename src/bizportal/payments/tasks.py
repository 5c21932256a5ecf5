"""Background work of the payments app."""

from __future__ import annotations

from django_tasks import task


@task()
def send_refund(refund_id: int) -> str:
    """Order an approved refund from its provider over HTTP; returns the refund's state."""
    from .refunds import send_refund as send

    return send(refund_id).state
