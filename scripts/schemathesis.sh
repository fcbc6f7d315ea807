#!/usr/bin/env bash
# Runs Schemathesis (4.x) against the OpenAPI document of a fresh instance:
# the `interdict` binary on a scratch SQLite database (or the PostgreSQL
# server named by SCHEMATHESIS_POSTGRES_URL, on a scratch database there),
# with a bounded number of examples per operation. Fails on any 5xx, any
# answer that breaks its schema and any status the document does not list.
#
#   scripts/schemathesis.sh            # target/debug/interdict, built if missing
#   INTERDICT_BIN=target/release/interdict SCHEMATHESIS_EXAMPLES=20 scripts/schemathesis.sh
#
# Two passes, as the callers the operations are for: the system
# administrator on accounts, agencies and sign-in; an investigator of a
# registered agency on everything else. Signing out, requiring a second
# factor and changing one's own password are left out: each would end or
# lock the run's own session.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${INTERDICT_BIN:-target/debug/interdict}
examples=${SCHEMATHESIS_EXAMPLES:-8}
seed=${SCHEMATHESIS_SEED:-1}
# The command: a path to it where pip put it off PATH (see .ci/run).
read -ra schemathesis <<<"${SCHEMATHESIS:-schemathesis}"
port=${SCHEMATHESIS_PORT:-18089}

"${schemathesis[@]}" --version >/dev/null 2>&1 || {
    echo "schemathesis not found: pip install schemathesis" >&2
    exit 2
}
if [ ! -x "$bin" ]; then
    cargo build -p interdict-web --bin interdict
fi

work=$(mktemp -d)
server=
pg_db=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    if [ -n "$pg_db" ]; then
        psql "$SCHEMATHESIS_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${SCHEMATHESIS_POSTGRES_URL:-}" ]; then
    pg_db="interdict_schemathesis_$$"
    psql "$SCHEMATHESIS_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
    database_url="${SCHEMATHESIS_POSTGRES_URL%/*}/$pg_db"
else
    database_url="sqlite://$work/interdict.db"
fi

base="http://127.0.0.1:$port"
admin_password="schemathesis admin lantern harpsichord"
INTERDICT_DATABASE_URL="$database_url" \
INTERDICT_BIND="127.0.0.1:$port" \
INTERDICT_BOOTSTRAP_PASSWORD="$admin_password" \
INTERDICT_LOG=warn \
    "$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    sleep 1
done
curl -fs "$base/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

# POST $1 with JSON $3 as token $2; prints the answer's field $4.
call() {
    curl -fsS -X POST "$base$1" -H 'Content-Type: application/json' \
        ${2:+-H "Authorization: Bearer $2"} -d "$3" |
        python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$4"
}
admin=$(call /api/v1/auth/login "" "{\"username\":\"admin\",\"password\":\"$admin_password\"}" access_token)
agency=$(call /api/v1/agencies "$admin" '{"name":"HSI Houston","level":"federal","jurisdiction":"US","ori":"TXHSI0100","contact":"duty desk"}' id)
call /api/v1/users "$admin" "{\"username\":\"fuzz.inv\",\"display_name\":\"Fuzz\",\"role\":\"investigator\",\"password\":\"$admin_password\",\"agency_id\":\"$agency\"}" id >/dev/null
investigator=$(call /api/v1/auth/login "" "{\"username\":\"fuzz.inv\",\"password\":\"$admin_password\"}" access_token)
# A shipment for the operations on one, which otherwise see only 404s.
shipment=$(call /api/v1/shipments "$investigator" '{"incident_type":"suspicious_shipment","mode":"air_cargo","legs":[{"from":{"country":"CN"},"to":{"country":"MX"}}]}' id)
cat >"$work/schemathesis.toml" <<TOML
[[operations]]
include-path-regex = '^/api/v1/shipments/\{id\}'
parameters = { "path.id" = "$shipment" }
TOML

run() {
    local token=$1
    shift
    "${schemathesis[@]}" --config-file "$work/schemathesis.toml" run "$base/api/v1/openapi.json" \
        --url "$base" \
        -H "Authorization: Bearer $token" \
        --checks not_a_server_error,response_schema_conformance,status_code_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" \
        --seed "$seed" \
        --workers 1 \
        --request-timeout 30 \
        --exclude-path /api/v1/auth/logout \
        --exclude-path /api/v1/mfa \
        --exclude-path '/api/v1/agencies/{agency_id}/mfa' \
        --exclude-path /api/v1/me/password \
        "$@"
}

start=$(date +%s)
status=0
echo "== schemathesis: system administrator on auth, users and agencies"
run "$admin" --include-tag auth --include-tag users --include-tag agencies || status=$?
echo "== schemathesis: investigator on everything else"
run "$investigator" --exclude-tag auth --exclude-tag users --exclude-tag agencies || status=$?
echo "schemathesis: $(($(date +%s) - start)) s, exit $status"
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 50 lines)"
    tail -50 "$work/server.log"
fi
exit "$status"
