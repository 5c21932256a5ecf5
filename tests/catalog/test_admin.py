"""Admins configure the catalogue; applications are read-only there."""

from typing import Any

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


def _field_values(form: Any) -> dict[str, Any]:
    """A form's fields as the browser posts them: text (JSON as text), checkboxes "on"."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
    return data


def posted_back(context: Any) -> dict[str, Any]:
    """What the browser would post back from an admin change page: every field of the
    form and of each inline (with its management form) as rendered."""
    data = _field_values(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            value = formset.management_form[name].value()
            if value is not None:
                data[formset.management_form.add_prefix(name)] = value
        for form in formset.forms:
            data.update(_field_values(form))
    return data


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
    data = posted_back(page.context)
    data["name_en"] = "Tour operator licence (guided tours)"
    response = admin_client.post(f"/admin/catalog/service/{service.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert "guided" in service.search_text
    # The kinds of application and the documents came back unchanged.
    assert sorted(service.application_types.values_list("kind", flat=True)) == [
        "amend",
        "cancel",
        "new",
        "renew",
    ]
    assert service.documents.filter(kind="amend", code="change_evidence").exists()
    assert AuditEvent.objects.filter(
        action="catalog.service_updated", object_id=str(service.public_id)
    ).exists()


def test_an_invalid_form_schema_for_a_kind_is_refused_and_nothing_is_saved(admin_client) -> None:
    service = Service.objects.get(slug="tour-business-licence")
    page = admin_client.get(f"/admin/catalog/service/{service.pk}/change/")
    data = posted_back(page.context)
    renew = next(
        form
        for form in page.context["inline_admin_formsets"][0].formset.forms
        if form.instance.kind == "renew"
    )
    data[renew.add_prefix("form_schema")] = '{"type": "no-such-type"}'
    data["name_en"] = "Renamed while the form schema is broken"
    response = admin_client.post(f"/admin/catalog/service/{service.pk}/change/", data)
    assert response.status_code == 200
    assert "is not valid under any of the given schemas" in response.content.decode()
    service.refresh_from_db()
    assert service.name_en != "Renamed while the form schema is broken"
    assert service.application_types.get(kind="renew").form_schema is None
