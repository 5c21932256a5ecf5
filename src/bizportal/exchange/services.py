"""Changing consents: granted and revoked only here, each change audited and kept as a
:class:`ConsentEvent` with what the consent said then."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from bizportal.catalog.models import Agency
from bizportal.core import audit

from .models import Consent, ConsentEvent, DataService


class ConsentError(ValueError):
    """A consent that cannot be given or changed as asked (bilingual message)."""


@transaction.atomic
def grant_consent(
    *,
    subject_id: str,
    agency: Agency,
    data_service: DataService,
    fields: list[str],
    purpose_th: str,
    purpose_en: str = "",
    notice_th: str,
    expires_at: Any = None,
    by: Any = None,
) -> Consent:
    """Record a person's consent for ``agency`` to obtain ``fields`` of ``data_service``."""
    unknown = set(fields) - set(data_service.field_names())
    if not fields or unknown:
        raise ConsentError(
            "ความยินยอมต้องระบุข้อมูลที่บริการข้อมูลนี้มี / "
            f"a consent must name fields this data service holds (unknown: {sorted(unknown)})"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ConsentError("วันหมดอายุต้องอยู่ในอนาคต / the expiry must be in the future")
    consent = Consent.objects.create(
        subject_id=subject_id,
        agency=agency,
        data_service=data_service,
        fields=sorted(set(fields)),
        purpose_th=purpose_th,
        purpose_en=purpose_en,
        notice_th=notice_th,
        expires_at=expires_at,
    )
    _event(consent, ConsentEvent.Action.GRANTED, by)
    audit.record(
        "exchange.consent_granted",
        consent,
        actor=by,
        agency=agency.code,
        data_service=data_service.code,
        fields=consent.fields,
    )
    return consent


@transaction.atomic
def revoke_consent(consent: Consent, *, by: Any = None) -> Consent:
    """Withdraw a consent; the gateway refuses the next request that relied on it."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.revoked_at is not None:
        raise ConsentError("ความยินยอมนี้ถูกถอนแล้ว / this consent is already revoked")
    consent.revoked_at = timezone.now()
    consent.version += 1
    consent.save(update_fields=["revoked_at", "version"])
    _event(consent, ConsentEvent.Action.REVOKED, by)
    audit.record("exchange.consent_revoked", consent, actor=by)
    return consent


def _event(consent: Consent, action: str, by: Any) -> None:
    snapshot = model_to_dict(consent, exclude=["id"])
    snapshot = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in snapshot.items()}
    snapshot["public_id"] = str(consent.public_id)
    ConsentEvent.objects.create(
        consent=consent, action=action, by=by, version=consent.version, snapshot=snapshot
    )
