#!/bin/sh
# Streaming read replica: on first start, copy the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo), then run PostgreSQL as a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    PGPASSWORD="$(cat "$REPLICATION_PASSWORD_FILE")"
    export PGPASSWORD
    until pg_isready --host "$PRIMARY_HOST" --username replicator --quiet; do
        echo "waiting for the primary at $PRIMARY_HOST"
        sleep 2
    done
    pg_basebackup --host "$PRIMARY_HOST" --username replicator --pgdata "$PGDATA" \
        --write-recovery-conf --wal-method stream --no-password --progress
    chmod 0700 "$PGDATA"
    unset PGPASSWORD
fi
exec postgres -c hot_standby=on -c max_connections="${POSTGRES_MAX_CONNECTIONS:-200}"
