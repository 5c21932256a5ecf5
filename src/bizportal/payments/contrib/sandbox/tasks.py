"""Background work of the sandbox bank."""

from __future__ import annotations

from django_tasks import task


@task()
def send_webhook(txn_id: str) -> str:
    """Notify the biller of a payment over HTTP; returns the delivery status."""
    from .services import deliver_webhook

    return deliver_webhook(txn_id).webhook_status
