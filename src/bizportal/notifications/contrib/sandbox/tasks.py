"""The sandbox SMS gateway's background work: posting delivery receipts."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_sms_receipt(message_id: str) -> str:
    return services.deliver_receipt(message_id).receipt
