"""Every read of personal data by staff leaves exactly one audit row per request.

The URL list is read from the URL configuration (as in the authorisation matrix): every
route is either a staff read below, with the member of staff entitled to it, or listed
as not a staff read of personal data, with why. A new page or endpoint fails here until
someone decides which. The admin's screens are walked the same way from its registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.advisor.models import Bundle
from bizportal.applications import services
from bizportal.applications.models import Application
from bizportal.core.admin import AuditedReadsAdmin
from bizportal.core.audit import verify_chain
from bizportal.core.models import AuditEvent
from bizportal.identity.models import CounterProofing, StaffRole, User
from bizportal.payments import refunds
from bizportal.payments.models import Invoice, Receipt, Refund
from tests import journeys
from tests.factories import ApplicantFactory, OfficerFactory, ServiceFactory, StaffFactory
from tests.test_authorization_matrix import SANDBOX_PROVIDERS, path_for, routes

pytestmark = pytest.mark.django_db

POST_ONLY = "a state change (POST), audited by its service"
AGENCY_API = "an agency system's OAuth2 API, audited under the system's name (tests/integrations)"
#: Routes that are not a read of personal data by staff, and why.
NOT_STAFF_READS = {
    "healthz": "no personal data",
    "oauth2-token": "an agency system's token; no personal data",
    "integrations-package-schema": "the package's JSON Schema, no personal data",
    "exchange-data-services": "the data services' descriptions, no personal data",
    "exchange-data-service": "a description (GET); a query (POST) is in the exchange's "
    "signed message log, which the person's data tracker shows",
    "api-application-evidence": "what the exchange will fetch, for the applicant only",
    "integrations-keys": "public keys",
    "integrations-document-link": "an agency system through a signed link; audited as "
    "application.document_viewed (tests/integrations/test_forwarding.py)",
    "integrations-agency-applications": AGENCY_API,
    "integrations-agency-application": AGENCY_API,
    "integrations-agency-document": AGENCY_API,
    "integrations-agency-updates": AGENCY_API,
    "integrations-agency-batches": AGENCY_API,
    "integrations-agency-batch": AGENCY_API,
    "integrations-agency-batch-file": AGENCY_API,
    "integrations-agency-batch-results": AGENCY_API,
    "readyz": "no personal data",
    "privacy:notices": "published notices",
    "privacy:notice": "published notices",
    "privacy:notice-version": "published notices",
    "privacy:accept": "a person's own acceptance",
    "privacy:rights": "a person's own rights page",
    "federation:discovery": "the OpenID provider's public metadata",
    "federation:jwks": "public keys",
    "federation:token": "a client's token; issuing it is audited (federation.token_issued)",
    "federation:authorize": "a person signing in at an agency service (audited)",
    "federation:userinfo": "a service reading the signed-in person's claims (audited)",
    "federation:systems": "a director's own company's approvals",
    "federation:approve": "a director approving for their company (audited as a change)",
    "federation:revoke": POST_ONLY,
    "federation:vendor-systems": "a vendor director's own company's systems (public keys)",
    "federation:register": "a vendor director registering a system (audited as a change)",
    "federation:rotate-keys": POST_ONLY,
    "federation:representatives": "a director's own company's firms (approving is audited)",
    "federation:representative-revoke": POST_ONLY,
    "privacy:export-json": "a person's own data (the export itself is audited)",
    "privacy:export-pdf": "a person's own data (the export itself is audited)",
    "privacy:request": "a person's own request",
    "privacy:objection": "a person's own objection",
    "privacy:tracker": "a person's own accesses (entrepreneurs only, never staff)",
    "privacy:tracker-csv": "a person's own accesses (entrepreneurs only, never staff)",
    "privacy:tracker-pdf": "a person's own accesses (entrepreneurs only, never staff)",
    "privacy:revoke-consent": "a person's own consent (the withdrawal is audited)",
    "privacy:ropa": "processing activities, no personal data (the export is audited)",
    "metrics": "counters and gauges, no personal data",
    "backoffice:mfa": "the staff member's own second-factor enrolment",
    "set_language": "no personal data",
    "api-schema": "no personal data",
    "api-docs": "no personal data",
    "api-services": "the public catalogue",
    "api-categories": "the public catalogue",
    "portal:browse": "the public catalogue",
    "portal:browse-category": "the public catalogue",
    "api-advisor-recommendations": "advice for the answers posted, nothing stored",
    "api-advisor-questions": "the questionnaire",
    "advisor:ask": "the person's own answers, kept in their session",
    "advisor:result": "the person's own answers, kept in their session",
    "advisor:reset": POST_ONLY,
    "advisor:start": POST_ONLY,
    "advisor:bundle": "the person's own bundle of drafts (no staff rule)",
    "api-service": "the public catalogue",
    "licences-verify-number": "public verification, no session (issue 16 item 4)",
    "licences-verify-version": "public verification, no session (issue 16 item 4)",
    "licences-verify-pdf": "public verification, no session (issue 16 item 4)",
    "licences-verify-batch": "public verification of numbers, no holder details",
    "licences-verify-credential": "public verification of a credential the verifier holds",
    "licences-issuer": "an agency's public key and names",
    "licences-status-list": "bits per status index, no names",
    "licences:credential-context": "a published JSON-LD context",
    "licences:payload-schema": "a published JSON Schema",
    "licences-credential": "only the holder's people receive licences (no staff rule); audited",
    "licences:credential": "only the holder's people receive licences (no staff rule); audited",
    "licences:version-credential": "only the holder's people receive licences (no staff "
    "rule); audited",
    "licences:verify": "public verification",
    "licences:verify-number": "public verification",
    "licences:verify-version": "public verification",
    "payments:receipt-verify": "public verification (never the payer)",
    "payments:receipt-verify-number": "public verification (never the payer)",
    "licences:pdf": "only the holder's people receive licences (no staff rule); audited",
    "licences:version-pdf": "only the holder's people receive licences (no staff rule); audited",
    "identity:login": "sign-in protocol",
    "identity:login-with": "sign-in protocol",
    "identity:ndid-start": "sign-in protocol (the node's IdP list)",
    "identity:ndid-wait": "sign-in protocol (this browser's own request)",
    "identity:ndid-callback": "the NDID node's signed callback, not staff",
    "identity:callback": "sign-in protocol",
    "identity:logout": "sign-in protocol",
    "identity:step-up": "sign-in protocol",
    "identity:refresh": "sign-in protocol (the person's own account)",
    "payments:callback": "the provider's signed callback, not staff",
    "portal:home": "public",
    "portal:services": "public",
    "portal:service": "public",
    "catalog:catalogue": "the public catalogue (RDF)",
    "catalog:catalogue-document": "the public catalogue (RDF)",
    "opendata:index": "open data: the list of monthly statistics files",
    "opendata:file": "open data: anonymised counts, small cells suppressed",
    "catalog:agency": "the public catalogue (RDF)",
    "catalog:service-document": "the public catalogue (RDF)",
    "catalog:event": "the public catalogue (RDF)",
    "catalog:scheme": "the public catalogue (RDF)",
    "catalog:concept": "the public catalogue (RDF)",
    "portal:apply": POST_ONLY,
    "payments:invoice-reissue": POST_ONLY,
    "api-invoice-reissue": POST_ONLY,
    "portal:account": "the person's own account (entrepreneurs)",
    "portal:acting": "the person's own parties (entrepreneurs)",
    "portal:acting-refresh": POST_ONLY,
    "portal:mandates": "the person's own mandates (entrepreneurs)",
    "portal:mandate": "a mandate of the person's own (entrepreneurs)",
    "portal:mandate-answer": POST_ONLY,
    "portal:mandate-pdf": "the written mandate, for its grantor's side and delegate only "
    "(no staff rule); audited as identity.mandate_document_downloaded",
    "portal:mandate-verify": "public verification (no names by reference); every file "
    "check audited (tests/portal/test_written_mandates.py)",
    "portal:mandate-verify-reference": "public verification: status, period and scope, "
    "never the grantor's or delegate's names",
    "portal:licence-change": POST_ONLY,
    "portal:application-sign": POST_ONLY,
    "portal:application-discard": POST_ONLY,
    "api-applications": "the acting party's own applications (entrepreneurs only)",
    "api-mandates": "the acting party's own mandates (entrepreneurs only)",
    "api-mandate": "a mandate of the person's own (entrepreneurs)",
    "api-mandate-accept": POST_ONLY,
    "api-mandate-decline": POST_ONLY,
    "api-mandate-revoke": POST_ONLY,
    "api-application-documents": POST_ONLY,
    "api-application-submit": POST_ONLY,
    "api-application-decision": POST_ONLY,
    "api-application-actions": "step names and action labels, no personal data",
    "backoffice:login": "sign-in",
    "backoffice:home": "a redirect to the role's first page",
    "backoffice:helpdesk": "an empty form (GET); a look-up (POST) records one "
    "application.looked_up_by_helpdesk per application shown, with the typed reason "
    "(tests/backoffice/test_helpdesk.py)",
    "backoffice:statistics": "aggregates only (counts and durations per agency)",
    "backoffice:connections": "connection health: endpoint addresses and probe results, no "
    "person (still recorded as connections.viewed)",
    "reports:index": "the list of reports the viewer may open",
    "reports:dashboard": "aggregates only (counts, durations and amounts), no person",
    "reports:export": "the dashboard's aggregates as a file, no person (audited: report.exported)",
    "reports:export-status": "the requester's own export: its state and progress",
    "reports:export-download": "the requester's own file of aggregates (audited)",
    "backoffice:surveys-csv": "survey aggregates of the officer's agency; no free texts",
    "surveys:answer": "a person answering a survey through their own signed link",
    "backoffice:staff-new": "an empty form",
    "backoffice:decide": POST_ONLY,
    "backoffice:licence-act": POST_ONLY,
    "licences-lifecycle": POST_ONLY,
    "backoffice:services": "the agency's services and their revisions' states, no names",
    "backoffice:service-transition": POST_ONLY,
    "backoffice:finance-refunds": "invoice numbers, amounts and staff names; no payer",
    "backoffice:finance-statements": "statement files and daily counts, no personal data",
    "backoffice:finance-statement": "bank references, amounts and invoice numbers, no names",
    "backoffice:finance-payment-files": "bill-payment references and amounts, no names",
    "backoffice:finance-report": "aggregates per agency and channel; refund numbers, no names",
    "backoffice:finance-report-xlsx": "aggregates per agency and channel; refund numbers",
    "backoffice:finance-report-pdf": "aggregates per agency and channel; refund numbers",
    "notifications:inbox": "the person's own inbox",
    "notifications:inbox-read": POST_ONLY,
    "notifications:contact": "the person's own contact details and preferences",
    "notifications:contact-change": POST_ONLY,
    "notifications:contact-verify": "the person's own pending code (another's is 404)",
    "notifications:line-link": POST_ONLY,
    "notifications:line-callback": "LINE Login's answer about the person's own account",
    "notifications:line-unlink": POST_ONLY,
    "notifications:sms-receipt": "the SMS gateway's signed receipt, not staff",
    "contact:contact": "the agencies' public contact details",
    "contact:new": "an empty form (filing is a POST audited by its service)",
    "contact:cases": "the person's own cases (entrepreneurs)",
    "contact:case": "a case of the person's own (no staff rule)",
    "contact:case-file": "a file of the person's own case (no staff rule); audited",
    "contact:follow": "the holder of an anonymous case's follow-up link, not staff",
    "contact:follow-file": "the holder of an anonymous case's follow-up link; audited",
    "contact:application-message": POST_ONLY,
    "contact:application-file": "the applicant's side of the thread; every download is "
    "audited as contact.file_viewed",
    "contact:helpdesk-new": "an empty form",
    "contact:staff-case-act": POST_ONLY,
    "contact:chat": "the person's own chat form (a chat started is audited by its service)",
    "contact:chat-enquiry": "an empty form (the enquiry is a POST audited by its service)",
    "contact:chat-session": "a chat of the person's own (no staff rule)",
    "contact:chat-desk": "the officer's own presence, the queue's length and the topics of "
    "the chats they answer (no names)",
    "contact:officer-application-message": POST_ONLY,
}
#: Admin screens without personal data: configuration and published definitions.
ADMIN_WITHOUT_PERSONAL_DATA = {
    "exchange.dataservice",  # what a dataset holds, field names and labels only
    "exchange.missionrule",  # which agency may obtain which fields, by law
    "exchange.sharingagreement",  # agencies' agreements: purpose, fields, law, retention
    "exchange.documentsource",  # which document comes from which data service
    "integrations.integrationversion",  # endpoints, mappings: configuration only
    "exchange.agencysystem",  # an agency's system and its OAuth2 client id
    "django_tasks_database.dbtaskresult",  # task arguments are ids, not personal data
    "catalog.agency",
    "catalog.service",
    "catalog.harvestrun",  # the harvest log: catalogue records, no personal data
    "catalog.harvestrecord",
    "core.auditcheckpoint",
    "rules.decisiondefinition",
    "rules.decisionversion",
    "workflow.processdefinition",
    "workflow.processversion",
    "auth.group",
    "django_rq.dashboard",  # queue statistics
    "privacy.privacynotice",  # the notices' texts
    "catalog.category",  # the catalogue's groupings
    "catalog.synonym",  # search words
    "advisor.question",  # the advisor's questionnaire
    "advisor.recommendation",
    "advisor.prerequisite",
    "payments.statementimport",  # a bank statement file: name, dates, channel
    "payments.statementline",  # bank references and amounts, no names
    "payments.paymentissue",  # a flagged payment: provider references and amounts, no names
    "payments.paymentterms",  # days an invoice stays payable, per service
    "payments.servicepaymentoptions",  # which channels a service takes: configuration
    "service_levels.specialday",  # the holiday calendar's cabinet-announced days
    "notifications.messagetemplate",  # message texts with {{ variables }}, no one's data
    "surveys.survey",  # a service's questionnaire
    "surveys.surveyversion",
    "reports.refreshmark",  # when the report aggregates were refreshed
}


@dataclass
class Read:
    """Who reads, at which path arguments, what the audit row says."""

    reader: str
    arguments: dict[str, Any]
    action: str
    shows: str  # the id the row must name (object id or among the list's ids)


@dataclass
class World:
    officer: User
    counter: User
    agency_admin: User
    application: Application
    walk_in: User
    filed: Application
    filed_draft: Application
    invoice: Invoice
    receipt: Receipt
    finance: User
    refund: Refund


@pytest.fixture
def world() -> World:
    service = ServiceFactory()
    # Integration settings, so the package preview has something to show.
    from bizportal.integrations.services import publish_integration

    publish_integration(service, mode="backoffice")
    # A forwarding in a batch, so their admin screens have records to open.
    from bizportal.integrations.batches import build_all
    from tests.integrations.conftest import forwarded_service

    journeys.submitted(forwarded_service("batch"))
    build_all(timezone.localdate())
    application = journeys.submitted(service, ApplicantFactory(full_name_th="นางอ่าน ข้อมูล"))
    officer = OfficerFactory(agency=service.agency)
    counter = StaffFactory(roles=[StaffRole.COUNTER_OFFICER])
    walk_in = ApplicantFactory()
    CounterProofing.objects.create(account=walk_in, method="chip", ial="2.3", officer=counter)

    def file() -> Application:
        return journeys.fill(
            services.start_application(service, walk_in, party=walk_in.party, filed_by=counter)
        )

    filed = services.submit(file(), actor=counter, accept_terms=True)
    filed = journeys.pay(journeys.approve_everything(filed))
    invoice = Invoice.objects.get(application=filed)
    # An advisor bundle, so its admin screen has a record to open.
    Bundle.objects.create(
        applicant=application.applicant, party=application.party, answers={"seats": 60}
    )
    return World(
        officer=officer,
        counter=counter,
        agency_admin=OfficerFactory(agency=service.agency, roles=[StaffRole.AGENCY_ADMIN]),
        application=application,
        walk_in=walk_in,
        filed=filed,
        filed_draft=file(),
        invoice=invoice,
        receipt=invoice.receipt,
        finance=OfficerFactory(agency=service.agency, roles=[StaffRole.FINANCE]),
        refund=_completed_refund(invoice),
    )


def _completed_refund(invoice: Invoice) -> Refund:
    """A refund of the invoice, asked, approved and confirmed (as the bank's answer)."""
    agency = invoice.application.agency
    maker = OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    refund = refunds.request_refund(
        invoice, amount=invoice.amount, reason_code="other", note="audit", actor=maker
    )
    refunds.decide_refund(
        refund, approve=True, actor=OfficerFactory(agency=agency, roles=[StaffRole.FINANCE])
    )
    return refunds._record_answer(refund.pk, "completed", "SBRAUDIT", "refunded", None)


def _chat_of(w: World) -> Any:
    """A live chat of the world's applicant with the officer's agency (made once)."""
    made = w.__dict__.get("_chat")
    if made is None:
        from bizportal.contact import chat

        chat.mark_available(w.officer)
        made = w.__dict__["_chat"] = chat.start(
            w.application.applicant, topic="สอบถาม", service=w.application.service
        )
    return made


def _exchange_entry(w: World) -> Any:
    """A request the agency made through the exchange (written to the log directly)."""
    from bizportal.exchange import log

    return log.append(
        consumer_agency=w.officer.agency.code,
        consumer_system="backoffice",
        officer=w.officer,
        officer_name=w.officer.display_name,
        data_service="civil-person",
        provider="dopa",
        subject_id=w.application.party.key,
        purpose={"step": "review"},
        basis="mission",
        fields_requested=["full_name_th"],
        fields_returned=["full_name_th"],
        outcome="answered",
    )


def _survey_answer(w: World) -> Any:
    """An answer with a comment to the survey of the world's service."""
    from bizportal.surveys import services as surveys
    from tests.surveys.conftest import GOOD, design, invitation_for

    design(w.application.service)
    return surveys.answer(invitation_for(w.application.service), GOOD)


def _licence_of_the_agency(w: World) -> Any:
    """A licence the world's officer's agency issued (for its licence page)."""
    from bizportal.licences.models import Licence

    issued = Licence.objects.filter(agency_id=w.officer.agency_id).first()
    return issued or journeys.issued(w.application.service, ApplicantFactory()).licence


def staff_reads(w: World) -> dict[str, Read]:
    app = {"public_id": w.application.public_id}
    ref = str(w.application.public_id)
    attachment = w.application.attachments.first()
    filed_attachment = w.filed.attachments.first()
    licence = _licence_of_the_agency(w)
    assert attachment is not None and filed_attachment is not None
    return {
        "backoffice:worklist": Read("officer", {}, "applications.listed", ref),
        "reports:applications": Read("finance", {}, "reports.applications_listed", ref),
        "backoffice:application": Read("officer", app, "application.viewed", ref),
        "backoffice:licence": Read(
            "officer",
            {"public_id": licence.public_id},
            "licence.viewed",
            str(licence.public_id),
        ),
        "backoffice:attachment": Read(
            "officer",
            {**app, "attachment_id": attachment.public_id},
            "application.document_viewed",
            ref,
        ),
        "api-worklist": Read("officer", {}, "applications.listed", ref),
        "api-application": Read("officer", app, "application.viewed", ref),
        "integrations-package": Read("officer", app, "integrations.package_viewed", ref),
        "backoffice:counter": Read("counter", {}, "applications.listed", str(w.filed.public_id)),
        "backoffice:counter-person": Read(
            "counter",
            {"public_id": w.walk_in.public_id},
            "identity.viewed_at_counter",
            str(w.walk_in.public_id),
        ),
        "backoffice:counter-printout": Read(
            "counter",
            {"public_id": w.filed.public_id},
            "application.printed_at_counter",
            str(w.filed.public_id),
        ),
        "portal:application": Read(
            "counter",
            {"public_id": w.filed.public_id},
            "application.viewed",
            str(w.filed.public_id),
        ),
        "portal:application-edit": Read(
            "counter",
            {"public_id": w.filed_draft.public_id},
            "application.viewed",
            str(w.filed_draft.public_id),
        ),
        "portal:application-check": Read(
            "counter",
            {"public_id": w.filed_draft.public_id},
            "application.viewed",
            str(w.filed_draft.public_id),
        ),
        "portal:application-submitted": Read(
            "counter",
            {"public_id": w.filed.public_id},
            "application.viewed",
            str(w.filed.public_id),
        ),
        "portal:attachment": Read(
            "counter",
            {"public_id": w.filed.public_id, "attachment_id": filed_attachment.public_id},
            "application.document_viewed",
            str(w.filed.public_id),
        ),
        "payments:invoice": Read(
            "counter",
            {"public_id": w.invoice.public_id},
            "invoice.viewed",
            str(w.invoice.public_id),
        ),
        "payments:invoice-slip": Read(
            "counter",
            {"public_id": w.invoice.public_id},
            "invoice.slip_viewed",
            str(w.invoice.public_id),
        ),
        "api-invoice": Read(
            "counter",
            {"public_id": w.invoice.public_id},
            "invoice.viewed",
            str(w.invoice.public_id),
        ),
        "payments:receipt-pdf": Read(
            "counter",
            {"public_id": w.receipt.public_id},
            "receipt.downloaded",
            str(w.receipt.public_id),
        ),
        # The editor's pages name the staff who wrote and reviewed each revision.
        **{
            f"backoffice:service-{page}": Read(
                "agency_admin",
                {"public_id": w.application.service.public_id},
                f"catalog.service_{page}_viewed",
                str(w.application.service.public_id),
            )
            for page in ("editor", "review", "history")
        },
        "backoffice:staff": Read("agency_admin", {}, "staff.listed", str(w.officer.public_id)),
        "backoffice:finance-invoice": Read(
            "finance",
            {"public_id": w.invoice.public_id},
            "invoice.viewed",
            str(w.invoice.public_id),
        ),
        "backoffice:finance-refund": Read(
            "finance", {"public_id": w.refund.public_id}, "refund.viewed", str(w.refund.public_id)
        ),
        "backoffice:finance-refund-receipt": Read(
            "finance",
            {"public_id": w.refund.public_id},
            "refund.receipt_downloaded",
            str(w.refund.public_id),
        ),
        "backoffice:exchange-log": Read(
            "agency_admin", {}, "exchange.log_viewed", str(_exchange_entry(w).pk)
        ),
        # The results page shows the latest free-text answers (people may write anything).
        "backoffice:surveys": Read(
            "officer", {}, "surveys.results_viewed", str(_survey_answer(w).public_id)
        ),
        "backoffice:staff-edit": Read(
            "agency_admin",
            {"public_id": w.officer.public_id},
            "staff.viewed",
            str(w.officer.public_id),
        ),
        **_contact_reads(w),
    }


def _contact_reads(w: World) -> dict[str, Read]:
    """A complaint about the world's application (with a file), and a question on the
    application's thread: made once per world."""
    made = w.__dict__.get("_contact")
    if made is None:
        from bizportal.contact import services as contact

        case = contact.file_case(
            contact.Filing(
                kind="complaint",
                category="delay",
                subject="ล่าช้า",
                body="ยังไม่ได้รับการติดต่อ",
                application=w.application,
            ),
            person=w.application.applicant,
            attachment=journeys.pdf_upload("evidence.pdf"),
        )
        question = contact.post_application_message(
            w.application,
            "ต้องส่งอะไรเพิ่ม",
            author=w.application.applicant,
            attachment=journeys.pdf_upload("question.pdf"),
        )
        made = w.__dict__["_contact"] = (case, case.messages.get(), question)
    case, case_message, question = made
    ref = str(w.application.public_id)
    case_ref = str(case.public_id)
    chat = _chat_of(w)
    return {
        "contact:staff-chat": Read(
            "officer", {"public_id": chat.public_id}, "contact.chat_viewed", str(chat.public_id)
        ),
        "contact:staff-cases": Read("officer", {}, "contact.cases_listed", case_ref),
        "contact:staff-case": Read(
            "officer", {"public_id": case.public_id}, "contact.case_viewed", case_ref
        ),
        "contact:staff-case-file": Read(
            "officer",
            {"public_id": case.public_id, "message_id": case_message.public_id},
            "contact.file_viewed",
            case_ref,
        ),
        "contact:log": Read(
            "counter", {}, "contact.log_searched", str(case.entries.get().public_id)
        ),
        "contact:officer-application-file": Read(
            "officer",
            {"public_id": w.application.public_id, "message_id": question.public_id},
            "contact.file_viewed",
            ref,
        ),
    }


def test_every_route_is_a_staff_read_or_says_why_not(world: World) -> None:
    reads = staff_reads(world)
    undecided = [
        (route, name)
        for route, name in routes()
        if name not in reads and name not in NOT_STAFF_READS
    ]
    assert not undecided, f"audit these staff reads, or say why they are not: {undecided}"
    stale = set(reads) | set(NOT_STAFF_READS)
    assert stale <= {name for _, name in routes()}, stale - {name for _, name in routes()}


def test_each_staff_read_writes_one_audit_row_naming_what_was_shown(world: World) -> None:
    readers = {
        "officer": world.officer,
        "counter": world.counter,
        "agency_admin": world.agency_admin,
        "finance": world.finance,
    }
    failures = []
    for route, name in routes():
        read = staff_reads(world).get(name)
        if read is None:
            continue
        client = Client()
        client.force_login(readers[read.reader])
        before = AuditEvent.objects.count()
        response = client.get(path_for(route, read.arguments))
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[arg-type]
        new = list(AuditEvent.objects.order_by("seq")[before:])
        named = [
            e
            for e in new
            if e.action == read.action
            and e.actor_id == readers[read.reader].pk
            and (e.object_id == read.shows or read.shows in e.data.get("ids", []))
        ]
        reads = [e for e in new if e.action == read.action]
        if response.status_code != 200 or len(reads) != 1 or len(named) != 1:
            failures.append((name, response.status_code, [(e.action, e.object_id) for e in new]))
    assert not failures, "\n".join(map(str, failures))
    assert verify_chain()[1] is None


def test_a_list_read_is_one_row_with_the_ids_and_the_filter(world: World) -> None:
    second = journeys.submitted(world.application.service)
    client = Client()
    client.force_login(world.officer)
    before = AuditEvent.objects.count()

    status = world.application.status
    assert client.get(f"/api/v1/applications/worklist/?status={status}&junk=1").status_code == 200

    (event,) = AuditEvent.objects.order_by("seq")[before:]
    assert event.action == "applications.listed"
    assert set(event.data["ids"]) == {str(world.application.public_id), str(second.public_id)}
    assert event.data["count"] == 2
    assert event.data["filter"] == {"status": status}
    assert event.data["via"] == "api"


def test_the_entrepreneur_reading_their_own_application_is_not_a_staff_read(world: World) -> None:
    client = Client()
    client.force_login(world.application.applicant)
    before = AuditEvent.objects.count()

    response = client.get(reverse("api-application", args=[world.application.public_id]))

    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


def test_a_refused_read_writes_nothing(world: World) -> None:
    client = Client()
    client.force_login(OfficerFactory())  # another agency
    before = AuditEvent.objects.count()

    assert (
        client.get(reverse("api-application", args=[world.application.public_id])).status_code
        == 404
    )
    assert client.get(f"/backoffice/applications/{world.application.public_id}/").status_code == 404
    assert AuditEvent.objects.count() == before


def _a_security_alert() -> None:
    """An alert names an address (or an account): the security contact's list."""
    from bizportal.monitoring import detection, services

    rule = next(r for r in detection.RULES if r.name == "password_spraying")
    services.raise_alert(rule, "203.0.113.7", rule.threshold)


def _a_failed_sign_in() -> None:
    """What django-axes keeps of a wrong password: rows with a user name and an address."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {"username": "officer.x", "ip_address": "203.0.113.7", "user_agent": "test"}
    where = {"http_accept": "text/html", "path_info": "/backoffice/login/"}
    AccessAttempt.objects.create(**seen, **where, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**seen, **where)
    AccessFailureLog.objects.create(**seen, **where, locked_out=False)


def _an_identity_conflict() -> None:
    """A person proved by one provider, then contradicted by another (held for review)."""
    import datetime as dt

    from bizportal.identity import services as identity
    from bizportal.identity.providers import SignInError
    from bizportal.registries.client import PersonRecord

    pid = "3101700123452"
    record = PersonRecord(
        pid, "นาง", "สมศรี", "ใจดี", "Mrs", "Somsri", "Jaidee", dt.date(1978, 4, 12)
    )
    claims = {"sub": "s-1", "pid": pid, "given_name": "สมศรี", "family_name": "ใจดี"}
    identity.sign_in_with_digital_id(claims, record, provider="thaid")
    with pytest.raises(SignInError):
        identity.sign_in_with_digital_id({**claims, "family_name": "อื่น"}, record)


def _a_privacy_request() -> None:
    from bizportal.privacy import services as privacy

    privacy.make_request(ApplicantFactory(), "correction", "ชื่อสะกดผิด / my name is misspelt")


def _a_system_approval() -> None:
    from bizportal.federation import services as federation
    from tests.factories import CompanyFactory
    from tests.federation.helpers import register_vendor_system

    service = ServiceFactory()
    director = ApplicantFactory()
    system = register_vendor_system([service])
    federation.approve(
        system.client,
        CompanyFactory(directors=[director]),
        actor=director,
        services=[service],
        actions=["view"],
    )


def _a_notification() -> None:
    """A message and its delivery log (the notifications admin holds addresses and texts)."""
    import uuid

    from bizportal.notifications import catalogue
    from bizportal.notifications import services as notifications

    notifications.notify(
        uuid.uuid4(),
        "status_changed",
        "applicant",
        [notifications.Recipient(user=ApplicantFactory())],
        catalogue.message("status_changed").sample,
    )


def test_every_admin_screen_with_personal_data_audits_its_list_and_its_record(world: World) -> None:
    from bizportal.registries import demo as registries
    from bizportal.sandbox_idp import demo as sandbox_idp

    sandbox_idp.seed()
    sandbox_idp.seed_switches()
    registries.seed()
    _an_identity_conflict()
    root = StaffFactory(roles=[StaffRole.PLATFORM_ADMIN], is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    _a_failed_sign_in()
    _a_security_alert()
    _a_privacy_request()
    _a_notification()
    _survey_answer(world)  # an invitation names a person or an email address
    _a_system_approval()  # a vendor and a company, and the director who approved
    undecided = []
    failures = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if not isinstance(model_admin, AuditedReadsAdmin):
            if label not in ADMIN_WITHOUT_PERSONAL_DATA:
                undecided.append(label)
            continue
        info = (model._meta.app_label, model._meta.model_name)
        before = AuditEvent.objects.count()
        listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        new = list(AuditEvent.objects.order_by("seq")[before:])
        if listing.status_code != 200 or [e.action for e in new] != [f"admin.{label}.listed"]:
            failures.append((label, "list", listing.status_code, [e.action for e in new]))
        first = model._default_manager.order_by("pk").first()
        if first is None:
            failures.append((label, "no record to open"))
            continue
        before = AuditEvent.objects.count()
        record = client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        new = list(AuditEvent.objects.order_by("seq")[before:])
        if record.status_code != 200 or [(e.action, e.object_id) for e in new] != [
            (f"admin.{label}.viewed", str(first.pk))
        ]:
            failures.append((label, "record", record.status_code, [e.action for e in new]))
    assert not undecided, f"audit these admin screens (AuditedReadsAdmin) or list them: {undecided}"
    assert not failures, "\n".join(map(str, failures))


def test_sandbox_provider_routes_are_outside_the_walk() -> None:
    """Their callers are machines with their own credentials, not staff sessions."""
    assert all(not name.startswith(SANDBOX_PROVIDERS) for _, name in routes())
