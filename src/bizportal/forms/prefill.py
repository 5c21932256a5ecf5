"""Prefill: values the government already knows, so the applicant never retypes them.

A UI schema field names its source, e.g. ``"prefill": "applicant.full_name_th"``; the
applicant's profile was filled from Digital ID and the civil registry at sign-in.
"""

from __future__ import annotations

from typing import Any


def address_text(address: dict[str, Any]) -> str:
    if not address:
        return ""
    parts = [
        address.get("house_no", ""),
        f"หมู่ {address['moo']}" if address.get("moo") else "",
        address.get("street", ""),
        address.get("subdistrict", ""),
        address.get("district", ""),
        address.get("province", ""),
        address.get("postcode", ""),
    ]
    return " ".join(str(p) for p in parts if p)


def applicant_values(user: Any) -> dict[str, str]:
    """The applying person's identity fields. A system user (software acting for a
    company) has none of its own: it applies on the authority of the director who
    approved it, so the form names that person (``responsible_person``, set per request
    by the token authentication)."""
    user = getattr(user, "responsible_person", None) or user
    return {
        "applicant.full_name_th": user.full_name_th or user.display_name,
        "applicant.full_name_en": user.full_name_en,
        "applicant.citizen_id": user.citizen_id or "",
        "applicant.passport": (
            f"{user.nationality} {user.passport_no}"
            if getattr(user, "passport_no", "") and not user.citizen_id
            else ""
        ),
        "applicant.email": user.email,
        "applicant.phone": user.phone,
        "applicant.address": address_text(user.address or {}),
    }


def party_values(party: Any) -> dict[str, str]:
    """What the applying party is on record as (a company: the juristic registry)."""
    if party is None:
        return {}
    is_company = getattr(party, "kind", "") == "juristic"
    return {
        "party.juristic_id": party.key if is_company else "",
        "party.name_th": party.name_th,
        "party.name_en": party.name_en,
        "party.address": address_text(party.registered_address or {}) if is_company else "",
    }


def prefill_answers(ui_schema: dict[str, Any], user: Any, party: Any = None) -> dict[str, str]:
    values = {**applicant_values(user), **party_values(party)}
    answers: dict[str, str] = {}
    for name, ui in ui_schema.get("fields", {}).items():
        source = ui.get("prefill")
        if source and values.get(source):
            answers[name] = values[source]
    return answers


def locked_fields(ui_schema: dict[str, Any]) -> set[str]:
    """Fields the applicant may not change: prefilled from an authoritative source."""
    return {
        name
        for name, ui in ui_schema.get("fields", {}).items()
        if ui.get("readonly") and ui.get("prefill")
    }
