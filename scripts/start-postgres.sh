#!/usr/bin/env bash
# Start a local PostgreSQL (Debian's cluster) for the storage tests and print the URL.
# Idempotent: an already running cluster and existing role/database are reused.
set -euo pipefail
# Only the URL goes to stdout (callers capture it); everything the tools print goes to stderr
# (pg_ctlcluster prints "Removed stale pid file." on a machine image that was snapshotted running).
{
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    $SUDO pg_createcluster "$version" main >/dev/null
    cluster="$version main"
fi
read -r version name <<<"$cluster"
port=$(pg_lsclusters --no-header | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $3}')
if ! pg_lsclusters --no-header | awk -v v="$version" -v n="$name" '$1==v && $2==n {print $4}' | grep -q online; then
    $SUDO pg_ctlcluster "$version" "$name" start
fi
as_postgres() { $SUDO runuser -u postgres -- "$@"; }
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='srs'" | grep -q 1 \
    || as_postgres psql -p "$port" -qc "CREATE ROLE srs LOGIN SUPERUSER PASSWORD 'srs'"
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_database WHERE datname='srs_test'" | grep -q 1 \
    || as_postgres createdb -p "$port" -O srs srs_test
} >&2
echo "postgresql+psycopg://srs:srs@127.0.0.1:${port}/srs_test"
