"""The authorisation matrix: every URL and API endpoint, for every role, aimed at another
party's objects, is refused (401/403/404/405, or a redirect to sign in), shows nothing
of the owner's and changes nothing.

The URL list is read from the URL configuration, so a new endpoint with an object in
its path fails here until it is given its target below (or listed as public, with why).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from bizportal.advisor.models import Bundle, BundleItem
from bizportal.applications.models import Application
from bizportal.contact import chat as live_chat
from bizportal.contact import services as contact
from bizportal.contact.models import Case, ChatSession, Message
from bizportal.core.models import DomainEvent
from bizportal.federation import services as federation
from bizportal.federation.models import FederatedClient, SystemUserApproval
from bizportal.identity.models import (
    ClientRepresentation,
    CounterProofing,
    Mandate,
    StaffRole,
    User,
)
from bizportal.licences.models import Licence
from bizportal.notifications import services as notifications
from bizportal.notifications.models import ContactVerification
from bizportal.payments import refunds
from bizportal.payments.models import Invoice, Receipt, Refund, StatementImport
from bizportal.reports.models import Export
from tests import journeys
from tests.factories import (
    AgencyFactory,
    ApplicantFactory,
    CompanyFactory,
    OfficerFactory,
    ServiceFactory,
    StaffFactory,
    give_mandate,
)
from tests.federation.helpers import register_vendor_system

pytestmark = pytest.mark.django_db

#: Reachable without owning anything: public pages, protocol endpoints of the sandbox
#: providers (which have their own credentials and tests), and pages about oneself.
PUBLIC_OR_OWN = {
    "healthz",
    "readyz",
    "metrics",  # Bearer METRICS_TOKEN or loopback only: tests/core/test_operations.py
    "set_language",
    "api-schema",
    "api-docs",
    "api-services",
    "api-service",
    "licences-verify-number",
    "licences-verify-version",
    "licences-verify-pdf",
    "licences-verify-batch",
    # Verifiable credentials (tests/licences/test_credentials.py): an agency's issuer
    # description and status lists are public by design (any verifier, no account).
    "licences-issuer",
    "licences-status-list",
    "identity:login",
    "identity:login-with",
    "identity:callback",
    "identity:logout",
    "identity:step-up",
    # NDID sign-in: the form is public; the waiting page answers only the browser that
    # started the request (session), the callback only a signature by the node
    # (tests/identity/test_ndid.py).
    "identity:ndid-start",
    "identity:ndid-wait",
    "identity:ndid-callback",
    "payments:callback",  # authenticated by the provider's HMAC signature
    "licences:verify",
    "licences:verify-number",
    "licences:verify-version",
    "payments:receipt-verify",
    "payments:receipt-verify-number",
    # Written mandates: public by design like licences; the reference page shows no
    # names, a file check only what the file itself says (tests/portal/test_written_mandates.py).
    "portal:mandate-verify",
    "portal:mandate-verify-reference",
    "portal:home",
    "portal:services",
    "portal:service",
    "portal:browse",
    "portal:browse-category",
    "advisor:ask",
    "advisor:result",
    "advisor:reset",
    "advisor:start",
    "api-categories",
    "api-advisor-recommendations",
    "api-advisor-questions",
    "catalog:catalogue-document",  # the published RDF catalogue
    # Open data: anonymised monthly counts per agency, public by design; small counts
    # are blanked (tests/reports/test_opendata.py).
    "opendata:index",
    "opendata:file",
    # A data service's open description; its queries need an agency system's OAuth2
    # token (tests/exchange/test_api.py).
    "exchange-data-service",
    # The agency API answers only agency systems' OAuth2 tokens, each for what was
    # forwarded to that system (tests/integrations/test_agency_api.py, test_batches.py);
    # no session of any role reaches it. The keys are public; a document link is its
    # own signed, expiring credential (tests/integrations/test_forwarding.py).
    "integrations-keys",
    "integrations-document-link",
    "integrations-agency-application",
    "integrations-agency-document",
    "integrations-agency-updates",
    "integrations-agency-batch",
    "integrations-agency-batch-file",
    "integrations-agency-batch-results",
    "catalog:agency",
    "catalog:service-document",
    "catalog:event",
    "catalog:scheme",
    "catalog:concept",
    "portal:apply",
    "portal:account",
    "portal:acting",
    "portal:acting-refresh",
    "portal:mandates",
    "api-applications",
    "api-mandates",
    "api-worklist",
    "backoffice:login",
    "backoffice:home",
    "backoffice:worklist",
    "backoffice:counter",
    # No object in the path; a look-up needs a typed reason and shows status only
    # (tests/backoffice/test_helpdesk.py).
    "backoffice:helpdesk",
    "backoffice:statistics",
    # Connection health: no object in the path; agency IT see their agency's endpoints
    # only, platform administrators all (tests/monitoring/test_connections.py).
    "backoffice:connections",
    # Reports: aggregates of the viewer's scope, and the applications behind a figure
    # within that scope (tests/reports/test_dashboards.py).
    "reports:index",
    "reports:dashboard",
    "reports:applications",
    # A report as a file: the report's name in the path, not an object; the same scope
    # as its dashboard (tests/reports/test_exports.py).
    "reports:export",
    "backoffice:staff",
    "backoffice:staff-new",
    # Finance pages without an object in the path: the agency's own refunds, the
    # collection account's statements, reports of the agency's (or for executives all)
    # aggregates; tests/payments/test_refunds.py, test_reconciliation.py, test_reports.py.
    "backoffice:finance-refunds",
    "backoffice:finance-statements",
    # Daily bill-payment files: references and amounts of the collection account, any
    # finance officer (tests/payments/test_counter.py).
    "backoffice:finance-payment-files",
    "backoffice:finance-report",
    "backoffice:finance-report-xlsx",
    "backoffice:finance-report-pdf",
    "privacy:notices",
    "privacy:notice",
    "privacy:notice-version",
    "privacy:accept",
    "privacy:rights",  # own data only: tests/privacy/test_privacy.py
    "privacy:export-json",
    "privacy:export-pdf",
    "privacy:request",
    "privacy:objection",
    "privacy:tracker",  # own and own companies' accesses only: tests/privacy/test_tracker.py
    "privacy:tracker-csv",
    "privacy:tracker-pdf",
    "privacy:revoke-consent",  # another person's consent is 404: tests/privacy/test_tracker.py
    "privacy:ropa",  # superuser / DPO only: tests/privacy/test_privacy.py
    # The signed-in person's own inbox, contact details and LINE link: nothing of
    # anyone else is named in these paths (tests/notifications/test_contact.py).
    "notifications:inbox",
    "notifications:inbox-read",
    "notifications:contact",
    "notifications:contact-change",
    "notifications:line-link",
    "notifications:line-callback",  # state bound to the session, answer signed
    "notifications:line-unlink",
    "notifications:sms-receipt",  # authenticated by the gateway's HMAC signature
    # A survey link's signed token is its own credential (a person who complained by
    # email answers without an account); a forged token is 404, an answered one 409
    # (tests/surveys/test_answers.py).
    "surveys:answer",
    # The officer's own agency's results only, the agency taken from the account
    # (tests/surveys/test_results.py).
    "backoffice:surveys",
    "backoffice:surveys-csv",
    # The key in the path is the credential of an anonymous case's follow-up link; a
    # wrong key is 404 (tests/contact/test_cases.py).
    "contact:follow",
    "contact:follow-file",
    # The portal's OpenID provider: public metadata and keys; the token endpoint
    # authenticates clients by private_key_jwt (tests/federation/).
    "federation:discovery",
    "federation:jwks",
    "federation:token",
    # The company the session acts for, as its director (tests/federation/).
    "federation:systems",
    "federation:vendor-systems",
    "federation:register",
    "federation:representatives",
}
SANDBOX_PROVIDERS = (
    "sandbox_idp:",
    "sandbox_thaid:",
    "sandbox_ndid:",
    "sandbox_card_reader:",
    "registries:",
    "sandbox_bank:",
    "sandbox_card:",
    "sandbox_cgd:",
    "sandbox_messaging:",
)
#: (role, URL name) pairs where the matrix's actor is entitled to the target anyway:
#: platform administrators keep every agency's catalogue (the service editor; what they
#: may do there is tested in tests/backoffice/test_service_editor.py).
ENTITLED = (
    {
        ("platform admin", name)
        for name in (
            "backoffice:service-editor",
            "backoffice:service-review",
            "backoffice:service-history",
            "backoffice:service-transition",
        )
    }
    | {
        # The collection account's statements are reconciled by any finance officer (bank
        # references and amounts, no personal data): tests/payments/test_reconciliation.py.
        ("finance officer of another agency", "backoffice:finance-statement"),
    }
    | {
        # Counter and helpdesk staff follow every agency's complaints (read only; answering,
        # sharing and closing are the agencies'): tests/contact/test_log_and_threads.py.
        (role, name)
        for role in ("counter officer who did not file", "helpdesk officer")
        for name in ("contact:staff-case", "contact:staff-case-file")
    }
)


@dataclass
class Owned:
    """Party A's things, which nobody in the matrix may reach."""

    owner: User
    application: Application
    draft: Application
    licence: Licence
    invoice: Invoice
    receipt: Receipt
    mandate: Mandate
    staff: User
    walk_in: User
    filed: Application
    bundle: Bundle
    refund: Refund
    statement: StatementImport
    verification: ContactVerification
    case: Case
    case_message: Message
    application_message: Message
    chat: ChatSession
    export: Export
    approval: SystemUserApproval
    representation: ClientRepresentation


