"""What one kind of application to a service consists of: form, documents, fee, process.

Why here: the fallbacks ("a renewal uses the service's form unless it has its own")
are catalogue policy, and every reader (the application journey, the service page,
the API) must apply them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from bizportal.core.templatetags.thai import pick

from .models import ApplicationKind, ApplicationType, RequiredDocument, Service

DEFAULT_PROCESS = "standard_licence"
DEFAULT_CANCEL_PROCESS = "licence_cancellation"
DEFAULT_RENEW_OPENS_DAYS_BEFORE = 90
DEFAULT_RENEW_LATE_DAYS = 30

#: The form a cancellation asks when its service configures none: why, and a confirmation.
CANCEL_FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "reason": {"type": "string", "minLength": 5, "maxLength": 1000},
        "confirm": {"type": "boolean", "const": True},
    },
    "required": ["reason", "confirm"],
}
CANCEL_UI_SCHEMA: dict[str, Any] = {
    "order": ["reason", "confirm"],
    "fields": {
        "reason": {
            "label_th": "เหตุผลที่ขอยกเลิกใบอนุญาต",
            "label_en": "Why do you want to cancel the licence?",
            "widget": "textarea",
            "help_th": "เช่น เลิกกิจการ ย้ายสถานที่ หรือโอนกิจการ",
            "help_en": "For example: the business closed, moved or was sold",
        },
        "confirm": {
            "label_th": "ข้าพเจ้าเข้าใจว่าเมื่อยกเลิกแล้ว ใบอนุญาตนี้จะใช้ไม่ได้อีกและยกเลิกคืนไม่ได้",
            "label_en": "I understand that once cancelled the licence can no longer be used "
            "and the cancellation cannot be undone",
            "widget": "checkbox",
        },
    },
}


@dataclass(frozen=True)
class ServiceBundle:
    """Everything an application of ``kind`` to ``service`` uses, fallbacks applied."""

    service: Service
    kind: str
    form_schema: dict[str, Any]
    ui_schema: dict[str, Any]
    documents: tuple[RequiredDocument, ...]
    process_id: str
    fee_table: str
    renew_opens_days_before: int
    renew_late_days: int


class KindNotOffered(Exception):
    """The service does not take applications of this kind; ``str()`` is bilingual."""


def offered_kinds(service: Service) -> list[str]:
    """The kinds of application the service takes on Biz Portal, in the order people meet
    them: none for a service applied for at the agency (its page says where)."""
    if not service.applies_on_portal:
        return []
    rows = {row.kind: row for row in service.application_types.all()}
    return [
        kind
        for kind in ApplicationKind.values
        if (rows[kind].enabled if kind in rows else kind == ApplicationKind.NEW)
    ]


def bundle(service: Service, kind: str, *, offered_only: bool = True) -> ServiceBundle:
    """The form, documents, fee table and process of ``kind`` for ``service``.

    ``offered_only=False`` reads the bundle of an application already in flight, which
    finishes even if the service stopped offering its kind meanwhile.
    """
    if offered_only and not service.applies_on_portal:
        raise KindNotOffered(
            _("%(service)s is not applied for on Biz Portal; apply through the agency: %(note)s")
            % {"service": pick(service, "name"), "note": pick(service, "channel_note")}
        )
    if kind not in ApplicationKind.values or (offered_only and kind not in offered_kinds(service)):
        label = ApplicationKind(kind).label if kind in ApplicationKind.values else kind
        raise KindNotOffered(
            _("%(service)s does not take this kind of application (%(kind)s)")
            % {"service": pick(service, "name"), "kind": label}
        )
    row = next((r for r in service.application_types.all() if r.kind == kind), None)
    form_schema, ui_schema = _form(service, kind, row)
    return ServiceBundle(
        service=service,
        kind=kind,
        form_schema=form_schema,
        ui_schema=ui_schema,
        documents=_documents(service, kind, row),
        process_id=_process(service, kind, row),
        fee_table=(row.fee_table if row and row.fee_table else service.fee_table),
        renew_opens_days_before=(
            row.renew_opens_days_before if row else DEFAULT_RENEW_OPENS_DAYS_BEFORE
        ),
        renew_late_days=row.renew_late_days if row else DEFAULT_RENEW_LATE_DAYS,
    )


def _form(
    service: Service, kind: str, row: ApplicationType | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    if row is not None and row.form_schema:
        return row.form_schema, row.ui_schema or {}
    if kind == ApplicationKind.CANCEL:
        return CANCEL_FORM_SCHEMA, CANCEL_UI_SCHEMA
    return service.form_schema, service.ui_schema


def _documents(
    service: Service, kind: str, row: ApplicationType | None
) -> tuple[RequiredDocument, ...]:
    own = row is not None and row.own_documents
    if kind == ApplicationKind.CANCEL and row is None:
        own = True
    wanted = kind if own else ""
    return tuple(d for d in service.documents.all() if d.kind == wanted)


def _process(service: Service, kind: str, row: ApplicationType | None) -> str:
    if row is not None and row.process_id:
        return row.process_id
    if kind == ApplicationKind.CANCEL:
        return DEFAULT_CANCEL_PROCESS
    return service.process_id or DEFAULT_PROCESS
