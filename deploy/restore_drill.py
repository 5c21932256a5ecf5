#!/usr/bin/env python3
"""Restore drill: restore a PostgreSQL backup somewhere fresh and prove the audit trail
survived it.

A backup nobody has restored is a hope, not a backup. This script does what a disaster
recovery does, on a scratch copy, and exits non-zero unless the restored database opens
and its audit hash chain and signed checkpoints verify (``manage.py verify_audit``):

``pitr``
    Physical point-in-time recovery: a base backup (``pg_basebackup -Ft -z``, as the
    ``bizportal-db-base-backup`` CronJob and ``deploy/postgres/base-backup.sh`` take
    them; or a new one taken now from ``--source-url``) is unpacked and checked against
    its manifest (``pg_verifybackup``) into a FRESH data directory, archived WAL is
    replayed through ``--wal-archive`` or ``--restore-command`` up to ``--target-time``
    (or to the end of the archive), and a throwaway server is started on a Unix socket
    inside the work directory only: no TCP port, archiving off, so the drill can never
    reach clients or write into the production WAL archive.
``logical``
    ``pg_dump`` of ``--source-url`` restored with ``pg_restore`` into a NEW database
    (``--target-url``, by default a new database on the same server), for managed
    PostgreSQL services that give no access to base backups.
``verify``
    Only the checks, against a database restored by other means (a CloudNativePG
    recovery cluster, a cloud provider's point-in-time restore).

Run it where the portal's Python environment is (the image has it at /app):
``python deploy/restore_drill.py pitr --backup /backups/base/20261201T0200Z
--wal-archive /backups/wal --target-time "2026-12-01 10:15:00+07"``. It uses only the
standard library and the PostgreSQL client and server programs (``--pg-bin`` or the
``pg_config --bindir`` on PATH), so it also runs on an operator's workstation.

PostgreSQL servers refuse to run as root: when the drill runs as root, ``--os-user``
names the account that owns the scratch cluster (``postgres`` on most hosts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
#: ``manage.py`` next to ``deploy/``: the repository root, or /app in the image.
DEFAULT_MANAGE = HERE.parent / "manage.py"
PROGRAMS = ("pg_basebackup", "pg_verifybackup", "pg_ctl", "pg_dump", "pg_restore", "psql")


class DrillFailed(Exception):
    """A step of the drill did not work: the message says which and why."""


@dataclass(frozen=True)
class Postgres:
    """Where the PostgreSQL programs are, and which account runs the server ones."""

    bindir: Path | None
    os_user: str | None = None

    def program(self, name: str) -> str:
        if self.bindir is not None:
            candidate = self.bindir / name
            if candidate.exists():
                return str(candidate)
        found = shutil.which(name)
        if found is None:
            raise DrillFailed(f"{name} not found: install the PostgreSQL programs or set --pg-bin")
        return found

    def as_owner(self, argv: Sequence[str]) -> list[str]:
        """A server-side command (pg_ctl, initdb) as the scratch cluster's owner."""
        if self.os_user is None:
            return list(argv)
        return ["runuser", "-u", self.os_user, "--", *argv]

    def hand_over(self, path: Path) -> None:
        """Give the scratch tree to the server's account (PostgreSQL insists on owning
        its data directory, mode 0700)."""
        if self.os_user is None:
            return
        shutil.chown(path, self.os_user)
        for root, directories, files in os.walk(path):
            for name in directories + files:
                shutil.chown(Path(root) / name, self.os_user)


def find_bindir(explicit: str | None) -> Path | None:
    """``--pg-bin``, else the server programs' directory ``pg_config`` names."""
    if explicit:
        return Path(explicit)
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed programs, no shell
        [pg_config, "--bindir"], capture_output=True, text=True, check=False
    )
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def redacted(argv: Sequence[str]) -> str:
    """The command line as the log may show it: a password in a URL becomes ***."""
    return re.sub(r"(://[^/:@\s]+):[^/@\s]+@", r"\1:***@", shlex.join(argv))


