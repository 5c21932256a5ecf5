"""Publishing a service's integration settings: checked as a whole, then saved as a new
version (the previous one is kept, no longer current), audited."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import jmespath
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from jmespath.exceptions import JMESPathError

from bizportal.catalog.bundles import DEFAULT_PROCESS
from bizportal.catalog.models import Service
from bizportal.core import audit
from bizportal.exchange.models import AgencySystem
from bizportal.workflow import services as workflow

from .models import IntegrationVersion, Mode

#: A field of the agency's schema: a name, or dotted names for nested objects.
TARGET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}(\.[A-Za-z_][A-Za-z0-9_]{0,59}){0,4}$")
MAX_MAPPED_FIELDS = 200
MAX_EXPRESSION = 500
#: Hosts an online endpoint may use plain http on: this machine (sandbox, tests).
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def mapping_errors(mapping: Any) -> list[str]:
    """Why a field mapping cannot be used, one message per problem (empty if it can)."""
    if not isinstance(mapping, dict):
        return [_("the mapping is an object: field → expression")]
    if len(mapping) > MAX_MAPPED_FIELDS:
        return [_("at most %(count)s fields") % {"count": MAX_MAPPED_FIELDS}]
    errors = []
    for target, expression in mapping.items():
        if not TARGET.match(str(target)):
            errors.append(
                _("%(field)s: a field name is letters, digits, '_' and dots")
                % {"field": repr(target)}
            )
        elif not isinstance(expression, str) or not expression.strip():
            errors.append(_("%(field)s: give a JMESPath expression") % {"field": target})
        elif len(expression) > MAX_EXPRESSION:
            errors.append(_("%(field)s: the expression is too long") % {"field": target})
        else:
            try:
                jmespath.compile(expression)
            except JMESPathError as error:
                errors.append(
                    _("%(field)s: not a valid JMESPath expression (%(error)s)")
                    % {"field": target, "error": _first_line(error)}
                )
    return errors


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _endpoint_errors(mode: str, endpoint_url: str) -> list[str]:
    if mode != Mode.ONLINE:
        return []
    if not endpoint_url:
        return [_("online forwarding needs the endpoint URL")]
    parts = urlsplit(endpoint_url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return []
    return [_("the endpoint must be https")]


def _system_errors(service: Service, mode: str, system: AgencySystem | None) -> list[str]:
    if mode == Mode.BACKOFFICE:
        return []
    if system is None:
        return [_("name the agency system that receives the applications and reports back")]
    if system.agency_id != service.agency_id:
        return [
            _("this system belongs to another agency: it may never see this agency's applications")
        ]
    return []


def _document_errors(service: Service, documents: Any) -> list[str]:
    if not isinstance(documents, list):
        return [_("documents are a list of document codes")]
    known = set(service.documents.values_list("code", flat=True))
    unknown = sorted({str(code) for code in documents} - known)
    if unknown:
        return [_("the service asks for no documents %(codes)s") % {"codes": unknown}]
    return []


FORWARD_STEP = "forward-to-agency"


def _forwards(service: Service) -> bool:
    """Whether the process new applications of ``service`` start on has a forward step."""
    key = service.process_id or DEFAULT_PROCESS
    try:
        process = workflow.parsed(workflow.live_version(key))
    except workflow.WorkflowError:
        return False
    return any(step.type == FORWARD_STEP for step in process.steps)


def _process_errors(service: Service, mode: str) -> list[str]:
    """The setting and the service's process must agree, or applications would either
    never be forwarded or be refused at submission."""
    forwards = _forwards(service)
    if mode == Mode.BACKOFFICE and forwards:
        return [_("the service's process forwards to the agency's system: choose online or batch")]
    if mode in (Mode.ONLINE, Mode.BATCH) and not forwards:
        return [
            _("the service's process has no forward-to-agency step: nothing would be forwarded")
        ]
    return []


def integration_problems(
    service: Service,
    *,
    mode: str,
    agency_system: AgencySystem | None,
    endpoint_url: str,
    field_mapping: Any,
    documents: Any,
) -> dict[str, list[str]]:
    """Every problem with these settings, by field (empty when they can be published)."""
    problems = {
        "mode": _process_errors(service, mode) if mode in Mode.values else [_("no such mode")],
        "agency_system": _system_errors(service, mode, agency_system),
        "endpoint_url": _endpoint_errors(mode, endpoint_url),
        "field_mapping": mapping_errors(field_mapping),
        "documents": _document_errors(service, documents),
    }
    return {name: messages for name, messages in problems.items() if messages}


@transaction.atomic
def publish_integration(
    service: Service,
    *,
    mode: str,
    agency_system: AgencySystem | None = None,
    endpoint_url: str = "",
    field_mapping: dict[str, str] | None = None,
    documents: list[str] | None = None,
    note: str = "",
    by: Any = None,
) -> IntegrationVersion:
    """Make these settings the service's current integration, as a new version.

    Everything is checked first and every problem reported at once (``ValidationError``
    by field); nothing is saved unless all of it holds."""
    mapping = field_mapping if field_mapping is not None else {}
    documents = documents if documents is not None else []
    problems = integration_problems(
        service,
        mode=mode,
        agency_system=agency_system,
        endpoint_url=endpoint_url,
        field_mapping=mapping,
        documents=documents,
    )
    if problems:
        raise ValidationError(problems)
    Service.objects.select_for_update().filter(pk=service.pk).first()  # one publisher at a time
    latest = IntegrationVersion.objects.filter(service=service).aggregate(n=Max("version"))["n"]
    IntegrationVersion.objects.filter(service=service, is_current=True).update(is_current=False)
    integration = IntegrationVersion.objects.create(
        service=service,
        version=(latest or 0) + 1,
        mode=mode,
        agency_system=agency_system,
        endpoint_url=endpoint_url,
        field_mapping=mapping,
        documents=documents,
        note=note,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record(
        "integrations.published",
        integration,
        actor=by,
        service=service.slug,
        version=integration.version,
        mode=mode,
    )
    return integration
