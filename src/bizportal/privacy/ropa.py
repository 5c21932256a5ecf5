"""The record of processing activities (PDPA s. 39) for the data protection officer.

Generated, never typed: the rows come from every model's ``PERSONAL_DATA`` declaration,
the retention rules and legal holds in :mod:`.retention`, and the notices in force, so
the record describes what the code does today.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from . import retention, selectors
from .models import Purpose

#: Purpose and lawful basis (PDPA s. 24) of the apps that hold personal data.
_APP_PURPOSE: dict[str, tuple[str, str]] = {
    "identity": (Purpose.IDENTITY, "s. 24(3) contract; s. 24(6) legal obligation"),
    "sandbox_idp": (Purpose.IDENTITY, "test data of the embedded identity sandbox"),
    "registries": (Purpose.IDENTITY, "s. 24(4) public task: agency registries"),
    "notifications": (Purpose.SERVICE, "s. 24(3) contract"),
    "notifications_sandbox": (Purpose.SERVICE, "test data of the embedded SMS and LINE sandboxes"),
}
_DEFAULT = (Purpose.SERVICE, "s. 24(4) public task; s. 24(6) legal obligation")

COLUMNS = [
    "model",
    "table",
    "fields",
    "labels",
    "purpose",
    "lawful_basis",
    "notice_version",
    "retention",
    "legal_hold",
]


def rows() -> list[dict[str, Any]]:
    notices = {n.purpose: n.version for n in selectors.current_notices()}
    rules_by_model: dict[str, list[str]] = {}
    for rule in retention.rules():
        rules_by_model.setdefault(rule.model, []).append(f"{rule.key}: {rule.label}")
    holds = {h.model: f"{h.years} years: {h.law_en}" for h in retention.LEGAL_HOLDS}
    found = []
    for model, declared in retention.labelled_models():
        label = model._meta.label
        purpose, basis = _APP_PURPOSE.get(model._meta.app_label, _DEFAULT)
        found.append(
            {
                "model": label,
                "table": model._meta.db_table,
                "fields": sorted(declared),
                "labels": sorted(set(declared.values())),
                "purpose": str(purpose),
                "lawful_basis": basis,
                "notice_version": notices.get(purpose),
                "retention": rules_by_model.get(label, []),
                "legal_hold": holds.get(label, ""),
            }
        )
    return found


def as_json() -> str:
    return json.dumps(rows(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def as_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows():
        writer.writerow(
            {
                k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    return out.getvalue()
