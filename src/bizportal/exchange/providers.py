"""Provider connectors: how the gateway reaches the system that answers a data service.

A typed registry (one plugin per provider system, ``DataService.connector`` names it),
so a production connector replaces a sandbox one without touching the gateway. Each
returns the subject's record as a flat ``{field: value}`` dict; the gateway filters it.
The registries (civil, juristic, Revenue Department, DIW factory licences) are real HTTP
services (``registries``), each with its own credentials. The registry client does not
audit these reads: the gateway's signed message log is their record (one access, one
record, and no second hash chain to lock on every request).
"""

from __future__ import annotations

from typing import Any, Protocol

from bizportal.core.registry import Registry
from bizportal.core.thai import validate_taxpayer_id
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
    """The Department of Provincial Administration's civil registry (ทะเบียนราษฎร).

    The name comes whole and in parts: a licence prints the full name, while an account
    made at sign-in or at the counter keeps title, first and last name apart."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        person = _translated(
            lambda: client.fetch_person(subject_id, actor=actor, purpose=purpose, audited=False)
        )
        return {
            "citizen_id": person.citizen_id,
            "full_name_th": person.full_name_th,
            "full_name_en": person.full_name_en,
            "title_th": person.title_th,
            "first_name_th": person.first_name_th,
            "last_name_th": person.last_name_th,
            "title_en": person.title_en,
            "first_name_en": person.first_name_en,
            "last_name_en": person.last_name_en,
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "address": person.address,
        }


@providers.register("juristic_registry")
class JuristicRegistry:
    """The Department of Business Development's juristic-person registry."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        company = _translated(
            lambda: client.fetch_juristic_person(
                subject_id, actor=actor, purpose=purpose, audited=False
            )
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


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


@providers.register("revenue_tax_status")
class RevenueTaxStatus:
    """The Revenue Department's taxpayer registration (กรมสรรพากร): evidence that an
    applicant is a registered, active taxpayer and whether it charges VAT."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        tax = _translated(
            lambda: client.fetch_tax_status(subject_id, actor=actor, purpose=purpose, audited=False)
        )
        return {
            "taxpayer_id": tax.taxpayer_id,
            "name_th": tax.name_th,
            "taxpayer_status": tax.taxpayer_status,
            "vat_registered": tax.vat_registered,
            "vat_registration_number": tax.vat_registration_number,
            "vat_registered_since": _iso(tax.vat_registered_since),
            "branch_code": tax.branch_code,
        }


@providers.register("diw_factory_licence")
class DiwFactoryLicence:
    """The Department of Industrial Works' factory licences (ร.ง.4) of an owner.

    ``has_valid_licence`` lets a mission rule grant the yes/no a licensing step needs
    without the list of factories and their addresses."""

    def fetch(self, subject_id: str, *, actor: Any, purpose: str) -> dict[str, Any]:
        licences = _translated(
            lambda: client.factory_licences_of(
                subject_id, actor=actor, purpose=purpose, audited=False
            )
        )
        return {
            "owner_id": validate_taxpayer_id(subject_id),
            "has_valid_licence": any(lic.status == "valid" for lic in licences),
            "licences": [
                {
                    "licence_number": lic.licence_number,
                    "factory_name": lic.factory_name,
                    "factory_type_code": lic.factory_type_code,
                    "factory_type_th": lic.factory_type_th,
                    "status": lic.status,
                    "issued_on": _iso(lic.issued_on),
                    "expires_on": _iso(lic.expires_on),
                    "province": lic.factory_address.get("province", ""),
                    "factory_address": lic.factory_address,
                }
                for lic in licences
            ],
        }