@pytest.fixture
def owned() -> Owned:
    owner = ApplicantFactory(full_name_th="นางเจ้าของ ข้อมูลลับ")
    service = ServiceFactory()
    issued = journeys.issued(service, owner)
    application = journeys.submitted(service, owner)
    draft = journeys.start(service, owner)
    invoice = Invoice.objects.get(application=issued)
    counter = StaffFactory(roles=[StaffRole.COUNTER_OFFICER])
    walk_in = ApplicantFactory()
    CounterProofing.objects.create(account=walk_in, method="chip", ial="2.3", officer=counter)
    filed = journeys.fill(
        journeys.services.start_application(service, walk_in, party=walk_in.party, filed_by=counter)
    )
    case = contact.file_case(
        contact.Filing(
            kind="complaint",
            category="delay",
            subject="เรื่องร้องเรียนของเจ้าของ",
            body="ล่าช้า",
            application=application,
        ),
        person=owner,
        attachment=journeys.pdf_upload("evidence.pdf"),
    )
    staff = OfficerFactory(agency=service.agency)
    live_chat.mark_available(staff)
    session = live_chat.start(owner, topic="แชตของเจ้าของ", service=service)
    live_chat.post(session, owner, "ข้อความลับในแชต")
    return Owned(
        chat=session,
        case=case,
        case_message=case.messages.get(),
        application_message=contact.post_application_message(
            application, "คำถาม", author=owner, attachment=journeys.pdf_upload("q.pdf")
        ),
        owner=owner,
        application=application,
        draft=draft,
        licence=issued.licence,  # type: ignore[arg-type]
        invoice=invoice,
        receipt=invoice.receipt,
        mandate=give_mandate(owner, ApplicantFactory()),
        staff=staff,
        walk_in=walk_in,
        filed=filed,
        bundle=_bundle_of(owner, draft),
        refund=_refund_of(invoice),
        statement=_statement(),
        verification=notifications.start_verification(owner, "mobile", "0812345678"),
        export=_export(),
        approval=_approval_of(owner, service),
        representation=_representation_of(owner, service),
    )


