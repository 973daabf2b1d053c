#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL for the core/state and
# core/schedule tests, creates a role and database for them, and prints the DSN
# on stdout as its last line. Idempotent: safe to run again on a machine where
# it already ran. Meant for root on Debian 12; everything else goes to stderr.
#
# Usage (from .ci/run):
#   export SHOPBRIDGE_TEST_POSTGRES_DSN="$(core/state/testdata/start-postgres.sh | tail -n1)"
set -euo pipefail

PGUSER_NAME="${SHOPBRIDGE_TEST_PG_USER:-shopbridge}"
PGPASS="${SHOPBRIDGE_TEST_PG_PASSWORD:-shopbridge}"
PGDB="${SHOPBRIDGE_TEST_PG_DB:-shopbridge_test}"
PGPORT="${SHOPBRIDGE_TEST_PG_PORT:-5432}"

log() { echo "start-postgres: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
CLUSTER=main

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
  log "creating cluster $VERSION/$CLUSTER"
  pg_createcluster "$VERSION" "$CLUSTER" -p "$PGPORT" >&2
fi

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -qx online; then
  log "starting cluster $VERSION/$CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')"

# Wait until the server accepts connections (a fresh start takes a moment).
for _ in $(seq 1 60); do
  if su postgres -c "pg_isready -q -p $PORT" 2>/dev/null; then break; fi
  sleep 0.5
done
su postgres -c "pg_isready -q -p $PORT" || { log "postgres did not become ready on port $PORT"; exit 1; }

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -p $PORT -c \"$1\""; }

if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER_NAME'")" != "1" ]; then
  log "creating role $PGUSER_NAME"
  psql_admin "CREATE ROLE $PGUSER_NAME LOGIN PASSWORD '$PGPASS' CREATEDB" >&2
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname='$PGDB'")" != "1" ]; then
  log "creating database $PGDB"
  psql_admin "CREATE DATABASE $PGDB OWNER $PGUSER_NAME" >&2
fi

echo "postgres://$PGUSER_NAME:$PGPASS@127.0.0.1:$PORT/$PGDB?sslmode=disable"
