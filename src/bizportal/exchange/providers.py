"""Provider connectors: how the gateway reaches the system that answers a data service.

A typed registry (one plugin per provider system, ``DataService.connector`` names it),
so a production connector replaces a sandbox one without touching the gateway. Each
returns the subject's record as a flat ``{field: value}`` dict; the gateway filters it.
The two registries are real HTTP services (``registries``) with their own credentials.
"""

from __future__ import annotations

from typing import Any, Protocol

from bizportal.core.registry import Registry
from bizportal.registries import client


class ProviderUnavailable(Exception):
    """The provider did not answer (network, timeout, refused our credentials)."""


class NoSuchRecord(Exception):
    """The provider answered that it holds nothing about the subject."""


class Provider(Protocol):
    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]: ...


providers: Registry[Provider] = Registry("exchange provider")


def _translated(call: Any) -> Any:
    try:
        return call()
    except client.RecordNotFound as error:
        raise NoSuchRecord(str(error)) from error
    except client.RegistryUnavailable as error:
        raise ProviderUnavailable(str(error)) from error


@providers.register("civil_registry")
class CivilRegistry:
    """The Department of Provincial Administration's civil registry (ทะเบียนราษฎร)."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        person = _translated(lambda: client.fetch_person(subject_id, actor=actor, purpose=purpose))
        return {
            "citizen_id": person.citizen_id,
            "full_name_th": person.full_name_th,
            "full_name_en": person.full_name_en,
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "address": person.address,
        }


@providers.register("juristic_registry")
class JuristicRegistry:
    """The Department of Business Development's juristic-person registry."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        company = _translated(
            lambda: client.fetch_juristic_person(subject_id, actor=actor, purpose=purpose)
        )
        return {
            "juristic_id": company.juristic_id,
            "name_th": company.name_th,
            "name_en": company.name_en,
            "juristic_type": company.juristic_type,
            "registration_date": (
                company.registration_date.isoformat() if company.registration_date else ""
            ),
            "status": company.status,
            "registered_address": company.registered_address,
            "director_citizen_ids": list(company.director_citizen_ids),
            "signing_rule": company.signing_rule,
        }
