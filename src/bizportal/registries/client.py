"""Reading the civil, juristic-person, Revenue Department and DIW registries over HTTP.

Configured by ``CIVIL_REGISTRY_URL``/``CIVIL_REGISTRY_TOKEN``,
``JURISTIC_REGISTRY_URL``/``JURISTIC_REGISTRY_TOKEN``,
``REVENUE_REGISTRY_URL``/``REVENUE_REGISTRY_TOKEN`` and
``DIW_REGISTRY_URL``/``DIW_REGISTRY_TOKEN``; the defaults point at the sandbox
registries in this process, reached through the same HTTP path a real registry would be.
Every fetch, successful or not, is written to the audit trail: reading someone's
registry record is a personal-data access under the PDPA.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bizportal.core import audit
from bizportal.core.thai import validate_citizen_id, validate_juristic_id, validate_taxpayer_id

log = logging.getLogger(__name__)

#: (connect, read) seconds. A sign-in waits on this, so fail fast.
TIMEOUT = (3.05, 10)
ADDRESS_KEYS = ("house_no", "moo", "street", "subdistrict", "district", "province", "postcode")
T = TypeVar("T")


class RegistryError(Exception):
    """Base class; ``str(error)`` is a bilingual message fit to show a person."""


class RegistryUnavailable(RegistryError):
    """The registry could not answer (network, timeout, 5xx, refused our credentials,
    or answered something we cannot read)."""


class RecordNotFound(RegistryError):
    """The registry answered that it has no such record."""


@dataclass(frozen=True)
class PersonRecord:
    citizen_id: str
    title_th: str
    first_name_th: str
    last_name_th: str
    title_en: str
    first_name_en: str
    last_name_en: str
    birth_date: dt.date | None
    address: dict[str, str] = field(default_factory=dict)

    @property
    def full_name_th(self) -> str:
        return f"{self.title_th}{self.first_name_th} {self.last_name_th}".strip()

    @property
    def full_name_en(self) -> str:
        return " ".join(p for p in (self.title_en, self.first_name_en, self.last_name_en) if p)


@dataclass(frozen=True)
class JuristicRecord:
    juristic_id: str
    name_th: str
    name_en: str
    juristic_type: str
    registration_date: dt.date | None
    status: str
    registered_address: dict[str, str] = field(default_factory=dict)
    director_citizen_ids: tuple[str, ...] = ()
    signing_rule: str = "any"


def _address(data: Any) -> dict[str, str]:
    data = data if isinstance(data, dict) else {}
    return {key: str(data.get(key) or "") for key in ADDRESS_KEYS}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def person_record(citizen_id: str, data: dict[str, Any]) -> PersonRecord:
    """A civil-registry answer (the registry's own, or the exchange's ``civil-person``
    fields) as a record; what the answer lacks is empty."""
    return PersonRecord(
        citizen_id=citizen_id,
        title_th=str(data.get("title_th") or ""),
        first_name_th=str(data.get("first_name_th") or ""),
        last_name_th=str(data.get("last_name_th") or ""),
        title_en=str(data.get("title_en") or ""),
        first_name_en=str(data.get("first_name_en") or ""),
        last_name_en=str(data.get("last_name_en") or ""),
        birth_date=_date(data.get("birth_date")),
        address=_address(data.get("address")),
    )


def _get(url: str, token: str, *, what: str | Promise) -> dict[str, Any]:
    """GET JSON or raise RegistryUnavailable / RecordNotFound, in the reader's language."""
    unavailable = _("The %(registry)s is not available, please try again later") % {
        "registry": what
    }
    if not token:
        log.warning("no token configured for the %s; not asking", what)
        raise RegistryUnavailable(unavailable)
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as error:
        log.warning("registry request failed: %s", error)
        raise RegistryUnavailable(unavailable) from error
    if response.status_code == 404:
        raise RecordNotFound(_("No record in the %(registry)s") % {"registry": what})
    if response.status_code != 200:
        log.warning("registry answered %s for %s", response.status_code, url)
        raise RegistryUnavailable(unavailable)
    try:
        data = response.json()
    except ValueError as error:
        raise RegistryUnavailable(unavailable) from error
    if not isinstance(data, dict):
        raise RegistryUnavailable(unavailable)
    return data


def _audited(
    action: str, target: tuple[str, str], actor: Any, purpose: str, outcome: str, on: bool = True
) -> None:
    """Audit one registry read. ``on`` is False when the caller keeps its own record of
    the access (the exchange's signed message log): one access, one record."""
    if not on:
        return
    with transaction.atomic():
        audit.record(
            action,
            target,
            actor=actor,
            actor_label="" if actor else "registry client",
            purpose=purpose,
            outcome=outcome,
        )


