"""Background work of the notifications app: one attempt at one delivery."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_delivery_task(delivery_id: int) -> str:
    """Enqueued after the delivery's row commits; retries come from the sweeper."""
    delivery = services.send_delivery(delivery_id)
    return delivery.status if delivery is not None else "skipped"
