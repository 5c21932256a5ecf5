"""The service editor's pages: an agency admin edits a service's manual through the
form a browser would send, a supervisor reviews the diff and publishes it, and the
history keeps every revision."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bizportal.catalog import services
from bizportal.catalog.models import Service, ServiceRevision
from bizportal.core.models import AuditEvent
from bizportal.identity.models import User
from tests.factories import AgencyStaff as Agency
from tests.factories import (
    ServiceFactory,
    agency_with_staff,
)

pytestmark = pytest.mark.django_db
State = ServiceRevision.State


class FormReader(HTMLParser):
    """The fields of the page's editor form as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self.in_form = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "action" not in a:
            self.in_form = True
        if not self.in_form or not a.get("name"):
            if tag == "option" and self._select and "selected" in a:
                self.data[self._select] = a.get("value")
            return
        name = a["name"] or ""
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.data.setdefault(name, []).append(a.get("value"))
        elif tag == "input" and a.get("type") != "submit":
            self.data[name] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""
        elif tag == "select":
            self._select = name

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.in_form = False


def form_of(response: Any) -> dict[str, Any]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.data


@pytest.fixture
def agency() -> Agency:
    return agency_with_staff()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_url(service: Service, page: str = "editor") -> str:
    return reverse(f"backoffice:service-{page}", args=[service.public_id])


def start(client: Client, service: Service) -> dict[str, Any]:
    response = client.post(editor_url(service, "transition"), {"action": "start"})
    assert response.status_code == 302
    return form_of(client.get(editor_url(service)))


def test_an_admin_edits_and_a_supervisor_publishes(agency: Agency) -> None:
    admin = client_for(agency.admin)
    form = start(admin, agency.service)
    assert form["name_th"] == agency.service.name_th
    assert form["steps-0-th"] == agency.service.steps[0]["th"]

    form["name_en"] = "Licence for a speciality coffee shop"
    form["summary_th"] = "ร้านกาแฟ\r\nบรรทัดที่สอง"
    form["documents-0-name_en"] = "A renamed document"
    form["action"] = "submit"
    response = admin.post(editor_url(agency.service), form)
    assert response.status_code == 302, response.content.decode()[:2000]

    supervisor = client_for(agency.supervisor)
    review = supervisor.get(editor_url(agency.service, "review"))
    page = review.content.decode()
    assert review.status_code == 200
    assert 'data-field="name_en"' in page and 'data-field="documents"' in page
    assert 'data-field="steps"' not in page  # untouched fields are not in the diff
    assert "Licence for a speciality coffee shop" in page
    revision = ServiceRevision.objects.get(service=agency.service)
    response = supervisor.post(
        editor_url(agency.service, "transition"),
        {"action": "approve", "revision": revision.public_id, "note": "ok"},
    )
    assert response.status_code == 302
    assert response["Location"] == editor_url(agency.service, "history")

    service = Service.objects.get(pk=agency.service.pk)
    assert service.name_en == "Licence for a speciality coffee shop"
    assert service.summary_th == "ร้านกาแฟ\nบรรทัดที่สอง"
    assert service.documents.filter(kind="").first().name_en == "A renamed document"  # type: ignore[union-attr]
    found = Client().get(reverse("portal:services"), {"q": "speciality coffee"})
    assert service.name_th in found.content.decode()


def test_errors_are_shown_by_their_fields_and_nothing_is_saved(agency: Agency) -> None:
    admin = client_for(agency.admin)
    form = start(admin, agency.service)
    revision = ServiceRevision.objects.get(service=agency.service)
    form.update(
        {
            "name_th": "",
            "contact_email": "not an email",
            "fee_items-0-th": "ค่าธรรมเนียม",
            "fee_items-0-en": "Fee",
            "fee_items-0-amount": "ห้าร้อย",
            "action": "save",
        }
    )

    response = admin.post(editor_url(agency.service), form)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in page and 'href="#f-name_th"' in page
    assert "กรุณากรอกช่องนี้" in page
    assert "อีเมลไม่ถูกต้อง" in page
    assert "จำนวนเงินต้องเป็นบาท" in page
    assert 'aria-describedby="e-contact_email"' in page
    assert 'value="not an email"' in page  # what was typed is kept
    assert ServiceRevision.objects.get(pk=revision.pk).content == revision.content


