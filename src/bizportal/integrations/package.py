"""The application package: what an agency's system receives for one application, in a
published, versioned JSON Schema (``SCHEMA``), forwarded online or in a batch.

Minimal by design (PDPA): the application, its holder, the answers, the fields mapped to
the agency's own schema, the documents that travel (described by name, type, size and
SHA-256; the files are fetched separately) and the evidence fetched from the exchange
with its provenance. Nothing about the applicant's account is included.
"""

from __future__ import annotations

from typing import Any

import jmespath
from django.conf import settings
from jmespath.exceptions import JMESPathError

from bizportal.applications.models import Application, Kind

from .models import IntegrationVersion

SCHEMA_VERSION = 1
SCHEMA_PATH = f"/api/v1/integrations/schemas/application-package/{SCHEMA_VERSION}/"


def schema_id() -> str:
    return settings.BASE_URL.rstrip("/") + SCHEMA_PATH


def build(application: Application, integration: IntegrationVersion) -> dict[str, Any]:
    """The package of ``application`` under ``integration`` (its mapping and documents)."""
    core = {
        "application": {
            "id": str(application.public_id),
            "reference": application.reference or "",
            "kind": application.kind,
            "service": application.service.slug,
            "status": application.status,
            "submitted_at": _iso(application.submitted_at),
        },
        "agency": application.agency.code,
        "holder": {
            "kind": application.holder_kind,
            "id": application.holder_id,
            "name_th": application.holder_name_th,
            "name_en": application.holder_name_en,
        },
        "answers": application.data,
    }
    travelling = set(integration.documents)
    return {
        "$schema": schema_id(),
        "schema_version": SCHEMA_VERSION,
        "integration_version": integration.version,
        **core,
        "mapped": mapped(integration.field_mapping, core),
        "documents": [
            {
                "id": str(attachment.public_id),
                "code": attachment.document_code,
                "file_name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
            }
            for attachment in application.attachments.all()
            if attachment.document_code in travelling
        ],
        "evidence": [
            {
                "document_code": item.document_code,
                "data_service": item.data_service,
                "message_id": str(item.message_id),
                "basis": item.basis,
                "fetched_at": _iso(item.fetched_at),
                "fields": {f["name"]: f.get("value") for f in item.fields},
            }
            for item in application.evidence.all()
            if item.document_code in travelling
        ],
    }


def mapped(mapping: dict[str, str], source: dict[str, Any]) -> dict[str, Any]:
    """Each agency field's value: its JMESPath expression over the package; a dotted
    field name nests (``owner.id`` → ``{"owner": {"id": ...}}``). An expression that
    finds nothing gives ``null``, so the agency sees the field was asked for."""
    result: dict[str, Any] = {}
    for target, expression in mapping.items():
        try:
            value = jmespath.search(expression, source)
        except JMESPathError:
            value = None  # checked when published; a type error at run time is null
        node = result
        *parents, leaf = target.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return result


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the package, as published."""
    text = {"type": "string"}
    optional_text = {"type": ["string", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(),
        "title": "Biz Portal application package",
        "description": (
            "What an agency's system receives for one application (online or in a batch). "
            "`mapped` holds the agency's own fields, computed by the service's integration "
            "mapping; `answers` is the form as the applicant filled it."
        ),
        "type": "object",
        "required": [
            "$schema",
            "schema_version",
            "integration_version",
            "application",
            "agency",
            "holder",
            "answers",
            "mapped",
            "documents",
            "evidence",
        ],
        "additionalProperties": False,
        "properties": {
            "$schema": {"const": schema_id()},
            "schema_version": {"const": SCHEMA_VERSION},
            "integration_version": {"type": "integer", "minimum": 1},
            "application": {
                "type": "object",
                "required": ["id", "reference", "kind", "service", "status", "submitted_at"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "reference": text,
                    "kind": {"enum": list(Kind.values)},
                    "service": text,
                    "status": text,
                    "submitted_at": {**optional_text, "format": "date-time"},
                },
            },
            "agency": text,
            "holder": {
                "type": "object",
                "required": ["kind", "id", "name_th", "name_en"],
                "additionalProperties": False,
                "properties": {
                    "kind": text,
                    "id": text,
                    "name_th": text,
                    "name_en": text,
                },
            },
            "answers": {"type": "object"},
            "mapped": {"type": "object"},
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "code", "file_name", "content_type", "size", "sha256"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "url": {
                            "type": "string",
                            "format": "uri",
                            "description": "online forwarding only: a short-lived link to the file",
                        },
                        "url_expires_at": {"type": "string", "format": "date-time"},
                        "code": text,
                        "file_name": text,
                        "content_type": text,
                        "size": {"type": "integer", "minimum": 0},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                },
            },
            "evidence": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "document_code",
                        "data_service",
                        "message_id",
                        "basis",
                        "fetched_at",
                        "fields",
                    ],
                    "additionalProperties": False,
                    "properties": {
                        "document_code": text,
                        "data_service": text,
                        "message_id": {"type": "string", "format": "uuid"},
                        "basis": {"enum": ["mission", "consent", "subject"]},
                        "fetched_at": {**optional_text, "format": "date-time"},
                        "fields": {"type": "object"},
                    },
                },
            },
        },
    }
