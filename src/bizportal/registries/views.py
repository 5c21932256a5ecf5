"""The sandbox registries' REST endpoints, answering like the real services would:
bearer-token protected JSON, problem+json for every error."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bizportal.core.problems import problem_response
from bizportal.core.thai import validate_citizen_id, validate_juristic_id, validate_taxpayer_id

from .models import SandboxFactoryLicence, SandboxJuristicPerson, SandboxPerson, SandboxTaxpayer


def accepted_tokens() -> dict[str, str]:
    """The bearer tokens this sandbox accepts, per registry. The sandbox shares the
    portal's settings because it runs in the same process; a real registry issues its
    own (tests replace this to play a registry that rotated its token)."""
    return {
        "civil": settings.CIVIL_REGISTRY_TOKEN,
        "juristic": settings.JURISTIC_REGISTRY_TOKEN,
        "revenue": settings.REVENUE_REGISTRY_TOKEN,
        "diw": settings.DIW_REGISTRY_TOKEN,
    }


def _authorised(request: HttpRequest, expected: str) -> bool:
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and bool(presented)
        and hmac.compare_digest(presented.strip().encode(), expected.encode())
    )


def _unauthorised() -> HttpResponse:
    response = problem_response(
        401, _("A valid bearer token is required"), type_="registry-unauthorised"
    )
    response["WWW-Authenticate"] = 'Bearer realm="sandbox-registry"'
    return response


def _lookup(
    request: HttpRequest,
    raw_id: str,
    token: str,
    validate: Callable[[str], str],
    find: Callable[[str], JsonResponse | None],
    not_found: str,
) -> HttpResponse:
    if not _authorised(request, token):
        return _unauthorised()
    try:
        key = validate(raw_id)
    except ValidationError as error:
        return problem_response(400, error.messages[0], type_="invalid-identifier")
    response = find(key)
    if response is None:
        return problem_response(404, not_found, type_="record-not-found")
    response["Cache-Control"] = "no-store"
    return response


def _as_json(
    record: SandboxPerson | SandboxJuristicPerson | SandboxTaxpayer | None,
) -> JsonResponse | None:
    if record is None:
        return None
    return JsonResponse(record.as_json(), json_dumps_params={"ensure_ascii": False})


@require_GET
def person(request: HttpRequest, citizen_id: str) -> HttpResponse:
    """``GET civil/persons/<citizen_id>``: one person from the civil registry."""

    return _lookup(
        request,
        citizen_id,
        accepted_tokens()["civil"],
        validate_citizen_id,
        lambda key: _as_json(SandboxPerson.objects.filter(citizen_id=key).first()),
        _("No person with this citizen ID in the civil registry"),
    )


@require_GET
def juristic_person(request: HttpRequest, juristic_id: str) -> HttpResponse:
    """``GET juristic/<juristic_id>``: one company from the juristic-person registry."""

    return _lookup(
        request,
        juristic_id,
        accepted_tokens()["juristic"],
        validate_juristic_id,
        lambda key: _as_json(SandboxJuristicPerson.objects.filter(juristic_id=key).first()),
        _("No juristic person with this number"),
    )


@require_GET
def juristic_search(request: HttpRequest) -> HttpResponse:
    """``GET juristic/?director=<citizen_id>``: the companies a person is a director of
    (DBD lets a signed-in director list their companies; the portal uses it to offer
    "act for a company")."""
    if not _authorised(request, accepted_tokens()["juristic"]):
        return _unauthorised()
    try:
        director = validate_citizen_id(request.GET.get("director", ""))
    except ValidationError as error:
        return problem_response(400, error.messages[0], type_="invalid-identifier")
    # A sandbox with a handful of companies: filtering in Python keeps the JSON column
    # portable (SQLite has no JSON containment lookup).
    found = [
        company.as_json()
        for company in SandboxJuristicPerson.objects.order_by("juristic_id")
        if director in (company.director_citizen_ids or [])
    ]
    response = JsonResponse({"results": found}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def revenue_taxpayer(request: HttpRequest, taxpayer_id: str) -> HttpResponse:
    """``GET revenue/taxpayers/<taxpayer_id>``: a taxpayer's status, VAT registration
    and branch at the Revenue Department."""

    return _lookup(
        request,
        taxpayer_id,
        accepted_tokens()["revenue"],
        validate_taxpayer_id,
        lambda key: _as_json(SandboxTaxpayer.objects.filter(taxpayer_id=key).first()),
        _("No taxpayer with this number at the Revenue Department"),
    )


def _factory_licences(owner_id: str) -> JsonResponse | None:
    """The owner's licences, oldest first; none at all means the DIW does not know
    the owner (404), as a registry without a record answers."""
    today = timezone.localdate()
    licences = [
        licence.as_json(today)
        for licence in SandboxFactoryLicence.objects.filter(owner_id=owner_id).order_by(
            "issued_on", "licence_number"
        )
    ]
    if not licences:
        return None
    return JsonResponse(
        {"owner_id": owner_id, "licences": licences}, json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def diw_licences(request: HttpRequest, owner_id: str) -> HttpResponse:
    """``GET diw/owners/<owner_id>/licences``: the factory licences (ร.ง.4) the
    Department of Industrial Works has issued to a company or a person."""

    return _lookup(
        request,
        owner_id,
        accepted_tokens()["diw"],
        validate_taxpayer_id,
        _factory_licences,
        _("The Department of Industrial Works holds no factory licence of this owner"),
    )