def _approval_of(owner: User, service: Any) -> SystemUserApproval:
    """A vendor system approved by a company party A directs."""
    company = CompanyFactory(directors=[owner])
    system = register_vendor_system([service])
    return federation.approve(
        system.client, company, actor=owner, services=[service], actions=["prepare", "view"]
    )


def _representation_of(owner: User, service: Any) -> ClientRepresentation:
    """An accountant firm approved by a company party A directs."""
    from bizportal.identity import services as identity
    from bizportal.identity.acting import Acting

    company = CompanyFactory(directors=[owner])
    return identity.approve_representative(
        Acting(owner, company, "director"),
        CompanyFactory(directors=[]),
        services=[service],
        actions=["prepare", "view"],
    )


def _system_user_elsewhere(o: Owned) -> User:
    """The same vendor system, approved by another company for every action: it acts
    with a machine token (``matrix_token``), never a session."""
    director = ApplicantFactory()
    company = CompanyFactory(directors=[director])
    client = o.approval.client
    client.requested_actions = ["prepare", "submit", "pay", "view", "receive"]
    client.save(update_fields=["requested_actions"])
    approval = federation.approve(
        client,
        company,
        actor=director,
        services=list(client.requested_services.all()),
        actions=client.requested_actions,
    )
    user = client.system_user
    assert user is not None
    user.matrix_token = federation.issue_machine_token(approval, "applications")["access_token"]  # type: ignore[attr-defined]
    return user


