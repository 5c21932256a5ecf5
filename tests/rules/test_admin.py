"""The fee-table admin: upload a DMN file, see why it was refused, publish a draft.

Agency staff see only their agency's tables; superusers see all of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bizportal.catalog.models import Agency
from bizportal.identity.models import User
from bizportal.rules.models import DecisionDefinition, DecisionVersion
from bizportal.rules.services import live_version, upload_version

from .tables import banded, flat

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/rules/decisiondefinition/upload/"


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("rules-root", password="rules-root-pass-1234")


@pytest.fixture
def agency() -> Agency:
    return Agency.objects.create(code="bma", name_th="กรุงเทพมหานคร", name_en="Bangkok")


@pytest.fixture
def agency_staff(agency: Agency) -> User:
    user = User.objects.create_user(
        "rules-officer",
        password="rules-officer-pass-1234",
        role=User.Role.STAFF,
        agency=agency,
        is_staff=True,
    )
    codenames = [
        "view_decisiondefinition",
        "view_decisionversion",
        "add_decisionversion",
        "publish_decisionversion",
    ]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="rules", codename__in=codenames)
    )
    return user


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def dmn_file(text: str, name: str = "table.dmn") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="application/xml")


def test_the_screens_open(client: Client, superuser: User) -> None:
    logged_in(client, superuser)
    definition = DecisionDefinition.objects.get(key="fee_food_shop")
    version = live_version("fee_food_shop")
    pages = {
        "/admin/rules/decisiondefinition/": "Upload a table",
        f"/admin/rules/decisiondefinition/{definition.pk}/change/": "Upload a new version",
        f"/admin/rules/decisionversion/{version.pk}/change/": "(50..200]",
        "/admin/rules/decisionversion/": "fee_food_shop",
        UPLOAD: "dmn_file",
        f"/admin/rules/decisiondefinition/{definition.pk}/upload/": "fee_food_shop",
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert expected in response.content.decode(), path


def test_uploading_a_file_saves_a_draft_and_opens_it(client: Client, superuser: User) -> None:
    logged_in(client, superuser)
    response = client.post(
        UPLOAD, {"key": "fee_test", "name": "", "dmn_file": dmn_file(flat(amount="42.00"))}
    )
    version = DecisionVersion.objects.get(definition__key="fee_test")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/rules/decisionversion/{version.pk}/change/"
    assert (version.number, version.status, version.created_by) == (1, "draft", superuser)


def test_a_refused_file_is_explained_on_the_form_and_nothing_is_saved(
    client: Client, superuser: User
) -> None:
    logged_in(client, superuser)
    response = client.post(
        UPLOAD, {"key": "fee_test", "dmn_file": dmn_file(flat("fee_other"), "wrong.dmn")}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["dmn_file"]
    assert "the decision id is 'fee_other', expected 'fee_test'" in errors[0]
    assert errors[0].startswith("ตารางค่าธรรมเนียม fee_test ไม่สามารถใช้งานได้ (")
    assert not DecisionDefinition.objects.filter(key="fee_test").exists()


def test_a_new_version_is_uploaded_from_the_tables_page(client: Client, superuser: User) -> None:
    logged_in(client, superuser)
    definition = DecisionDefinition.objects.get(key="fee_food_shop")
    response = client.post(
        f"/admin/rules/decisiondefinition/{definition.pk}/upload/",
        {"dmn_file": dmn_file(banded("fee_food_shop", small="650.00"))},
    )
    assert response.status_code == 302
    assert definition.versions.get(number=2).status == "draft"


def test_the_publish_action_makes_a_draft_live(client: Client, superuser: User) -> None:
    draft = upload_version(
        "fee_food_shop", banded("fee_food_shop", small="650.00"), actor=superuser
    )
    logged_in(client, superuser)
    response = client.post(
        "/admin/rules/decisionversion/",
        {"action": "publish", "_selected_action": [str(draft.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    # Thai admin; the message list capitalises the first letter (Fee_food_shop)
    assert "ee_food_shop ฉบับที่ 2 ใช้งานแล้ว" in response.content.decode()
    assert live_version("fee_food_shop").pk == draft.pk


def test_publishing_a_live_version_is_refused_with_a_message(
    client: Client, superuser: User
) -> None:
    live = live_version("fee_factory")
    logged_in(client, superuser)
    response = client.post(
        "/admin/rules/decisionversion/",
        {"action": "publish", "_selected_action": [str(live.pk)]},
        follow=True,
    )
    assert "เผยแพร่ได้เฉพาะฉบับร่าง" in response.content.decode()
    live.refresh_from_db()
    assert live.status == "live"


def test_agency_staff_see_and_upload_only_their_own_tables(
    client: Client, superuser: User, agency: Agency, agency_staff: User
) -> None:
    upload_version("fee_bma_stall", flat("fee_bma_stall"), actor=superuser, agency=agency)
    logged_in(client, agency_staff)

    listing = client.get("/admin/rules/decisiondefinition/").content.decode()
    assert "fee_bma_stall" in listing
    assert "fee_food_shop" not in listing
    platform = DecisionDefinition.objects.get(key="fee_food_shop")
    assert client.get(f"/admin/rules/decisiondefinition/{platform.pk}/upload/").status_code == 404

    form = client.get(UPLOAD).context["form"]
    assert "agency" not in form.fields  # a new table is always their agency's
    response = client.post(
        UPLOAD, {"key": "fee_bma_market", "dmn_file": dmn_file(flat("fee_bma_market"))}
    )
    assert response.status_code == 302
    assert DecisionDefinition.objects.get(key="fee_bma_market").agency == agency

    # and a platform table is refused even when its key is typed in
    response = client.post(
        UPLOAD, {"key": "fee_food_shop", "dmn_file": dmn_file(banded("fee_food_shop"))}
    )
    assert "ตารางค่าธรรมเนียม fee_food_shop เป็นของหน่วยงานอื่น" in response.content.decode()


def test_people_without_the_permission_cannot_upload(client: Client, agency: Agency) -> None:
    user: Any = User.objects.create_user(
        "rules-viewer",
        password="rules-viewer-pass-1234",
        is_staff=True,
        agency=agency,
        role=User.Role.STAFF,
    )
    logged_in(client, user)
    assert client.get(UPLOAD).status_code == 404
