"""Demo data: every app's loader, in order, idempotent, and the logins printed."""

from __future__ import annotations

from typing import Any

import pytest

from bizportal.backoffice.demo import OFFICER_PASSWORD
from bizportal.catalog.models import Service
from bizportal.core import demo
from bizportal.identity.models import User
from bizportal.sandbox_idp.demo import DEMO_IDENTITIES
from tests.e2e.conftest import WITHOUT


def test_the_catalogue_loads_before_the_people_who_need_it() -> None:
    names = [name for name, _ in demo.loaders()]
    assert {"catalog", "sandbox_idp", "registries", "backoffice"} <= set(names)
    # Officers belong to the agencies of the catalogue.
    assert names.index("catalog") < names.index("backoffice")


def test_a_loader_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):
        demo.loader("catalog", order=99)(lambda: [])


@pytest.mark.django_db
def test_the_people_and_catalogue_loaders_print_logins_and_change_nothing_when_rerun() -> None:
    """What the live-server tests seed (every loader but the demo journeys, which
    ``tests/e2e/conftest.py`` leaves out so the journeys there start from a clean slate)."""
    base = [(name, load) for name, load in demo.loaders() if name not in WITHOUT]
    logins = [login for _, load in base for login in load()]
    counts = (Service.objects.count(), User.objects.count())
    again = [login for _, load in base for login in load()]
    # Six officers, two supervisors, an agency admin, an agency IT officer, two finance
    # officers, a counter officer, a helpdesk officer, an executive and the platform admin.
    assert (Service.objects.count(), User.objects.count()) == counts == (45, 16)
    assert logins == again
    shown = {(login.login, login.password) for login in again}
    assert ("officer.bma", OFFICER_PASSWORD) in shown
    assert (DEMO_IDENTITIES[0].citizen_id, DEMO_IDENTITIES[0].password) in shown
    officer = User.objects.get(username="officer.bma")
    assert officer.agency is not None and officer.agency.code == "bma"
    assert officer.check_password(OFFICER_PASSWORD)
    assert officer.is_officer
    roles = {user.username: set(user.staff_roles) for user in User.objects.all()}
    assert roles["counter.osc"] == {"counter_officer"}
    assert roles["helpdesk.osc"] == {"helpdesk_officer"}
    assert roles["supervisor.diw"] == {"agency_supervisor"}
    assert roles["admin.bma"] == {"agency_admin"}
    assert roles["it.bma"] == {"agency_it"}
    assert User.objects.get(username="it.bma").is_staff
    assert roles["executive"] == {"executive"}
    assert roles["finance.bma"] == roles["finance2.bma"] == {"finance"}
    assert roles["admin"] == {"platform_admin"}


