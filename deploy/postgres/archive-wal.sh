#!/bin/sh
# PostgreSQL archive_command: copy one finished WAL segment into the WAL archive.
#   archive_mode = on
#   archive_command = '/usr/local/bin/archive-wal.sh %p /wal-archive/%f'
#   archive_timeout = 60      # a quiet database still closes a segment every minute (RPO)
# The archive is a volume of its own (in Kubernetes a PersistentVolumeClaim on storage
# replicated off the database's node, in Compose the "wal-archive" volume), copied off
# site with the media backup. The base backups (base-backup.sh) plus this archive restore
# to any moment since the oldest base backup kept: deploy/restore_drill.py pitr.
#
# PostgreSQL's rules for an archive command: exit 0 only once the file is safely stored
# (fsync before the rename), and never overwrite an archived segment with different
# content (exit non-zero so PostgreSQL retries and the operator sees it in the log).
set -eu
source_path="$1"
destination="$2"

if [ -f "$destination" ]; then
    # Archiving the same segment twice after a crash is normal; a different one is not.
    if cmp -s "$source_path" "$destination"; then
        exit 0
    fi
    echo "archive-wal: $destination exists with different content; refusing to overwrite" >&2
    exit 1
fi

directory="$(dirname "$destination")"
partial="$directory/.$(basename "$destination").partial.$$"
trap 'rm -f "$partial"' EXIT
cp "$source_path" "$partial"
sync "$partial"
mv "$partial" "$destination"
sync "$directory"
trap - EXIT
