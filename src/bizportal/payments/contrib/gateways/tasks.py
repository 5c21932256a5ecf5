"""Background work of the sandbox gateways."""

from __future__ import annotations

from django_tasks import task


@task()
def send_gateway_webhook(charge_id: str) -> str:
    """Notify the merchant of a decided charge over HTTP; returns the delivery status."""
    from .services import deliver_webhook

    return deliver_webhook(charge_id).webhook_status
