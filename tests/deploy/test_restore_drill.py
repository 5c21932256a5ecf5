"""The restore drill (deploy/restore_drill.py) restores a backup into a fresh database
and the audit chain of the restored data verifies; a broken chain fails the drill.

PostgreSQL only: it needs the server and its programs (pg_basebackup, pg_ctl, initdb).
The physical test stands up a throwaway "production" cluster of its own with WAL
archiving through deploy/postgres/archive-wal.sh (the shared test server's archiving is
not ours to switch on), loads the migrated test database into it, takes a base backup,
writes audit rows before and after a target time, and recovers to that time in a
second, fresh cluster: the rows written after the base backup (WAL replay) are there,
the rows after the target are not, and ``verify_audit`` passes, checkpoints included.
The tests write the audit rows they restore: the shared test database's may have been
flushed by earlier tests.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DRILL = ROOT / "deploy" / "restore_drill.py"
ARCHIVE_WAL = ROOT / "deploy" / "postgres" / "archive-wal.sh"
BASE_BACKUP = ROOT / "deploy" / "postgres" / "base-backup.sh"
MANAGE = ROOT / "manage.py"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a restore drill restores PostgreSQL backups: run with DATABASE_URL=postgres://…",
    ),
]


def load_drill() -> ModuleType:
    spec = importlib.util.spec_from_file_location("restore_drill", DRILL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["restore_drill"] = module
    spec.loader.exec_module(module)
    return module


drill = load_drill()


def source_url() -> str:
    """The pytest test database on the shared server, as a URL (trust or password)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


def os_user() -> str | None:
    """PostgreSQL servers refuse root: a root test run hands the clusters to postgres."""
    return "postgres" if os.geteuid() == 0 else None


