#!/usr/bin/env bash
# Audit verification of 1,000,000 entries, on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# The server is on this host, where TLS protects nothing and costs every
# round trip (libpq's default is to use it when offered); a deployment
# across a network keeps it. Set PGSSLMODE to measure otherwise.
export PGSSLMODE=${PGSSLMODE:-disable}
ENTRIES=${BENCH_AUDIT_ENTRIES:-1000000}
cargo build --release -q -p interdict-bench --bin audit-verify-bench
work=$(mktemp -d)
db="interdict_audit_bench_$$"
cleanup() {
    rm -rf "$work"
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "## SQLite"
target/release/audit-verify-bench "sqlite://$work/audit.db" "$ENTRIES"
echo
echo "## PostgreSQL"
psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
target/release/audit-verify-bench "${PG_URL%/*}/$db" "$ENTRIES"
