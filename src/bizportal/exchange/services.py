"""Changing consents (granted and revoked only here, each change audited and kept as a
:class:`ConsentEvent` with what the consent said then) and agency systems' OAuth2
clients (registered and their secrets rotated only here)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import AccessToken, Application

from bizportal.catalog.models import Agency
from bizportal.core import audit

from .models import AgencySystem, Consent, ConsentEvent, DataService


class ConsentError(ValueError):
    """A consent that cannot be given or changed as asked (bilingual message)."""


class AgencySystemError(ValueError):
    """An agency system that cannot be registered as asked (bilingual message)."""


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
            _("a consent must name fields this data service holds (unknown: %(unknown)s)")
            % {"unknown": sorted(unknown)}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ConsentError(_("the expiry must be in the future"))
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
        raise ConsentError(_("this consent is already revoked"))
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


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def register_agency_system(
    *,
    code: str,
    agency: Agency,
    name_th: str,
    name_en: str = "",
    scopes: list[str],
    by: Any = None,
) -> tuple[AgencySystem, str]:
    """An OAuth2 client (client credentials) for one of ``agency``'s systems. Returns the
    system and its secret: shown once, stored only hashed."""
    offered = dict(getattr(settings, "OAUTH2_PROVIDER", {}).get("SCOPES", {}))
    unknown = set(scopes) - set(offered)
    if not scopes or unknown:
        raise AgencySystemError(
            _("name scopes the portal offers (unknown: %(unknown)s)") % {"unknown": sorted(unknown)}
        )
    secret = _new_secret()
    client = Application.objects.create(
        name=f"{agency.code}/{code}",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    system = AgencySystem.objects.create(
        code=code, agency=agency, name_th=name_th, name_en=name_en, client=client, scopes=scopes
    )
    audit.record(
        "exchange.agency_system_registered", system, actor=by, agency=agency.code, scopes=scopes
    )
    return system, secret


@transaction.atomic
def rotate_secret(system: AgencySystem, *, by: Any = None) -> str:
    """A new secret for ``system``; the old one and every token it obtained stop working."""
    secret = _new_secret()
    client = Application.objects.select_for_update().get(pk=system.client_id)
    client.client_secret = secret
    client.save(update_fields=["client_secret"])
    AccessToken.objects.filter(application=client).delete()
    audit.record("exchange.agency_system_secret_rotated", system, actor=by)
    return secret


@transaction.atomic
def set_agency_system_active(system: AgencySystem, active: bool, *, by: Any = None) -> None:
    """Switch a system on or off; switched off, its tokens stop working at once."""
    AgencySystem.objects.filter(pk=system.pk).update(is_active=active)
    if not active:
        AccessToken.objects.filter(application_id=system.client_id).delete()
    audit.record("exchange.agency_system_active", system, actor=by, active=active)