@pytest.mark.django_db(transaction=True)
def test_load_demo_shows_every_state_and_running_it_again_adds_nothing(
    settings: Any, tmp_path: Any
) -> None:
    """``manage.py load_demo`` (every loader, the demo journeys included): each user group
    signs in to something real, applications and licences in every state."""
    import socket
    from io import StringIO

    # The sandbox agency (its own process) on a free port, its files in a temp folder.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.SANDBOX_AGENCY_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.VAR_DIR = tmp_path

    from django.core.management import call_command

    from bizportal.applications.models import Application
    from bizportal.licences.models import Licence
    from bizportal.licences.services import verdict

    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    assert "officer.diw" in printed and DEMO_IDENTITIES[0].citizen_id in printed
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {
        "draft",
        "review",
        "correction",
        "inspection",
        "awaiting_payment",
        "issued",
        "completed",
        "rejected",
    } <= statuses
    assert set(Application.objects.values_list("kind", flat=True)) == {"new", "amend", "cancel"}
    # (the journeys' factory application: the reports' generated history has many more)
    factory = Application.objects.exclude(reference__startswith="BH-").get(
        service__slug="factory-licence"
    )
    assert factory.process is not None
    assert factory.process.version.definition.key == "three_stage_licence"
    assert factory.holder_kind == "juristic"
    # A written mandate (the tour business law needs one), issued as a signed PDF.
    from bizportal.identity.models import Mandate
    from bizportal.portal.written_mandates import check_file

    written = Mandate.objects.get(document_signed_at__isnull=False)
    with written.document.open("rb") as handle:
        assert check_file(handle.read()).ok
    verdicts = {verdict(licence) for licence in Licence.objects.all()}
    assert {"valid", "expired", "cancelled", "revoked"} <= verdicts
    amended = Licence.objects.get(version=2)
    assert verdict(amended, version=1) == "superseded"
    assert Licence.objects.filter(holder_kind="juristic").exists()
    # The data tracker has something to show the first demo person: registry data the
    # BMA obtained under its mission, the FDA under her consent, and a refusal.
    from bizportal.exchange import log
    from bizportal.exchange.models import MessageLogEntry

    seen = MessageLogEntry.objects.filter(subject_id=DEMO_IDENTITIES[0].citizen_id)
    registry = seen.filter(data_service="civil-person")
    assert sorted(registry.values_list("basis", "outcome", "reason")) == [
        ("consent", "answered", ""),
        ("mission", "answered", ""),
        ("none", "refused", "fields_not_allowed"),
    ]
    # Once-only evidence: tax registration fetched, not uploaded, on both bases.
    from bizportal.applications.models import FetchedEvidence

    bases = set(FetchedEvidence.objects.values_list("application__service__slug", "basis"))
    assert bases == {("food-shop-licence", "consent"), ("liquor-sale-licence", "mission")}
    assert seen.filter(data_service="revenue-tax-status", outcome="answered").exists()
    assert log.verify().holds
    # The demo journeys are normal use: no detection rule raised an alert.
    from bizportal.monitoring.models import SecurityAlert

    assert list(SecurityAlert.objects.values_list("rule", "key")) == []
    # Every mission rests on a signed data-sharing agreement the DPO's record lists.
    from bizportal.exchange.models import MissionRule, SharingAgreement

    agreed = set(SharingAgreement.objects.values_list("consumer", "data_service"))
    assert set(MissionRule.objects.values_list("agency", "data_service")) <= agreed
    # The FDA decides in its own system (the sandbox agency): online and by batch,
    # approved, rejected, sent back; one more waits to be sent, one for the batch.
    from bizportal.integrations.models import Forwarding

    forwarded = set(Forwarding.objects.values_list("mode", "state", "decision"))
    assert {
        ("online", "decided", "approve"),
        ("online", "decided", "reject"),
        ("online", "decided", "correct"),
        ("batch", "decided", "approve"),
        ("online", "pending", ""),
        ("batch", "pending", ""),
    } <= forwarded
    # The finance officers' demo: a refund completed at the sandbox bank over HTTP, with
    # its receipt; one waiting for finance.bma to approve; the day's statement imported
    # with a mismatch and an unmatched line to resolve.
    from bizportal.payments.models import Refund, StatementLine

    refunds = {r.state: r for r in Refund.objects.select_related("requested_by")}
    assert set(refunds) == {"completed", "requested"}
    assert refunds["completed"].number and refunds["completed"].sha256
    assert refunds["requested"].requested_by.username == "finance2.bma"
    lines = set(StatementLine.objects.values_list("status", flat=True))
    assert {"matched", "mismatched", "unmatched"} <= lines
    # Invoices that live (issue 10 item 2, 3): the food truck's invoice expired, and a
    # payment of its old QR code arrived late, flagged for finance.bma to refund.
    from bizportal.payments.models import Invoice, PaymentIssue

    expired = Invoice.objects.get(status="expired")
    assert expired.application.status == "awaiting_payment"
    [flagged] = PaymentIssue.objects.all()
    assert (flagged.kind, flagged.state, flagged.invoice) == ("late", "open", expired)
    assert flagged.agency.code == "bma"
    # Every application at its agency has a service-level clock; the worklist of the
    # busiest agency shows one overdue and (at least) one at risk.
    from bizportal.service_levels.models import Clock

    at_agency = Application.objects.exclude(status__in=["draft", "awaiting_signature"])
    assert not at_agency.filter(sla_clock__isnull=True).exists()
    # (open clocks: the reports' generated history has stopped clocks, some of them late)
    states = list(Clock.objects.filter(stopped_at__isnull=True).values_list("state", flat=True))
    assert states.count("at_risk") >= 1 and states.count("breached") == 1, states
    # Notifications: the first demo person verified her mobile by a code texted through
    # the sandbox SMS gateway, and her inbox holds the journeys' messages.
    from bizportal.notifications.contrib.sandbox.models import SandboxSms
    from bizportal.notifications.models import ContactPreference, InboxMessage

    somsri = User.objects.get(citizen_id=DEMO_IDENTITIES[0].citizen_id)
    assert InboxMessage.objects.filter(user=somsri).count() >= 3
    pref = ContactPreference.objects.get(user=somsri)
    assert pref.mobile and pref.mobile_verified_at is not None
    assert SandboxSms.objects.filter(to=pref.mobile).exists()
    # Satisfaction surveys: the demo services' surveys are live, the journeys' licences
    # invited their applicants, and the answers fill the results page; the first demo
    # person's invitations stay open for her to answer.
    from bizportal.surveys.models import Invitation, Response, SurveyVersion

    assert SurveyVersion.objects.filter(status="live").count() == 5
    # (a cancellation points to its licence but issues none: no survey after it)
    issued = Application.objects.filter(
        licence__isnull=False, survey_invitations__isnull=True
    ).exclude(kind="cancel")
    assert not issued.filter(service__survey__isnull=False).exists()
    assert Response.objects.count() >= 3
    assert Invitation.objects.filter(answered_at__isnull=True).count() == (
        Invitation.objects.filter(user=somsri).count()
    )
    # Complaints in several states, one escalated past its due date; the helpdesk's log.
    from bizportal.contact.models import Case, ContactEntry

    assert set(Case.objects.values_list("status", flat=True)) == {"open", "answered", "closed"}
    assert Case.objects.filter(escalated_at__isnull=False).count() == 1
    assert Case.objects.filter(routing__role="shared").exists()
    # An accountant firm acts for Somsri's company as its client representative.
    from bizportal.identity.acting import grounds
    from bizportal.identity.models import ClientRepresentation

    representation = ClientRepresentation.objects.get(revoked_at__isnull=True)
    malee = User.objects.filter(citizen_id=DEMO_IDENTITIES[2].citizen_id).first()
    malee = malee or User.objects.create(
        username="malee", role=User.Role.APPLICANT, citizen_id=DEMO_IDENTITIES[2].citizen_id
    )
    acting = grounds(malee, representation.client)
    assert acting is not None and acting.basis == "firm" and acting.may("prepare")
    assert {"walk_in", "chat", "hotline", "web"} <= set(
        ContactEntry.objects.values_list("channel", flat=True)
    )
    counts = (
        Application.objects.count(),
        Licence.objects.count(),
        seen.count(),
        Refund.objects.count(),
        StatementLine.objects.count(),
        SandboxSms.objects.count(),
        Invitation.objects.count(),
        Response.objects.count(),
        Case.objects.count(),
        PaymentIssue.objects.count(),
    )
    call_command("load_demo", stdout=StringIO())
    assert (
        Application.objects.count(),
        Licence.objects.count(),
        seen.count(),
        Refund.objects.count(),
        StatementLine.objects.count(),
        SandboxSms.objects.count(),
        Invitation.objects.count(),
        Response.objects.count(),
        Case.objects.count(),
        PaymentIssue.objects.count(),
    ) == counts