def test_rows_are_added_removed_and_reordered(agency: Agency) -> None:
    admin = client_for(agency.admin)
    form = start(admin, agency.service)
    steps = agency.service.steps
    count = len(steps)
    form.update(
        {
            # A new step, put first; the old first step removed.
            f"steps-{count}-th": "นัดหมาย",
            f"steps-{count}-en": "Book a visit",
            f"steps-{count}-days": str(steps[0]["days"]),
            f"steps-{count}-order": "0",
            "steps-0-th": "",
            "steps-0-en": "",
            "steps-0-days": "",
            "action": "save",
        }
    )

    assert admin.post(editor_url(agency.service), form).status_code == 302

    content = ServiceRevision.objects.get(service=agency.service).content
    assert [s["en"] for s in content["steps"]] == ["Book a visit", *[s["en"] for s in steps[1:]]]


def test_the_author_cannot_approve_their_own_revision(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    services.save_draft(draft, agency.admin, {**draft.content, "name_en": "Mine"})
    services.submit_revision(draft, agency.admin)
    admin = client_for(agency.admin)

    page = admin.get(editor_url(agency.service, "review")).content.decode()
    assert 'value="approve"' not in page
    assert "You wrote this revision" in page or "ท่านเป็นผู้แก้ไขฉบับนี้" in page
    response = admin.post(
        editor_url(agency.service, "transition"),
        {"action": "approve", "revision": draft.public_id},
        follow=True,
    )
    assert "ไม่สามารถอนุมัติหรือส่งกลับฉบับของตนเองได้" in response.content.decode()
    assert ServiceRevision.objects.get(pk=draft.pk).state == State.IN_REVIEW
    # Another admin of the agency may.
    second = client_for(agency.second_admin)
    assert 'value="approve"' in second.get(editor_url(agency.service, "review")).content.decode()


def test_a_rejection_needs_a_note_and_the_author_sees_it(agency: Agency) -> None:
    draft = services.start_draft(agency.service, agency.admin)
    services.save_draft(draft, agency.admin, {**draft.content, "name_en": "Typo lisence"})
    services.submit_revision(draft, agency.admin)
    supervisor = client_for(agency.supervisor)
    url = editor_url(agency.service, "transition")

    supervisor.post(url, {"action": "reject", "revision": draft.public_id, "note": ""})
    assert ServiceRevision.objects.get(pk=draft.pk).state == State.IN_REVIEW
    supervisor.post(url, {"action": "reject", "revision": draft.public_id, "note": "สะกดผิด"})

    assert ServiceRevision.objects.get(pk=draft.pk).state == State.REJECTED
    page = client_for(agency.admin).get(editor_url(agency.service)).content.decode()
    assert "สะกดผิด" in page and 'value="Typo lisence"' in page


@pytest.mark.parametrize("who", ["officer", "outsider"])
def test_others_find_nothing(agency: Agency, who: str) -> None:
    client = client_for(getattr(agency, who))
    for page in ("editor", "review", "history"):
        assert client.get(editor_url(agency.service, page)).status_code == 404
    response = client.post(editor_url(agency.service, "transition"), {"action": "start"})
    assert response.status_code == 404
    assert not ServiceRevision.objects.exists()


def test_the_outsiders_list_does_not_show_the_service(agency: Agency) -> None:
    page = client_for(agency.outsider).get(reverse("backoffice:services")).content.decode()
    assert agency.service.slug not in page
    assert client_for(agency.officer).get(reverse("backoffice:services")).status_code == 404


def test_a_supervisor_reviews_but_does_not_edit(agency: Agency) -> None:
    supervisor = client_for(agency.supervisor)
    response = supervisor.post(editor_url(agency.service, "transition"), {"action": "start"})
    assert response.status_code == 404
    page = supervisor.get(editor_url(agency.service)).content.decode()
    assert 'value="start"' not in page


@pytest.mark.parametrize("who", ["admin", "supervisor", "platform"])
def test_every_page_renders_for_each_role(agency: Agency, who: str) -> None:
    draft = services.start_draft(agency.service, agency.second_admin)
    services.save_draft(draft, agency.second_admin, {**draft.content, "name_en": "Changed"})
    services.submit_revision(draft, agency.second_admin)
    client = client_for(getattr(agency, who))

    listing = client.get(reverse("backoffice:services"))
    assert listing.status_code == 200
    assert f'data-slug="{agency.service.slug}"' in listing.content.decode()
    assert (
        reverse("backoffice:services")
        in client.get(reverse("backoffice:services")).content.decode()
    )
    for page in ("editor", "review", "history"):
        response = client.get(editor_url(agency.service, page))
        assert response.status_code == 200, page
    review = client.get(editor_url(agency.service, "review")).content.decode()
    assert 'value="approve"' in review


def test_the_menu_links_the_editor_for_its_roles(agency: Agency) -> None:
    link = f'href="{reverse("backoffice:services")}"'
    for user in (agency.admin, agency.supervisor, agency.platform):
        page = client_for(user).get(reverse("backoffice:services")).content.decode()
        assert link in page
    page = client_for(agency.officer).get(reverse("backoffice:worklist")).content.decode()
    assert link not in page


def test_the_history_lists_every_revision_with_what_each_publication_changed(
    agency: Agency,
) -> None:
    def publish(name: str) -> ServiceRevision:
        draft = services.start_draft(agency.service, agency.admin)
        services.save_draft(draft, agency.admin, {**draft.content, "name_en": name})
        services.submit_revision(draft, agency.admin)
        return services.approve_revision(draft, agency.supervisor)

    publish("First name")
    rejected = services.start_draft(agency.service, agency.admin)
    services.save_draft(rejected, agency.admin, {**rejected.content, "summary_en": "No"})
    services.submit_revision(rejected, agency.admin)
    services.reject_revision(rejected, agency.supervisor, "ไม่ใช่ / no")
    services.discard_draft(services.start_draft(agency.service, agency.admin), agency.admin)
    publish("Second name")

    response = client_for(agency.supervisor).get(editor_url(agency.service, "history"))
    page = response.content.decode()

    states = [s.split('"')[0] for s in page.split('data-state="')[1:]]  # newest first
    assert states == ["published", "discarded", "rejected", "superseded"]
    assert "ไม่ใช่ / no" in page
    assert "First name" in page and "Second name" in page
    assert agency.supervisor.display_name in page and agency.admin.display_name in page
    assert page.count('data-field="name_en"') == 2
    assert str(timezone.localdate().year + 543) in page  # Buddhist-era dates on Thai pages


def _with_revisions(count: int, agency: Agency) -> None:
    for n in range(count):
        service = ServiceFactory(agency=agency.service.agency, name_th=f"บริการ {n:03d}")
        if n % 2:
            services.start_draft(service, agency.admin)


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_for_three_or_thirty_services(
    agency: Agency, count: int, django_assert_max_num_queries: Any
) -> None:
    _with_revisions(count, agency)
    client = client_for(agency.admin)
    client.get(reverse("backoffice:services"))  # warm the session
    with django_assert_max_num_queries(7):
        response = client.get(reverse("backoffice:services"))
    assert response.content.decode().count("data-slug=") == count + 1


def test_the_list_pages_by_name(agency: Agency) -> None:
    for n in range(55):
        ServiceFactory(agency=agency.service.agency, name_th=f"บริการ {n:03d}")
    client = client_for(agency.admin)
    first = client.get(reverse("backoffice:services"))
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("backoffice:services"), {"after": cursor})
    names = [s.name_th for s in first.context["page"].items + second.context["page"].items]
    assert len(names) == 56 and names == sorted(names)
    assert client.get(reverse("backoffice:services"), {"after": "garbage!"}).status_code == 400


@pytest.mark.parametrize("publications", [1, 10])
def test_the_history_costs_the_same_for_one_or_ten_publications(
    agency: Agency, publications: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(publications):
        draft = services.start_draft(agency.service, agency.admin)
        services.save_draft(draft, agency.admin, {**draft.content, "name_en": f"Name {n}"})
        services.submit_revision(draft, agency.admin)
        services.approve_revision(draft, agency.supervisor)
    client = client_for(agency.admin)
    client.get(editor_url(agency.service, "history"))
    with django_assert_max_num_queries(12):
        response = client.get(editor_url(agency.service, "history"))
    assert response.content.decode().count("data-state=") == publications


def test_reading_the_history_is_audited(agency: Agency) -> None:
    client = client_for(agency.supervisor)
    before = AuditEvent.objects.count()
    client.get(editor_url(agency.service, "history"))
    (event,) = AuditEvent.objects.order_by("seq")[before:]
    assert (event.action, event.object_id) == (
        "catalog.service_history_viewed",
        str(agency.service.public_id),
    )
