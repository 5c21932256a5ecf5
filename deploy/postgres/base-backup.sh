#!/bin/sh
# A PostgreSQL base backup for point-in-time recovery, where the database is not run by
# an operator that backs it up itself (Compose's db-backup service, a VM with cron):
#   PGHOST=db-primary PGUSER=replicator PGPASSWORD_FILE=/run/secrets/replication_password \
#   BACKUP_DIR=/backups WAL_ARCHIVE_DIR=/wal-archive KEEP_BASE_BACKUPS=8 base-backup.sh
# Writes BACKUP_DIR/base/<UTC time>/ (pg_basebackup tar format, gzip, with the WAL that
# makes it consistent and a backup_manifest), keeps the newest KEEP_BASE_BACKUPS and
# removes archived WAL older than the oldest one kept: what remains restores to any
# moment since that backup (deploy/restore_drill.py pitr). The role needs REPLICATION.
set -eu
base_dir="${BACKUP_DIR:-/backups}/base"
keep="${KEEP_BASE_BACKUPS:-8}"
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$base_dir"
# Written under a temporary name: a half-written backup is never taken for a whole one.
pg_basebackup --pgdata "$base_dir/$stamp.partial" --format=tar --gzip \
    --wal-method=stream --checkpoint=fast --label "bizportal-$stamp"
mv "$base_dir/$stamp.partial" "$base_dir/$stamp"
echo "base-backup: $base_dir/$stamp"

# Keep the newest $keep complete backups.
ls -1d "$base_dir"/*Z | sort | head -n "-$keep" | xargs -r rm -rf

# Archived WAL older than the oldest backup kept can no longer be used: remove it. The
# oldest backup's history file (<segment>.<offset>.backup, carrying its label) marks the
# first segment still needed.
if [ -n "${WAL_ARCHIVE_DIR:-}" ]; then
    oldest="$(ls -1d "$base_dir"/*Z | sort | head -n 1)"
    history="$(grep -l "^LABEL: bizportal-$(basename "$oldest")\$" \
        "$WAL_ARCHIVE_DIR"/*.backup 2>/dev/null | head -n 1 || true)"
    if [ -n "$history" ]; then
        pg_archivecleanup "$WAL_ARCHIVE_DIR" "$(basename "$history")"
    fi
fi
