"""Admins configure the catalogue; applications are read-only there."""

import pytest

from bizportal.backoffice import demo as staff
from bizportal.catalog import demo
from bizportal.catalog.models import Service
from bizportal.core.models import AuditEvent
from bizportal.identity.models import User


@pytest.fixture
def admin_client(client, db):
    demo.seed()
    staff.seed()
    client.force_login(User.objects.get(username="admin"))
    return client


def test_admin_screens_open(admin_client) -> None:
    for path in [
        "/admin/catalog/service/",
        "/admin/catalog/agency/",
        "/admin/applications/application/",
    ]:
        assert admin_client.get(path).status_code == 200, path


def test_renaming_a_service_in_the_admin_updates_search_and_the_audit_trail(admin_client) -> None:
    service = Service.objects.get(slug="tour-business-licence")
    page = admin_client.get(f"/admin/catalog/service/{service.pk}/change/")
    form = page.context["adminform"].form
    # What the browser would post back: every field as rendered (JSON fields as text).
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["name_en"] = "Tour operator licence (guided tours)"
    for key, value in list(data.items()):
        if isinstance(value, bool):
            data[key] = "on" if value else ""
    data.update({"documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0"})
    response = admin_client.post(f"/admin/catalog/service/{service.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert "guided" in service.search_text
    assert AuditEvent.objects.filter(
        action="catalog.service_updated", object_id=str(service.public_id)
    ).exists()