def _export() -> Export:
    """A finished report file of another executive's: only its requester downloads it."""
    import uuid

    from django.core.files.base import ContentFile

    export = Export(
        public_id=uuid.uuid4(),
        requested_by=StaffFactory(roles=[StaffRole.EXECUTIVE]),
        report="volumes",
        file_format="csv",
        parameters={"start": "2026-01-01", "end": "2026-06-30"},
        language="th",
        status="done",
        progress=100,
    )
    export.file.save(f"{export.public_id}/volumes.csv", ContentFile(b"secret"), save=False)
    export.save()
    return export


def _refund_of(invoice: Invoice) -> Refund:
    """A refund of party A's invoice, asked by a finance officer of its agency."""
    maker = OfficerFactory(agency=invoice.application.agency, roles=[StaffRole.FINANCE])
    return refunds.request_refund(
        invoice, amount=invoice.amount, reason_code="other", note="matrix", actor=maker
    )


def _statement() -> StatementImport:
    import datetime as dt

    return StatementImport.objects.create(
        sha256="0" * 64,
        filename="matrix.csv",
        format="csv",
        provider="sandbox",
        from_date=dt.date(2026, 1, 1),
        to_date=dt.date(2026, 1, 1),
    )


def _bundle_of(owner: User, draft: Application) -> Bundle:
    """An advisor bundle of party A's, holding its draft."""
    bundle = Bundle.objects.create(applicant=owner, party=owner.party, answers={"seats": 60})
    BundleItem.objects.create(bundle=bundle, application=draft, order=0)
    return bundle


