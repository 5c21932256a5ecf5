"""Fee tables as versioned data: upload, publish, pin, sync (``rules.services``).

A refused upload leaves nothing behind; publishing retires the previous live
version; an application holding an old version is still quoted by it; loading the
shipped files again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from bizportal.catalog.models import Agency, Service
from bizportal.core.models import AuditEvent
from bizportal.identity.models import User
from bizportal.rules import services
from bizportal.rules.models import DecisionDefinition, DecisionVersion
from bizportal.rules.services import (
    FeeRuleError,
    calculate_fee,
    live_version,
    publish_version,
    quote_fee,
    sync_shipped_tables,
    upload_version,
)

from .tables import banded, dmn, flat

pytestmark = pytest.mark.django_db
Status = DecisionVersion.Status


@pytest.fixture
def admin_user() -> User:
    return User.objects.create_superuser("rules-admin", password="rules-admin-pass-1234")


def counts() -> tuple[int, int, int]:
    return (
        DecisionDefinition.objects.count(),
        DecisionVersion.objects.count(),
        AuditEvent.objects.filter(action__startswith="rules.").count(),
    )


# --- upload ------------------------------------------------------------------------------


def test_an_upload_is_saved_as_a_draft_and_audited(admin_user: User) -> None:
    version = upload_version(
        "fee_test", flat(amount="75.00"), actor=admin_user, name="ทดสอบ / Test"
    )
    assert (version.number, version.status, version.created_by) == (1, Status.DRAFT, admin_user)
    assert version.definition.name == "ทดสอบ / Test"
    assert version.definition.agency is None
    assert version.summary["hit_policy"] == "UNIQUE"
    assert version.summary["rule_count"] == 1
    assert len(version.sha256) == 64
    event = AuditEvent.objects.get(action="rules.version_uploaded", object_id=str(version.pk))
    assert event.actor == admin_user
    assert event.data["key"] == "fee_test"
    # a draft charges nothing yet
    with pytest.raises(FeeRuleError) as refused:
        live_version("fee_test")
    assert refused.value.code == "unknown_table"
    # but it can be quoted, e.g. to try it before publishing
    assert quote_fee(version, {}).total == Decimal("75.00")


def test_bytes_are_accepted_and_the_name_defaults_to_the_decisions(admin_user: User) -> None:
    version = upload_version("fee_test", flat().encode("utf-8"), actor=admin_user)
    assert version.definition.name == "ตารางทดสอบ / Test table"


SCHEMA_INVALID = (
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
    'namespace="x"><decision id="fee_test"><decisionTable id="t"><rule id="r"/>'
    "</decisionTable></decision></definitions>"
)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("not xml at all", "not well-formed XML"),
        (b"\xff\xfe<definitions/>", "not UTF-8"),
        (SCHEMA_INVALID, "fails the DMN schema"),
        (
            dmn(inputs=[("n", "number")], rules=[(("[0..5]",), ("1",))], hit_policy="PRIORITY"),
            "hit policy PRIORITY is not supported",
        ),
        (dmn(inputs=[("n", "number")], rules=[(("[0..5",), ("1",))]), "rule 1 (rule_1), input n"),
        (dmn(rules=[((), ("1 +",))]), "rule 1 (rule_1), output fee"),
        (flat("fee_other"), "the decision id is 'fee_other', expected 'fee_test'"),
        (dmn(outputs=[("amount", "number")], rules=[((), ("1",))]), "an output named 'fee'"),
        (dmn(outputs=[("fee", "string")], rules=[((), ("1",))]), "expected number"),
        (dmn(rules=[((), ("",))]), "empty fee cell"),
        (
            dmn(inputs=[("area_sqm * 2", "number")], rules=[(("-",), ("1",))]),
            "not a name or dotted path",
        ),
    ],
)
def test_a_refused_upload_says_why_and_leaves_no_rows(
    admin_user: User, source: str | bytes, problem: str
) -> None:
    before = counts()
    with pytest.raises(FeeRuleError) as refused:
        upload_version("fee_test", source, actor=admin_user)
    assert refused.value.code == "bad_table"
    assert problem in str(refused.value)
    assert str(refused.value).startswith("ตารางค่าธรรมเนียม fee_test ไม่สามารถใช้งานได้ (")
    with translation.override("en"), pytest.raises(FeeRuleError) as refused:
        upload_version("fee_test", source, actor=admin_user)
    assert str(refused.value).startswith("Fee table fee_test cannot be used (")
    assert counts() == before


def test_a_refusal_lists_every_problem(admin_user: User) -> None:
    source = dmn(
        "fee_other",
        inputs=[("n", "number")],
        outputs=[("amount", "number")],
        rules=[(("[0..",), ("x +",))],
    )
    with pytest.raises(FeeRuleError) as refused:
        upload_version("fee_test", source, actor=admin_user)
    message = str(refused.value)
    for problem in ["decision id", "input n", "output amount", "output named 'fee'"]:
        assert problem in message


@pytest.mark.parametrize("key", ["Fee", "fee-test", "", "../x", "9fee"])
def test_a_key_that_is_not_a_decision_id_is_refused(admin_user: User, key: str) -> None:
    with pytest.raises(FeeRuleError, match="lower-case letters"):
        upload_version(key, flat(), actor=admin_user)
    assert not DecisionDefinition.objects.filter(key=key).exists()


def test_uploading_the_live_file_again_is_a_duplicate(admin_user: User) -> None:
    source = (services.SHIPPED_TABLE_DIR / "fee_food_shop.dmn").read_text()
    before = counts()
    with pytest.raises(FeeRuleError) as refused:
        upload_version("fee_food_shop", source, actor=admin_user)
    assert refused.value.code == "duplicate"
    assert str(refused.value).startswith("ไฟล์นี้เหมือนกับฉบับที่ 1 (ใช้งาน")
    assert counts() == before


def test_an_agency_may_not_add_versions_to_a_table_it_does_not_own(admin_user: User) -> None:
    mine = Agency.objects.create(code="mine", name_th="หน่วยงานของฉัน", name_en="Mine")
    other = Agency.objects.create(code="other", name_th="หน่วยงานอื่น", name_en="Other")
    upload_version("fee_test", flat(), actor=admin_user, agency=mine)
    with pytest.raises(FeeRuleError) as refused:
        upload_version("fee_test", flat(amount="1.00"), actor=admin_user, agency=other)
    assert refused.value.code == "forbidden"
    with pytest.raises(FeeRuleError, match="เป็นของหน่วยงานอื่น"):
        upload_version("fee_food_shop", banded("fee_food_shop"), actor=admin_user, agency=mine)
    # the owner, and platform staff (no agency), may
    assert (
        upload_version("fee_test", flat(amount="2.00"), actor=admin_user, agency=mine).number == 2
    )
    assert upload_version("fee_test", flat(amount="3.00"), actor=admin_user).number == 3


# --- publish ---------------------------------------------------------------------------------


def test_publishing_retires_the_previous_live_version(admin_user: User) -> None:
    v1 = live_version("fee_food_shop")
    draft = upload_version(
        "fee_food_shop", banded("fee_food_shop", small="600.00"), actor=admin_user
    )
    assert draft.number == 2

    published = publish_version(draft, actor=admin_user)

    assert published.status == Status.LIVE
    assert published.published_by == admin_user
    assert published.published_at is not None
    v1.refresh_from_db()
    assert v1.status == Status.RETIRED
    assert v1.published_at is not None
    assert live_version("fee_food_shop").pk == draft.pk
    assert calculate_fee(Service(fee_table="fee_food_shop"), {"area_sqm": 10}) == Decimal("600.00")
    event = AuditEvent.objects.get(action="rules.version_published", object_id=str(draft.pk))
    assert event.data == {
        "key": "fee_food_shop",
        "number": 2,
        "sha256": draft.sha256,
        "retired": 1,
    }
    assert event.actor == admin_user


def test_the_first_publication_retires_nothing(admin_user: User) -> None:
    draft = upload_version("fee_test", flat(), actor=admin_user)
    publish_version(draft, actor=admin_user)
    assert AuditEvent.objects.get(action="rules.version_published").data["retired"] is None
    assert calculate_fee(Service(fee_table="fee_test"), {}) == Decimal("100.00")


def test_only_a_draft_can_be_published(admin_user: User) -> None:
    live = live_version("fee_factory")
    before = counts()
    with pytest.raises(FeeRuleError) as refused:
        publish_version(live, actor=admin_user)
    assert refused.value.code == "not_draft"
    assert "เผยแพร่ได้เฉพาะฉบับร่าง (ฉบับที่ 1 เป็น live)" in str(refused.value)
    assert counts() == before


def test_a_stale_object_cannot_publish_twice(admin_user: User) -> None:
    draft = upload_version("fee_test", flat(), actor=admin_user)
    publish_version(draft, actor=admin_user)
    # ``draft`` still says "draft" in memory; the locked row says otherwise
    with pytest.raises(FeeRuleError, match="เป็น live"):
        publish_version(draft, actor=admin_user)


# --- pinning ---------------------------------------------------------------------------------


def test_an_application_pinned_to_an_old_version_keeps_its_fee(admin_user: User) -> None:
    """What the applications app does: keep the version it quoted, quote it again later."""
    pinned = live_version("fee_food_shop")
    assert quote_fee(pinned, {"area_sqm": 120}).total == Decimal("1000.00")
    newer = upload_version(
        "fee_food_shop", banded("fee_food_shop", small="700.00", large="1500.00"), actor=admin_user
    )
    publish_version(newer, actor=admin_user)

    pinned.refresh_from_db()
    assert pinned.status == Status.RETIRED
    old = quote_fee(pinned, {"area_sqm": 120})
    assert (old.total, old.version_number) == (Decimal("1000.00"), 1)
    new = quote_fee(live_version("fee_food_shop"), {"area_sqm": 120})
    assert (new.total, new.version_number) == (Decimal("1500.00"), 2)


def test_a_version_whose_source_was_changed_behind_the_services_back_is_refused(
    admin_user: User,
) -> None:
    # An amount no other test uses: parsed tables are cached by (id, checksum).
    version = upload_version("fee_test", flat(amount="13.57"), actor=admin_user)
    DecisionVersion.objects.filter(pk=version.pk).update(source=flat(amount="0.01"))
    version.refresh_from_db()
    with pytest.raises(FeeRuleError, match="does not match its checksum"):
        quote_fee(version, {})


# --- hit policies as fees --------------------------------------------------------------------


def lines_table(hit_policy: str, aggregation: str | None = None) -> str:
    """Three rules over n: base 100 always, +50 from 10, a 30 discount from 20."""
    return dmn(
        inputs=[("n", "number")],
        outputs=[("fee", "number"), ("item", "string")],
        rules=[
            (("-",), ("100", '"base"')),
            ((">= 10",), ("50", '"large"')),
            ((">= 20",), ("-30", '"discount"')),
        ],
        hit_policy=hit_policy,
        aggregation=aggregation,
    )


@pytest.mark.parametrize(
    ("hit_policy", "aggregation", "n", "total", "items"),
    [
        ("COLLECT", "SUM", 5, "100.00", ["base"]),
        ("COLLECT", "SUM", 25, "120.00", ["base", "large", "discount"]),
        ("COLLECT", None, 25, "120.00", ["base", "large", "discount"]),
        ("RULE ORDER", None, 12, "150.00", ["base", "large"]),
        ("COLLECT", "MIN", 12, "50.00", ["large"]),
        ("COLLECT", "MAX", 25, "100.00", ["base"]),
        ("COLLECT", "COUNT", 25, "3.00", ["ตารางทดสอบ / Test table"]),
        ("FIRST", None, 25, "100.00", ["base"]),
    ],
)
def test_collect_and_rule_order_quotes_itemise_and_aggregate(
    admin_user: User,
    hit_policy: str,
    aggregation: str | None,
    n: int,
    total: str,
    items: list[str],
) -> None:
    draft = upload_version("fee_test", lines_table(hit_policy, aggregation), actor=admin_user)
    quote = quote_fee(draft, {"n": n})
    assert quote.total == Decimal(total)
    assert [line.item for line in quote.lines] == items


def test_an_overlap_under_unique_is_a_table_error_naming_the_rules(admin_user: User) -> None:
    draft = upload_version("fee_test", lines_table("UNIQUE"), actor=admin_user)
    assert quote_fee(draft, {"n": 1}).total == Decimal("100.00")
    with pytest.raises(FeeRuleError) as refused:
        quote_fee(draft, {"n": 10})
    assert refused.value.code == "bad_table"
    assert "rules 1 (rule_1), 2 (rule_2) all match" in str(refused.value)


def test_a_conflict_under_any_is_a_table_error(admin_user: User) -> None:
    draft = upload_version("fee_test", lines_table("ANY"), actor=admin_user)
    with pytest.raises(FeeRuleError, match="hit policy ANY requires them to agree"):
        quote_fee(draft, {"n": 10})


def test_a_negative_total_is_a_table_error(admin_user: User) -> None:
    source = dmn(
        inputs=[("n", "number")],
        rules=[(("-",), ("10",)), (("> 5",), ("-50",))],
        hit_policy="COLLECT",
        aggregation="SUM",
    )
    draft = upload_version("fee_test", source, actor=admin_user)
    assert quote_fee(draft, {"n": 1}).total == Decimal("10.00")
    with pytest.raises(FeeRuleError, match=r"the total fee -40\.00 is negative"):
        quote_fee(draft, {"n": 6})


def test_dates_and_booleans_are_typed_before_the_table_sees_them(admin_user: User) -> None:
    source = dmn(
        inputs=[("application.submitted_on", "date"), ("has_kitchen", "boolean")],
        rules=[
            (('< date("2025-01-01")', "-"), ("100",)),
            (('>= date("2025-01-01")', "true"), ("250",)),
            (('>= date("2025-01-01")', "false"), ("200",)),
        ],
    )
    draft = upload_version("fee_test", source, actor=admin_user)
    assert quote_fee(draft, {"has_kitchen": True}, {"submitted_on": "2024-12-31"}).total == 100
    assert quote_fee(draft, {"has_kitchen": True}, {"submitted_on": "2025-01-01"}).total == 250
    with pytest.raises(FeeRuleError, match="ต้องเป็นวันที่ในรูปแบบ ปปปป-ดด-วว") as refused:
        quote_fee(draft, {"has_kitchen": False}, {"submitted_on": "1/1/2025"})
    assert refused.value.field == "application.submitted_on"
    with pytest.raises(FeeRuleError, match="ต้องเป็นใช่หรือไม่ใช่"):
        quote_fee(draft, {"has_kitchen": "yes"}, {"submitted_on": "2025-01-01"})


# --- the database's own guarantees --------------------------------------------------------------


def test_the_database_refuses_a_second_live_version() -> None:
    live = live_version("fee_none")
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionVersion.objects.create(
            definition=live.definition,
            number=2,
            source=live.source,
            sha256=live.sha256,
            status=Status.LIVE,
            published_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("number", "status", "published"),
    [
        (1, Status.DRAFT, False),
        (2, Status.LIVE, False),
        (2, Status.RETIRED, False),
        (0, "draft", False),
        (2, Status.DRAFT, True),
    ],
)
def test_the_database_refuses_inconsistent_versions(
    number: int, status: str, published: bool
) -> None:
    live = live_version("fee_none")
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionVersion.objects.create(
            definition=live.definition,
            number=number,
            source=live.source,
            sha256=live.sha256,
            status=status,
            published_at=timezone.now() if published else None,
        )


# --- the shipped tables ------------------------------------------------------------------


def test_syncing_the_shipped_tables_again_changes_nothing() -> None:
    before = counts()
    assert sync_shipped_tables() == []
    assert sync_shipped_tables() == []
    assert counts() == before


def test_a_changed_shipped_file_becomes_the_next_live_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, admin_user: User
) -> None:
    monkeypatch.setattr(services, "SHIPPED_TABLE_DIR", tmp_path)
    (tmp_path / "fee_food_shop.dmn").write_text(banded("fee_food_shop", small="550.00"))
    (tmp_path / "fee_brand_new.dmn").write_text(flat("fee_brand_new", amount="5.00"))

    loaded = sync_shipped_tables()

    assert [(v.definition.key, v.number, v.status) for v in loaded] == [
        ("fee_brand_new", 1, Status.LIVE),
        ("fee_food_shop", 2, Status.LIVE),
    ]
    assert DecisionVersion.objects.get(definition__key="fee_food_shop", number=1).status == (
        Status.RETIRED
    )
    assert calculate_fee(Service(fee_table="fee_food_shop"), {"area_sqm": 1}) == Decimal("550.00")
    assert AuditEvent.objects.filter(action="rules.shipped_version_loaded").count() >= 2
    assert sync_shipped_tables() == []

    # An admin's later version survives redeploys until the file itself changes.
    mine = upload_version("fee_brand_new", flat("fee_brand_new", amount="6.00"), actor=admin_user)
    publish_version(mine, actor=admin_user)
    assert sync_shipped_tables() == []
    assert live_version("fee_brand_new").number == 2


def test_a_broken_shipped_file_stops_the_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SHIPPED_TABLE_DIR", tmp_path)
    (tmp_path / "fee_broken.dmn").write_text(flat("fee_other"))
    with pytest.raises(FeeRuleError, match="expected 'fee_broken'"):
        sync_shipped_tables()
