#!/usr/bin/env bash
# The SQL statements one audited GET /api/v1/shipments/{id} and one POST
# /api/v1/shipments make on PostgreSQL, as the server logs them: the
# database (a private one, loaded by `interdict demo --seed 7`) gets
# log_statement = all, the server runs with one worker, and each request
# is sent alone, a second after the one before, so that the statements
# logged in between are its own (the audit writer's included).
#
#   bench/statements.sh DATABASE_NAME [BINARY]
#
# Needs psql, curl and read access to the PostgreSQL server's log
# ($PG_LOG, default /var/log/postgresql/postgresql-15-main.log, whose
# log_line_prefix must name the database: %d).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=$1
BIN=${2:-target/release/interdict}
PG=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
URL="${PG%/*}/$DB"
PG_LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
PORT=${STATEMENTS_PORT:-28419}
PASSWORD="harbour lantern quartz 7"
export PGSSLMODE=${PGSSLMODE:-disable}
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    psql -q "$PG" -c "ALTER DATABASE $DB RESET log_statement" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is in use: set STATEMENTS_PORT" >&2
    exit 1
fi
psql -q "$PG" -c "ALTER DATABASE $DB SET log_statement = 'all'"
INTERDICT_DATABASE_URL=$URL INTERDICT_BIND=127.0.0.1:$PORT INTERDICT_LOG=warn INTERDICT_WORKERS=1 \
    INTERDICT_BOOTSTRAP_PASSWORD="obsidian lantern meadow harpsichord" \
    "$BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    [ -e "/proc/$server_pid/status" ] || break
    sleep 0.1
done
[ -e "/proc/$server_pid/status" ] || { cat "$work/server.log"; exit 1; }

token=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"username\":\"investigator.dcfptu000\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
id=$(psql -qAt "$URL" -c "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'shipment' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
party=$(psql -qAt "$URL" -c "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'party' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
body='{"incident_type":"suspicious_shipment","status":"reported","mode":"air_express","tracking_numbers":[{"kind":"courier_tracking","value":"1ZSTMT%s"}],"parties":[{"party_id":"'$party'","role":"consignor"}],"declared_description":"laboratory reagent","lines":[],"legs":[{"from":{"country":"CN","locode":"CNSZX"},"to":{"country":"US","subdivision":"US-TX"},"departure_at":"2026-05-01T00:00:00Z"}]}'

logged() { # label, then the command to run; prints the statements it made
    local label=$1
    shift
    sleep 1
    local before
    before=$(wc -l <"$PG_LOG")
    "$@" >/dev/null
    sleep 1
    tail -n +"$((before + 1))" "$PG_LOG" | grep "@$DB " | grep -E "LOG:  (statement|execute)" \
        | sed -E 's/^.*\[([0-9]+)\] [^ ]+ LOG:  (statement|execute [^:]*): /\1 /' | cut -c1-150 >"$work/statements"
    echo
    echo "### $label: $(wc -l <"$work/statements") statements"
    echo '```'
    cat "$work/statements"
    echo '```'
}

echo "binary: $BIN ($(git rev-parse --short HEAD) tree); database $DB; statements by backend pid"
# Warm: the first request of a connection prepares its statements.
for n in 1 2 3; do
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/shipments/$id" >/dev/null
    # shellcheck disable=SC2059
    curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "$(printf "$body" "W$n")" "http://127.0.0.1:$PORT/api/v1/shipments" >/dev/null
done
logged "GET /api/v1/shipments/{id}" \
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/shipments/$id"
# shellcheck disable=SC2059
logged "POST /api/v1/shipments" \
    curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "$(printf "$body" "P$$")" "http://127.0.0.1:$PORT/api/v1/shipments"
