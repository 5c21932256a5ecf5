"""The audit trail is a hash chain: tampering through the database is found and named.

Rows are tampered with through raw SQL, as someone with database access would; on
PostgreSQL that person would first have to switch the append-only trigger off, which
the tests do explicitly (and a test shows the trigger refusing otherwise).
"""

from __future__ import annotations

import io
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from bizportal.core import anchoring, audit
from bizportal.core.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


def write(count: int, **data: Any) -> list[AuditEvent]:
    return [
        audit.record("test.happened", ("test.thing", str(n)), n=n, **data) for n in range(count)
    ]


def head() -> int:
    """The last seq so far: ``migrate`` already wrote some rows (shipped fee tables)."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@contextmanager
def tampering() -> Iterator[Any]:
    """A cursor of someone with database access (who can switch the trigger off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire the deferred foreign-key checks of the rows written so far first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE core_auditcheckpoint DISABLE TRIGGER USER")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE core_auditcheckpoint ENABLE TRIGGER USER")


def verify_audit() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def signing_key(settings: Any) -> ed25519.Ed25519PrivateKey:
    key = ed25519.Ed25519PrivateKey.generate()
    settings.AUDIT_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key


def test_each_row_links_to_the_one_before() -> None:
    n = head()
    first, second, third = write(3, amount=1.5, big=1e16, thai="ร้านอาหาร")

    assert (first.seq, second.seq, third.seq) == (n + 1, n + 2, n + 3)
    assert AuditEvent.objects.get(seq=1).prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    stored = AuditEvent.objects.get(pk=third.pk)  # as the database gives it back
    assert audit.row_hash(stored) == third.hash
    assert audit.verify_chain() == (n + 3, None)
    assert verify_audit()[0] == 0


def test_a_row_edited_through_sql_is_named() -> None:
    n = head()
    write(4)
    with tampering() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_label = 'x' WHERE seq = %s", [n + 2])

    code, out, err = verify_audit()

    assert code == 1
    assert f"BROKEN at row {n + 2} (edited)" in err
    assert "NOT intact" in out


def test_a_deleted_row_is_named() -> None:
    n = head()
    write(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq IN (%s, %s)", [n + 2, n + 3])

    code, _, err = verify_audit()

    assert code == 1
    assert f"BROKEN at row {n + 4} (deleted): row(s) {n + 2}–{n + 3} missing" in err


def test_an_edit_with_the_hash_recomputed_breaks_the_next_link() -> None:
    n = head()
    write(3)
    row = AuditEvent.objects.get(seq=n + 2)
    row.actor_label = "forged"
    with tampering() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET actor_label = %s, hash = %s WHERE seq = %s",
            ["forged", audit.row_hash(row), n + 2],
        )

    _, broken = audit.verify_chain()

    assert broken is not None and (broken.seq, broken.kind) == (n + 3, "inserted")
    assert f"row {n + 2} was edited and re-hashed" in broken.detail


def test_an_inserted_row_is_named() -> None:
    n = head()
    rows = write(3)
    forged = AuditEvent(
        at=rows[-1].at,
        action="test.forged",
        object_type="test.thing",
        object_id="x",
        actor_label="system",
        data={},
        seq=n + 4,
        prev_hash=rows[1].hash,  # links to the row before the last: a branch
    )
    forged.hash = audit.row_hash(forged)
    AuditEvent.objects.bulk_create([forged])

    code, _, err = verify_audit()

    assert code == 1
    assert f"BROKEN at row {n + 4} (inserted)" in err


@postgres_only
def test_postgresql_refuses_update_and_delete_of_audit_rows(signing_key: Any) -> None:
    write(2)
    call_command("anchor_audit", stdout=io.StringIO())
    for statement in (
        "UPDATE core_auditevent SET action = 'x' WHERE seq = 1",
        "DELETE FROM core_auditevent WHERE seq = 2",
        "UPDATE core_auditcheckpoint SET seq = 0",
        "DELETE FROM core_auditcheckpoint",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    assert audit.verify_chain() == (head(), None)
    assert verify_audit()[0] == 0


def test_anchor_signs_the_head_and_verify_checks_the_checkpoint(signing_key: Any) -> None:
    write(3)
    n = head()
    out = io.StringIO()
    call_command("anchor_audit", stdout=out)

    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.hash) == (n, AuditEvent.objects.get(seq=n).hash)
    assert checkpoint.algorithm == "Ed25519"
    assert "checkpoint" in out.getvalue()
    assert verify_audit()[0] == 0
    again = io.StringIO()
    call_command("anchor_audit", stdout=again)
    assert f"nothing new since checkpoint {n}" in again.getvalue()
    write(1)
    call_command("anchor_audit", stdout=io.StringIO())
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [n, n + 1]


def test_rows_cut_off_after_a_checkpoint_are_found_by_the_checkpoint(signing_key: Any) -> None:
    write(4)
    n = head()
    call_command("anchor_audit", stdout=io.StringIO())
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq = %s", [n])

    code, _, err = verify_audit()

    assert code == 1
    assert f"row {n} no longer exists" in err
    assert "BROKEN" not in err  # the chain itself still links: only the checkpoint shows it


