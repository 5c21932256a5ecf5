"""Writing the audit trail.

Call :func:`record` inside the transaction of the change it describes, so the change
and its record commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent


def record(
    action: str,
    target: models.Model | tuple[str, str],
    *,
    actor: Any = None,
    actor_label: str = "",
    on_behalf_of: str = "",
    mandate: str = "",
    **data: Any,
) -> AuditEvent:
    """Append one event. ``target`` is a model instance or an ``(type, id)`` pair.

    ``on_behalf_of`` (a party key) and ``mandate`` (a mandate's public id) say for whom
    the actor acted, so that both the delegate and the represented party can list every
    act done under a mandate.
    """
    if isinstance(target, tuple):
        object_type, object_id = target
    else:
        object_type = target._meta.label_lower
        object_id = str(getattr(target, "public_id", None) or target.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor=user,
        actor_label=actor_label or (str(user) if user else "system"),
        on_behalf_of=on_behalf_of,
        mandate=mandate,
        data=data,
    )


def history(target: models.Model) -> models.QuerySet[AuditEvent]:
    object_id = str(getattr(target, "public_id", None) or target.pk)
    return AuditEvent.objects.filter(
        object_type=target._meta.label_lower, object_id=object_id
    ).select_related("actor")