@pytest.fixture
def pg() -> Any:
    postgres = drill.Postgres(drill.find_bindir(os.environ.get("BIZPORTAL_PG_BIN")), os_user())
    try:
        for program in (*drill.PROGRAMS, "initdb"):
            postgres.program(program)
    except drill.DrillFailed as missing:
        pytest.skip(str(missing))
    server = connection.pg_version // 10000
    client = subprocess.run(
        [postgres.program("pg_dump"), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    if int(client.split(".")[0]) < server:
        pytest.skip(f"pg_dump {client} is older than the test server ({server})")
    return postgres


@pytest.fixture
def audit_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def manage(database_url: str, audit_key: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    env |= {"DATABASE_URL": database_url, "AUDIT_SIGNING_KEY": audit_key}
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def write_audit(database_url: str, audit_key: str, *markers: str, anchor: bool = False) -> str:
    """Audit rows (and a signed checkpoint) through the portal's own code, as a running
    deployment writes them, one batch per marker; prints the database's clock after the
    first batch (a recovery target between the two)."""
    code = (
        "import time\n"
        "from django.db import connection\n"
        "from bizportal.core import audit, anchoring\n"
        f"for n in range(3): audit.record('drill.{markers[0]}', ('drill.thing', str(n)), n=n)\n"
        + ("anchoring.anchor()\n" if anchor else "")
        + "with connection.cursor() as c:\n"
        "    c.execute(\"SELECT to_json(clock_timestamp())#>>'{}'\")\n"
        "    print('TARGET', c.fetchone()[0])\n"
        "time.sleep(0.2)\n"
        + "".join(
            f"for n in range(3): audit.record('drill.{m}', ('drill.thing', str(n)), n=n)\n"
            for m in markers[1:]
        )
    )
    out = manage(database_url, audit_key, "shell", "-c", code)
    return out.split("TARGET ", 1)[1].split()[0]


def run_drill(*args: str, audit_key: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    env["AUDIT_SIGNING_KEY"] = audit_key
    return subprocess.run(
        [sys.executable, str(DRILL), *args, "--manage", str(MANAGE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture
def production(pg: Any, audit_key: str) -> Iterator[dict[str, Any]]:
    """A running PostgreSQL with WAL archiving on, holding the migrated portal schema."""
    work = Path(tempfile.mkdtemp(prefix="drill-src-", dir="/tmp"))
    data, socket_dir, archive = work / "data", work / "socket", work / "wal-archive"
    socket_dir.mkdir()
    archive.mkdir()
    pg.hand_over(work)
    subprocess.run(
        pg.as_owner(
            [pg.program("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ),
        capture_output=True,
        check=True,
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "wal_level = replica\n"
            "archive_mode = on\n"
            f"archive_command = '{ARCHIVE_WAL} %p {archive}/%f'\n"
            "timezone = 'Asia/Bangkok'\n"
        )
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write("local replication all trust\n")
    log = work / "postgres.log"
    pg.hand_over(work)
    subprocess.run(
        pg.as_owner([pg.program("pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w"]),
        capture_output=True,
        check=True,
    )
    url = drill.socket_url(socket_dir, "postgres", "bizportal")
    try:
        psql = [pg.program("psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1"]
        maintenance = drill.socket_url(socket_dir, "postgres", "postgres")
        subprocess.run([*psql, maintenance, "-c", "CREATE DATABASE bizportal"], check=True)
        dump = work / "schema.dump"
        subprocess.run(
            [pg.program("pg_dump"), "-Fc", "-f", str(dump), source_url()],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [pg.program("pg_restore"), "--no-owner", "--no-privileges", "-d", url, str(dump)],
            check=True,
            capture_output=True,
        )
        yield {"url": url, "archive": archive, "psql": psql, "work": work, "socket": socket_dir}
    finally:
        subprocess.run(
            pg.as_owner([pg.program("pg_ctl"), "stop", "-D", str(data), "-m", "immediate"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(work, ignore_errors=True)


def query(production: dict[str, Any], sql: str) -> str:
    return subprocess.run(
        [*production["psql"], "-At", production["url"], "-c", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_point_in_time_restore_into_a_fresh_cluster_verifies_the_audit_chain(
    pg: Any, production: dict[str, Any], audit_key: str
) -> None:
    started = time.monotonic()
    url = production["url"]
    write_audit(url, audit_key, "before_backup", anchor=True)
    # The base backup as deploy/postgres/base-backup.sh takes it in production.
    bindir = Path(pg.program("pg_basebackup")).parent
    env = os.environ | {
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "PGHOST": str(production["socket"]),
        "PGUSER": "postgres",
        "BACKUP_DIR": str(production["work"] / "backups"),
        "WAL_ARCHIVE_DIR": str(production["archive"]),
        "KEEP_BASE_BACKUPS": "2",
    }
    taken = subprocess.run(
        [str(shutil.which("sh")), str(BASE_BACKUP)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert taken.returncode == 0, taken.stderr
    (backup,) = (production["work"] / "backups" / "base").iterdir()
    assert (backup / "base.tar.gz").exists() and (backup / "backup_manifest").exists()
    # After the base backup: only the archived WAL carries these, and the target time
    # falls between the two batches.
    target = dt.datetime.fromisoformat(
        write_audit(url, audit_key, "after_backup", "after_target", anchor=True)
    )
    last_kept = query(
        production, "SELECT max(seq) FROM core_auditevent WHERE action = 'drill.after_backup'"
    )
    assert int(query(production, "SELECT max(seq) FROM core_auditevent")) > int(last_kept)
    # Close the segment holding the last commit and wait until it is in the archive.
    last = query(production, "SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 30
    while query(production, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < last:
        assert time.monotonic() < deadline, f"{last} was not archived"
        time.sleep(0.2)

    args = [
        "pitr",
        "--backup",
        str(backup),
        "--wal-archive",
        str(production["archive"]),
        "--target-time",
        target.isoformat(),
        "--workdir",
        str(production["work"]),
    ]
    if pg.os_user:
        args += ["--os-user", pg.os_user]
    result = run_drill(*args, audit_key=audit_key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[drill] PASSED" in result.stdout
    assert "audit chain of the restored data verifies" in result.stdout
    assert "checkpoint(s): intact" in result.stdout
    # The rows written after the base backup came back from the archived WAL; those
    # after the target did not: the restored chain ends at the last row before it.
    assert f"head seq {last_kept}," in result.stdout
    assert time.monotonic() - started < 120


def test_logical_restore_verifies_and_a_broken_chain_fails_the_drill(
    pg: Any, production: dict[str, Any], audit_key: str
) -> None:
    """A dump restored into a new database verifies; once a row of the source is edited
    behind the chain's back, the same drill fails and names the row."""
    write_audit(production["url"], audit_key, "logical", anchor=True)
    result = run_drill("logical", "--source-url", production["url"], audit_key=audit_key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[drill] PASSED" in result.stdout
    assert "checkpoint(s): intact" in result.stdout
    edited = query(production, "SELECT max(seq) FROM core_auditevent")
    query(
        production,
        "ALTER TABLE core_auditevent DISABLE TRIGGER USER;"
        " UPDATE core_auditevent SET action = 'tampered'"
        " WHERE seq = (SELECT max(seq) FROM core_auditevent);"
        " ALTER TABLE core_auditevent ENABLE TRIGGER USER",
    )
    result = run_drill("logical", "--source-url", production["url"], audit_key=audit_key)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "does NOT verify" in result.stderr
    assert f"BROKEN at row {edited}" in result.stderr
    # The drill's scratch database is gone either way.
    databases = query(production, "SELECT string_agg(datname, ' ') FROM pg_database")
    assert "_drill_" not in databases


def test_a_target_time_without_an_offset_is_refused(audit_key: str) -> None:
    result = run_drill(
        "verify",
        "--database-url",
        source_url(),
        "--target-time",
        "2026-12-01 10:00",
        audit_key=audit_key,
    )
    assert result.returncode == 1
    assert "needs an offset" in result.stderr