def fetch_person(
    citizen_id: str, *, actor: Any = None, purpose: str = "", audited: bool = True
) -> PersonRecord:
    """The civil-registry record of one person.

    Raises ``django.core.exceptions.ValidationError`` for a malformed citizen ID (before
    any request), :class:`RecordNotFound` or :class:`RegistryUnavailable`.
    """
    key = validate_citizen_id(citizen_id)
    target = ("registries.civil_person", key)
    url = f"{settings.CIVIL_REGISTRY_URL.rstrip('/')}/persons/{quote(key)}"
    try:
        data = _get(url, settings.CIVIL_REGISTRY_TOKEN, what=CIVIL)
        if data.get("citizen_id") != key:
            raise RegistryUnavailable(_("The civil registry answered about someone else"))
        record = person_record(key, data)
    except RecordNotFound:
        _audited("registry.person_fetched", target, actor, purpose, "not_found", audited)
        raise
    except RegistryUnavailable:
        _audited("registry.person_fetched", target, actor, purpose, "unavailable", audited)
        raise
    _audited("registry.person_fetched", target, actor, purpose, "ok", audited)
    return record


def _juristic_record(data: dict[str, Any]) -> JuristicRecord:
    directors = data.get("director_citizen_ids") or []
    return JuristicRecord(
        juristic_id=str(data.get("juristic_id") or ""),
        name_th=str(data.get("name_th") or ""),
        name_en=str(data.get("name_en") or ""),
        juristic_type=str(data.get("juristic_type") or ""),
        registration_date=_date(data.get("registration_date")),
        status=str(data.get("status") or ""),
        registered_address=_address(data.get("registered_address")),
        director_citizen_ids=tuple(str(d) for d in directors if isinstance(d, str | int)),
        signing_rule="two" if data.get("signing_rule") == "two" else "any",
    )


def companies_directed_by(
    citizen_id: str, *, actor: Any = None, purpose: str = ""
) -> list[JuristicRecord]:
    """The companies the juristic registry lists ``citizen_id`` as a director of."""
    key = validate_citizen_id(citizen_id)
    target = ("registries.juristic_directorships", key)
    url = f"{settings.JURISTIC_REGISTRY_URL.rstrip('/')}/?director={quote(key)}"
    try:
        data = _get(url, settings.JURISTIC_REGISTRY_TOKEN, what=JURISTIC)
    except RegistryUnavailable:
        _audited("registry.directorships_fetched", target, actor, purpose, "unavailable")
        raise
    results = data.get("results")
    if not isinstance(results, list):
        raise RegistryUnavailable(_("The registry answered something unreadable"))
    records = [_juristic_record(item) for item in results if isinstance(item, dict)]
    records = [r for r in records if key in r.director_citizen_ids]
    _audited("registry.directorships_fetched", target, actor, purpose, "ok")
    return records


def fetch_juristic_person(
    juristic_id: str, *, actor: Any = None, purpose: str = "", audited: bool = True
) -> JuristicRecord:
    """The juristic-person registry record of one company (errors as :func:`fetch_person`)."""
    key = validate_juristic_id(juristic_id)
    target = ("registries.juristic_person", key)
    url = f"{settings.JURISTIC_REGISTRY_URL.rstrip('/')}/{quote(key)}"
    try:
        data = _get(url, settings.JURISTIC_REGISTRY_TOKEN, what=JURISTIC)
        if data.get("juristic_id") != key:
            raise RegistryUnavailable(_("The registry answered about another company"))
        record = _juristic_record(data)
    except RecordNotFound:
        _audited("registry.juristic_person_fetched", target, actor, purpose, "not_found", audited)
        raise
    except RegistryUnavailable:
        _audited("registry.juristic_person_fetched", target, actor, purpose, "unavailable", audited)
        raise
    _audited("registry.juristic_person_fetched", target, actor, purpose, "ok", audited)
    return record


@dataclass(frozen=True)
class TaxStatusRecord:
    """What the Revenue Department says of a taxpayer."""

    taxpayer_id: str
    name_th: str
    taxpayer_status: str
    vat_registered: bool
    vat_registration_number: str
    vat_registered_since: dt.date | None
    branch_code: str