def test_a_chain_rewritten_from_a_row_on_disagrees_with_the_checkpoint(signing_key: Any) -> None:
    write(4)
    n = head()
    call_command("anchor_audit", stdout=io.StringIO())
    previous = AuditEvent.objects.get(seq=n - 3).hash
    with tampering() as cursor:
        for row in AuditEvent.objects.filter(seq__gt=n - 3).order_by("seq"):
            row.actor_label = "rewritten" if row.seq == n - 2 else row.actor_label
            row.prev_hash = previous
            row.hash = audit.row_hash(row)
            previous = row.hash
            cursor.execute(
                "UPDATE core_auditevent SET actor_label = %s, prev_hash = %s, hash = %s "
                "WHERE seq = %s",
                [row.actor_label, row.prev_hash, row.hash, row.seq],
            )

    code, _, err = verify_audit()

    assert audit.verify_chain()[1] is None
    assert code == 1
    assert f"row {n} has another hash now (chain rewritten)" in err


def test_an_altered_checkpoint_or_an_unknown_key_is_reported(
    signing_key: Any, settings: Any
) -> None:
    write(2)
    call_command("anchor_audit", stdout=io.StringIO())
    with tampering() as cursor:
        cursor.execute(
            "UPDATE core_auditcheckpoint SET at = at - interval '1 day'"
            if connection.vendor == "postgresql"
            else "UPDATE core_auditcheckpoint SET at = datetime(at, '-1 day')"
        )
    assert "the signature does not match" in verify_audit()[2]

    other = ec.generate_private_key(ec.SECP256R1())
    settings.AUDIT_SIGNING_KEY = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    code, _, err = verify_audit()
    assert code == 1 and "signed by an unknown key" in err


def test_an_earlier_key_kept_as_a_public_key_still_verifies(
    signing_key: Any, settings: Any, tmp_path: Any
) -> None:
    write(2)
    call_command("anchor_audit", stdout=io.StringIO())
    old_public = tmp_path / "old.pem"
    old_public.write_bytes(
        signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    new = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "new.pem"
    key_file.write_bytes(
        new.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_FILE = str(key_file)
    settings.AUDIT_VERIFY_KEY_FILES = [str(old_public)]
    write(1)
    call_command("anchor_audit", stdout=io.StringIO())

    assert AuditCheckpoint.objects.order_by("seq").last().algorithm == "ECDSA-SHA256"  # type: ignore[union-attr]
    assert verify_audit()[0] == 0


def test_anchor_refuses_without_a_key_outside_a_demo(settings: Any) -> None:
    settings.DEBUG = False
    settings.BIZPORTAL_DEMO = False
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_SIGNING_KEY_FILE = ""
    write(1)

    with pytest.raises(CommandError, match="AUDIT_SIGNING_KEY_FILE"):
        call_command("anchor_audit", stdout=io.StringIO())
    assert not AuditCheckpoint.objects.exists()


def test_a_demo_signs_with_a_generated_key_kept_private(settings: Any, tmp_path: Any) -> None:
    settings.BIZPORTAL_DEMO = True
    settings.AUDIT_SIGNING_KEY = ""
    settings.VAR_DIR = tmp_path
    write(1)

    call_command("anchor_audit", stdout=io.StringIO())
    write(1)
    call_command("anchor_audit", stdout=io.StringIO())

    key_file = tmp_path / anchoring.DEMO_KEY_NAME
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert AuditCheckpoint.objects.values("key_id").distinct().count() == 1
    assert verify_audit()[0] == 0


def test_anchor_refuses_to_sign_a_broken_chain(signing_key: Any) -> None:
    write(3)
    n = head()
    with tampering() as cursor:
        cursor.execute("UPDATE core_auditevent SET object_id = 'moved' WHERE seq = %s", [n])

    with pytest.raises(CommandError, match=rf"broken.*row {n}"):
        call_command("anchor_audit", stdout=io.StringIO())
    assert not AuditCheckpoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    """Eight threads, each with its own connection and transactions that do other work
    after appending: the lock keeps one chain (seq 1..80, every link intact)."""
    errors: list[BaseException] = []
    n = head()

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    audit.record("test.concurrent", ("test.thing", f"{n}-{i}"))
                    AuditEvent.objects.count()  # more work while the lock is held
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, n + 81)
    )
    assert audit.verify_chain() == (n + 80, None)


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_rows_written_before_the_chain() -> None:
    executor = MigrationExecutor(connection)
    before = [("core", "0004_audit_on_behalf")]
    latest = [("core", "0007_audit_append_only")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("core", "AuditEvent")
        for n in range(5):
            old.objects.create(action="old.event", object_type="t", object_id=str(n), data={"n": n})
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )

    rows = list(AuditEvent.objects.order_by("seq"))
    assert [row.object_id for row in rows if row.action == "old.event"] == ["0", "1", "2", "3", "4"]
    assert rows[-1].action == "old.event"
    assert audit.verify_chain() == (len(rows), None)
    audit.record("new.event", ("t", "5"))
    assert audit.verify_chain() == (len(rows) + 1, None)