def targets(o: Owned) -> dict[str, dict[str, Any]]:
    """Path arguments, per URL name, that point at party A's objects."""
    app = {"public_id": o.application.public_id}
    attachment = {**app, "attachment_id": o.application.attachments.first().public_id}  # type: ignore[union-attr]
    mandate = {"public_id": o.mandate.public_id}
    service = {"public_id": o.application.service.public_id}
    return {
        "api-application": app,
        "api-application-documents": app,
        "api-application-submit": {"public_id": o.draft.public_id},
        "api-application-evidence": {"public_id": o.draft.public_id},
        "integrations-package": app,
        "api-application-actions": app,
        "api-application-decision": app,
        "api-invoice": {"public_id": o.invoice.public_id},
        "api-invoice-reissue": {"public_id": o.invoice.public_id},
        "payments:invoice-reissue": {"public_id": o.invoice.public_id},
        "api-mandate": mandate,
        "api-mandate-accept": mandate,
        "api-mandate-decline": mandate,
        "api-mandate-revoke": mandate,
        "payments:invoice": {"public_id": o.invoice.public_id},
        "payments:invoice-slip": {"public_id": o.invoice.public_id},
        "payments:receipt-pdf": {"public_id": o.receipt.public_id},
        "licences:pdf": {"public_id": o.licence.public_id},
        "licences-lifecycle": {"public_id": o.licence.public_id},
        "backoffice:licence": {"public_id": o.licence.public_id},
        "backoffice:licence-act": {"public_id": o.licence.public_id},
        "licences:version-pdf": {"public_id": o.licence.public_id, "version": 1},
        "licences:credential": {"public_id": o.licence.public_id},
        "licences:version-credential": {"public_id": o.licence.public_id, "version": 1},
        "licences-credential": {"public_id": o.licence.public_id},
        "backoffice:counter-person": {"public_id": o.walk_in.public_id},
        "backoffice:counter-printout": {"public_id": o.filed.public_id},
        "backoffice:staff-edit": {"public_id": o.staff.public_id},
        "backoffice:application": app,
        "backoffice:decide": app,
        "backoffice:attachment": attachment,
        "portal:mandate": mandate,
        "portal:mandate-answer": {**mandate, "answer": "revoke"},
        "portal:mandate-pdf": mandate,
        "portal:licence-change": {"public_id": o.licence.public_id, "kind": "amend"},
        "portal:application": app,
        "portal:application-edit": {"public_id": o.draft.public_id},
        "portal:application-check": {"public_id": o.draft.public_id},
        "portal:application-submitted": app,
        "portal:application-sign": app,
        "portal:application-discard": {"public_id": o.draft.public_id},
        "portal:attachment": attachment,
        "advisor:bundle": {"public_id": o.bundle.public_id},
        "reports:export-status": {"public_id": o.export.public_id},
        "reports:export-download": {"public_id": o.export.public_id},
        "notifications:contact-verify": {"public_id": o.verification.public_id},
        "backoffice:service-editor": service,
        "backoffice:service-review": service,
        "backoffice:service-history": service,
        "backoffice:service-transition": service,
        "backoffice:finance-invoice": {"public_id": o.invoice.public_id},
        "backoffice:finance-refund": {"public_id": o.refund.public_id},
        "backoffice:finance-refund-receipt": {"public_id": o.refund.public_id},
        "backoffice:finance-statement": {"public_id": o.statement.public_id},
        "contact:case": {"public_id": o.case.public_id},
        "contact:case-file": {
            "public_id": o.case.public_id,
            "message_id": o.case_message.public_id,
        },
        "contact:staff-case": {"public_id": o.case.public_id},
        "contact:staff-case-act": {"public_id": o.case.public_id},
        "contact:staff-case-file": {
            "public_id": o.case.public_id,
            "message_id": o.case_message.public_id,
        },
        "contact:application-message": app,
        "contact:application-file": {**app, "message_id": o.application_message.public_id},
        "contact:officer-application-message": app,
        "contact:officer-application-file": {
            **app,
            "message_id": o.application_message.public_id,
        },
        "contact:chat-session": {"public_id": o.chat.public_id},
        "contact:staff-chat": {"public_id": o.chat.public_id},
        "federation:approve": {"public_id": o.approval.client.public_id},
        "federation:revoke": {"public_id": o.approval.public_id},
        # party A's vendor system (its vendor has no director in the matrix)
        "federation:rotate-keys": {"public_id": o.approval.client.public_id},
        "federation:representative-revoke": {"public_id": o.representation.public_id},
    }


def routes() -> Iterator[tuple[str, str]]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), namespace + (pattern.name or "")

    for route, name in walk(get_resolver().url_patterns, "", ""):
        if not route.startswith("admin/") and not name.startswith(SANDBOX_PROVIDERS):
            yield route, name


def path_for(route: str, arguments: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(arguments[m.group(1)]), route)