def run(argv: Sequence[str], *, what: str, env: dict[str, str] | None = None) -> str:
    """Run one step; a failure names the step and carries the program's own words."""
    print(f"[drill] {what}: {redacted(argv)}", flush=True)
    result = subprocess.run(  # noqa: S603 - fixed programs, no shell
        list(argv), capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise DrillFailed(
            f"{what} failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result.stdout


def socket_url(socket_dir: Path, user: str, database: str) -> str:
    """A ``postgres://`` URL to a server listening only on a Unix socket (the host part
    is the socket directory, percent-encoded, as both libpq and dj-database-url read it)."""
    return f"postgres://{quote(user, safe='')}@{quote(str(socket_dir), safe='')}/{database}"


def url_user(url: str | None, default: str) -> str:
    return (urlsplit(url).username if url else None) or default


def url_database(url: str | None, default: str) -> str:
    return ((urlsplit(url).path or "/").lstrip("/") if url else "") or default


# --- The checks ------------------------------------------------------------------------


def check_restored(
    pg: Postgres,
    database_url: str,
    *,
    manage: Path,
    python: str,
    target_time: dt.datetime | None = None,
) -> None:
    """The restored database opens, its audit rows are where the target says, and
    ``manage.py verify_audit`` finds the hash chain and every checkpoint intact."""
    facts = run(
        [
            pg.program("psql"),
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--field-separator=|",
            "--dbname",
            database_url,
            "--command",
            "SELECT count(*), coalesce(max(seq), 0), coalesce(extract(epoch FROM max(at)), 0)"
            " FROM core_auditevent",
        ],
        what="read the restored audit trail",
    ).strip()
    rows, head, epoch = facts.split("|")
    last_at = dt.datetime.fromtimestamp(float(epoch), dt.UTC)
    print(f"[drill] restored audit trail: {rows} row(s), head seq {head}, last at {last_at}")
    if int(rows) == 0:
        raise DrillFailed("the restored database has no audit rows: not a Biz Portal backup?")
    if target_time is not None and last_at > target_time:
        raise DrillFailed(
            f"the restore went past its target: an audit row at {last_at} is later "
            f"than {target_time.isoformat()}"
        )
    env = {
        key: value
        for key, value in os.environ.items()
        # Only the restored database: not a replica, not a pool sized for production.
        # (A DATABASE_PASSWORD_FILE stays: the scratch cluster's trust ignores it, a
        # restored production database may need it.)
        if key not in {"DATABASE_REPLICA_URL", "DATABASE_POOL_SIZE"}
    }
    env["DATABASE_URL"] = database_url
    result = subprocess.run(  # noqa: S603 - fixed programs, no shell
        [python, str(manage), "verify_audit"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=manage.parent,
    )
    print(result.stdout.strip(), flush=True)
    if result.returncode != 0:
        raise DrillFailed(
            f"the audit chain of the restored data does NOT verify: {result.stderr.strip()}"
        )
    print("[drill] audit chain of the restored data verifies", flush=True)


# --- pitr ------------------------------------------------------------------------------


def unpack(backup: Path, data: Path) -> None:
    """A tar-format base backup into a data directory: base.tar[.gz] at its root and
    pg_wal.tar[.gz] (the WAL the backup needs to be consistent) into pg_wal/."""
    data.mkdir(mode=0o700, parents=True)
    bases = sorted(backup.glob("base.tar*"))
    if not bases:
        if (backup / "PG_VERSION").exists():  # a plain-format backup: copy it as it is
            shutil.copytree(backup, data, dirs_exist_ok=True)
            return
        raise DrillFailed(f"{backup} holds no base.tar(.gz) nor a plain data directory")
    with tarfile.open(bases[0]) as archive:
        archive.extractall(data, filter="tar")
    wal = sorted(backup.glob("pg_wal.tar*"))
    if wal:
        with tarfile.open(wal[0]) as archive:
            archive.extractall(data / "pg_wal", filter="tar")
    if (backup / "backup_manifest").exists():
        shutil.copy2(backup / "backup_manifest", data / "backup_manifest")
    if list((data / "pg_tblspc").glob("*")):
        raise DrillFailed("the backup has tablespaces: restore them by hand, the drill does not")
    data.chmod(0o700)


def configure_recovery(
    data: Path, socket_dir: Path, restore_command: str, target_time: dt.datetime | None
) -> None:
    """Recovery settings, and a server nobody but the drill can reach."""
    if not (data / "postgresql.conf").exists():
        # Debian-style clusters keep their configuration outside the data directory.
        (data / "postgresql.conf").write_text("")
    settings = {
        "restore_command": restore_command,
        "recovery_target_timeline": "latest",
        "recovery_target_action": "promote",
        # Never push the scratch cluster's WAL into the production archive.
        "archive_mode": "off",
        "archive_command": "",
        "listen_addresses": "",
        "unix_socket_directories": str(socket_dir),
        "port": "5432",
        # Nobody reads it before the target is reached; and a standby's parameter checks
        # (max_connections at least the primary's) do not apply.
        "hot_standby": "off",
        "hba_file": str(data / "pg_hba.conf"),
        "ident_file": str(data / "pg_ident.conf"),
        "ssl": "off",
        "log_destination": "stderr",
        "logging_collector": "off",
    }
    if target_time is not None:
        settings["recovery_target_time"] = target_time.isoformat()
        settings["recovery_target_inclusive"] = "on"
    with (data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# restore drill\n")
        for name, value in settings.items():
            conf.write(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n")
    # Only the drill's own account, through the socket in its private directory.
    (data / "pg_hba.conf").write_text("local all all trust\n")
    (data / "pg_ident.conf").write_text("")
    for leftover in ("postmaster.pid", "standby.signal", "postmaster.opts"):
        (data / leftover).unlink(missing_ok=True)
    (data / "recovery.signal").write_text("")


def wait_for_promotion(pg: Postgres, data: Path, url: str, log: Path, timeout: float) -> None:
    """Recovery replays WAL and then promotes: wait until the server answers as a
    primary, and fail early (with the server's log) if it stopped instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(  # noqa: S603 - fixed programs, no shell
            [
                pg.program("psql"),
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--dbname",
                url,
                "--command",
                "SELECT pg_is_in_recovery()",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "f":
            return
        status = subprocess.run(  # noqa: S603 - fixed programs, no shell
            pg.as_owner([pg.program("pg_ctl"), "status", "-D", str(data)]),
            capture_output=True,
            text=True,
            check=False,
        )
        if status.returncode == 3:  # no server running: recovery failed
            raise DrillFailed(f"recovery stopped the server:\n{tail(log)}")
        time.sleep(0.5)
    raise DrillFailed(f"recovery did not finish within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def pitr(args: argparse.Namespace, pg: Postgres) -> None:
    if args.backup is None and args.source_url is None:
        raise DrillFailed("give --backup (a base backup directory) or --source-url to take one")
    if args.restore_command is None and args.wal_archive is None:
        raise DrillFailed("give --wal-archive DIR or --restore-command to fetch archived WAL")
    restore_command = args.restore_command or (
        f"cp {shlex.quote(str(Path(args.wal_archive).resolve()))}/%f %p"
    )
    target = parse_time(args.target_time)
    work = Path(tempfile.mkdtemp(prefix="drill-", dir=args.workdir))
    data, socket_dir, log = work / "data", work / "socket", work / "postgres.log"
    started = False
    try:
        backup = Path(args.backup) if args.backup else work / "backup"
        if args.backup is None:
            run(
                [
                    pg.program("pg_basebackup"),
                    "--dbname",
                    args.source_url,
                    "--pgdata",
                    str(backup),
                    "--format=tar",
                    "--gzip",
                    "--wal-method=stream",
                    "--checkpoint=fast",
                    "--label=bizportal-restore-drill",
                ],
                what="take a base backup",
            )
        unpack(backup, data)
        if (data / "backup_manifest").exists():
            run(
                [
                    pg.program("pg_verifybackup"),
                    "--manifest-path",
                    str(data / "backup_manifest"),
                    str(data),
                ],
                # Every file's checksum, and the WAL from the backup's start to its end.
                what="check the backup against its manifest",
            )
        socket_dir.mkdir(mode=0o700)
        configure_recovery(data, socket_dir, restore_command, target)
        pg.hand_over(work)
        started = True
        run(
            pg.as_owner(
                [
                    pg.program("pg_ctl"),
                    "start",
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    # Without hot standby the server only reports ready once it has
                    # replayed up to the target and promoted: wait as long as that may take.
                    "-w",
                    "-t",
                    str(int(args.timeout)),
                ]
            ),
            what="start the restored cluster (replaying archived WAL)",
        )
        database = url_database(args.source_url, args.database)
        url = socket_url(socket_dir, url_user(args.source_url, args.db_user), database)
        wait_for_promotion(pg, data, url, log, args.timeout)
        print(f"[drill] recovered: {tail(log, 200).count('restored log file')} WAL file(s)")
        check_restored(pg, url, manage=Path(args.manage), python=args.python, target_time=target)
    finally:
        if started:
            subprocess.run(  # noqa: S603 - fixed programs, no shell
                pg.as_owner([pg.program("pg_ctl"), "stop", "-D", str(data), "-m", "immediate"]),
                capture_output=True,
                check=False,
            )
        if args.keep:
            print(f"[drill] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# --- logical ---------------------------------------------------------------------------


def logical(args: argparse.Namespace, pg: Postgres) -> None:
    if args.source_url is None:
        raise DrillFailed("give --source-url, the database to dump")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    source = urlsplit(args.source_url)
    target_url = args.target_url or urlunsplit(
        source._replace(path=f"/{url_database(args.source_url, 'bizportal')}_drill_{stamp}")
    )
    target_db = url_database(target_url, "")
    maintenance = urlunsplit(urlsplit(target_url)._replace(path="/postgres"))
    work = Path(tempfile.mkdtemp(prefix="drill-", dir=args.workdir))
    created = False
    try:
        dump = work / "bizportal.dump"
        run(
            [pg.program("pg_dump"), "--format=custom", "--file", str(dump), args.source_url],
            what="dump the source database",
        )
        run(
            [
                pg.program("psql"),
                "--no-psqlrc",
                "--dbname",
                maintenance,
                "--command",
                f'CREATE DATABASE "{target_db}"',
            ],
            what="create a fresh database",
        )
        created = True
        run(
            [
                pg.program("pg_restore"),
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--dbname",
                target_url,
                str(dump),
            ],
            what="restore the dump into it",
        )
        check_restored(pg, target_url, manage=Path(args.manage), python=args.python)
    finally:
        if created and not args.keep:
            run(
                [
                    pg.program("psql"),
                    "--no-psqlrc",
                    "--dbname",
                    maintenance,
                    "--command",
                    f'DROP DATABASE IF EXISTS "{target_db}" WITH (FORCE)',
                ],
                what="drop the drill database",
            )
        elif created:
            print(f"[drill] kept database {target_db}")
        shutil.rmtree(work, ignore_errors=True)


def verify_only(args: argparse.Namespace, pg: Postgres) -> None:
    if args.database_url is None:
        raise DrillFailed("give --database-url, the restored database")
    check_restored(
        pg,
        args.database_url,
        manage=Path(args.manage),
        python=args.python,
        target_time=parse_time(args.target_time),
    )


def parse_time(text: str | None) -> dt.datetime | None:
    """A target time with its offset: a zone-less time would mean whatever the server's
    TimeZone is, which a drill must not guess."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DrillFailed(f"--target-time {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise DrillFailed(f"--target-time {text!r} needs an offset, e.g. +07:00 or Z")
    return moment


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = top.add_subparsers(dest="mode", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--pg-bin", help="directory of the PostgreSQL programs")
    common.add_argument("--os-user", help="account that runs the scratch server (if root)")
    common.add_argument("--manage", default=str(DEFAULT_MANAGE), help="the portal's manage.py")
    common.add_argument("--python", default=sys.executable, help="Python that runs manage.py")
    common.add_argument("--workdir", help="where the scratch files go (default: the temp dir)")
    common.add_argument("--keep", action="store_true", help="keep the restored copy")
    common.add_argument("--target-time", help="recover to this time (ISO 8601 with offset)")
    p = sub.add_parser("pitr", parents=[common], help="base backup + archived WAL")
    p.add_argument("--backup", help="a pg_basebackup directory (tar or plain format)")
    p.add_argument("--source-url", help="take the base backup from this server now")
    p.add_argument("--wal-archive", help="directory archive-wal.sh writes to")
    p.add_argument("--restore-command", help="restore_command fetching %%f into %%p")
    p.add_argument("--database", default="bizportal", help="database to check")
    p.add_argument("--db-user", default="postgres", help="role to connect as")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds for recovery")
    lg = sub.add_parser("logical", parents=[common], help="pg_dump into a new database")
    lg.add_argument("--source-url", help="the database to dump")
    lg.add_argument("--target-url", help="the new database (created; dropped unless --keep)")
    v = sub.add_parser("verify", parents=[common], help="check an already restored database")
    v.add_argument("--database-url", help="the restored database")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if (
        args.os_user is None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
        and args.mode == "pitr"
    ):
        print("[drill] FAILED: PostgreSQL does not run as root: give --os-user", file=sys.stderr)
        return 2
    pg = Postgres(find_bindir(args.pg_bin), args.os_user)
    started = time.monotonic()
    try:
        {"pitr": pitr, "logical": logical, "verify": verify_only}[args.mode](args, pg)
    except DrillFailed as failure:
        print(f"[drill] FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    # The time from backup to a verified database: compare it with the RTO.
    print(f"[drill] PASSED in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