@dataclass(frozen=True)
class FactoryLicenceRecord:
    """One factory licence (ร.ง.4) as the Department of Industrial Works answers it."""

    licence_number: str
    factory_name: str
    factory_type_code: str
    factory_type_th: str
    status: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    factory_address: dict[str, str] = field(default_factory=dict)


def _audited_fetch(
    action: str,
    target: tuple[str, str],
    actor: Any,
    purpose: str,
    call: Callable[[], T],
    audited: bool = True,
) -> T:
    """Run ``call`` and audit its outcome, whichever it is."""
    try:
        result = call()
    except RecordNotFound:
        _audited(action, target, actor, purpose, "not_found", audited)
        raise
    except RegistryUnavailable:
        _audited(action, target, actor, purpose, "unavailable", audited)
        raise
    _audited(action, target, actor, purpose, "ok", audited)
    return result


CIVIL = gettext_lazy("civil registry")
JURISTIC = gettext_lazy("juristic-person registry")
REVENUE = gettext_lazy("Revenue Department registry")
DIW = gettext_lazy("Department of Industrial Works registry")


def _unreadable(what: str | Promise) -> RegistryUnavailable:
    return RegistryUnavailable(
        _("The %(registry)s answered something unreadable or about someone else")
        % {"registry": what}
    )


def _tax_status_record(key: str, data: dict[str, Any]) -> TaxStatusRecord:
    vat = data.get("vat")
    if data.get("taxpayer_id") != key or not isinstance(vat, dict):
        raise _unreadable(REVENUE)
    return TaxStatusRecord(
        taxpayer_id=key,
        name_th=str(data.get("name_th") or ""),
        taxpayer_status=str(data.get("taxpayer_status") or ""),
        vat_registered=vat.get("registered") is True,
        vat_registration_number=str(vat.get("registration_number") or ""),
        vat_registered_since=_date(vat.get("registered_since")),
        branch_code=str(data.get("branch_code") or ""),
    )


def fetch_tax_status(
    taxpayer_id: str, *, actor: Any = None, purpose: str = "", audited: bool = True
) -> TaxStatusRecord:
    """A taxpayer's status, VAT registration and branch at the Revenue Department.

    ``taxpayer_id`` is a juristic number or a citizen ID; a malformed one raises
    ``ValidationError`` before any request. Otherwise as :func:`fetch_person`."""
    key = validate_taxpayer_id(taxpayer_id)
    url = f"{settings.REVENUE_REGISTRY_URL.rstrip('/')}/taxpayers/{quote(key)}"
    return _audited_fetch(
        "registry.tax_status_fetched",
        ("registries.revenue_taxpayer", key),
        actor,
        purpose,
        lambda: _tax_status_record(key, _get(url, settings.REVENUE_REGISTRY_TOKEN, what=REVENUE)),
        audited,
    )


def _factory_licence(data: Any) -> FactoryLicenceRecord:
    if not isinstance(data, dict) or not isinstance(data.get("factory_type"), dict):
        raise _unreadable(DIW)
    return FactoryLicenceRecord(
        licence_number=str(data.get("licence_number") or ""),
        factory_name=str(data.get("factory_name") or ""),
        factory_type_code=str(data["factory_type"].get("code") or ""),
        factory_type_th=str(data["factory_type"].get("name_th") or ""),
        status=str(data.get("status") or ""),
        issued_on=_date(data.get("issued_on")),
        expires_on=_date(data.get("expires_on")),
        factory_address=_address(data.get("factory_address")),
    )


def _factory_licences(key: str, data: dict[str, Any]) -> list[FactoryLicenceRecord]:
    licences = data.get("licences")
    if data.get("owner_id") != key or not isinstance(licences, list):
        raise _unreadable(DIW)
    return [_factory_licence(item) for item in licences]


def factory_licences_of(
    owner_id: str, *, actor: Any = None, purpose: str = "", audited: bool = True
) -> list[FactoryLicenceRecord]:
    """The factory licences the Department of Industrial Works has issued to a company
    or a person (valid, expired and revoked); errors as :func:`fetch_tax_status`, and
    :class:`RecordNotFound` when it has issued none."""
    key = validate_taxpayer_id(owner_id)
    url = f"{settings.DIW_REGISTRY_URL.rstrip('/')}/owners/{quote(key)}/licences"
    return _audited_fetch(
        "registry.factory_licences_fetched",
        ("registries.diw_factory_licences", key),
        actor,
        purpose,
        lambda: _factory_licences(key, _get(url, settings.DIW_REGISTRY_TOKEN, what=DIW)),
        audited,
    )