def actors(o: Owned) -> dict[str, User | None]:
    """Everyone who is not entitled: including a delegate of party A whose mandate is for
    another service, and staff of every role from another agency (or none)."""
    elsewhere = AgencyFactory()
    narrow = ApplicantFactory()
    give_mandate(o.owner, narrow, services=[ServiceFactory()], actions=["prepare"])
    return {
        "anonymous": None,
        "another entrepreneur": ApplicantFactory(),
        "delegate for another service": narrow,
        "counter officer who did not file": StaffFactory(roles=[StaffRole.COUNTER_OFFICER]),
        "helpdesk officer": StaffFactory(roles=[StaffRole.HELPDESK]),
        "agency IT of another agency": OfficerFactory(
            agency=elsewhere, roles=[StaffRole.AGENCY_IT], is_staff=True
        ),
        "officer of another agency": OfficerFactory(agency=elsewhere),
        "supervisor of another agency": OfficerFactory(
            agency=elsewhere, roles=[StaffRole.AGENCY_SUPERVISOR]
        ),
        "admin of another agency": OfficerFactory(agency=elsewhere, roles=[StaffRole.AGENCY_ADMIN]),
        "executive": StaffFactory(roles=[StaffRole.EXECUTIVE]),
        "finance officer of another agency": OfficerFactory(
            agency=elsewhere, roles=[StaffRole.FINANCE]
        ),
        "platform admin": StaffFactory(
            roles=[StaffRole.PLATFORM_ADMIN], is_superuser=True, is_staff=True
        ),
        "system user approved by another company": _system_user_elsewhere(o),
    }


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(Application.objects.values_list("pk", "status", "updated_at")),
        sorted(Mandate.objects.values_list("pk", "status")),
        sorted(SystemUserApproval.objects.values_list("pk", "revoked_at")),
        sorted(ClientRepresentation.objects.values_list("pk", "revoked_at")),
        sorted(FederatedClient.objects.values_list("pk", "jwks")),
        sorted(Licence.objects.values_list("pk", "status", "version")),
        sorted(Invoice.objects.values_list("pk", "status")),
        sorted(Refund.objects.values_list("pk", "state")),
        sorted(User.objects.values_list("pk", "is_active")),
        DomainEvent.objects.count(),
        sorted(ContactVerification.objects.values_list("pk", "attempts", "closed_at")),
        sorted(Case.objects.values_list("pk", "status", "escalated_at")),
        Message.objects.count(),
    )


def refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and ("/login/" in location)


def test_every_endpoint_refuses_every_role_on_another_partys_objects(owned: Owned) -> None:
    table = targets(owned)
    unmapped = [
        (route, name)
        for route, name in routes()
        if "<" in route and name not in table and name not in PUBLIC_OR_OWN
    ]
    assert not unmapped, f"give these a target in the matrix, or list them as public: {unmapped}"
    everyone = actors(owned)
    before = snapshot()
    secrets = [owned.owner.full_name_th, owned.application.reference or "", owned.licence.number]
    failures = []
    for role, user in everyone.items():
        client = Client()
        if getattr(user, "matrix_token", ""):
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {user.matrix_token}"  # type: ignore[union-attr]
        elif user is not None:
            client.force_login(user)
        for route, name in routes():
            if name not in table or (role, name) in ENTITLED:
                continue
            path = path_for(route, table[name])
            for method in ("get", "post", "patch", "delete"):
                response = getattr(client, method)(path)
                body = b"".join(response) if response.streaming else response.content
                leaked = [s for s in secrets if s and s.encode() in body]
                if not refused(response) or leaked:
                    failures.append((role, method.upper(), path, response.status_code, leaked))
    assert not failures, "\n".join(map(str, failures))
    assert snapshot() == before


def test_the_matrix_reaches_what_the_owner_may(owned: Owned) -> None:
    """The same targets are open to the owner (so the refusals above are about who
    asks, not broken paths)."""
    client = Client()
    client.force_login(owned.owner)
    table = targets(owned)
    for name in (
        "portal:application",
        "portal:attachment",
        "api-application",
        "api-invoice",
        "payments:invoice",
        "payments:invoice-slip",
        "payments:receipt-pdf",
        "licences:pdf",
        "licences:credential",
        "licences-credential",
        "portal:mandate",
        "contact:case",
        "contact:case-file",
        "contact:application-file",
        "contact:chat-session",
    ):
        route = next(route for route, n in routes() if n == name)
        assert client.get(path_for(route, table[name])).status_code == 200, name
