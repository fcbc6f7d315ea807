#!/usr/bin/env bash
# A/B of two release binaries on one SQLite demo database: the audited
# GET /api/v1/shipments/{id} and POST /api/v1/shipments under wrk (2
# threads, 32 connections), the two binaries interleaved round by round so
# that drift of a shared machine falls on both alike; medians at the end.
#
#   bench/ab.sh BASELINE_BINARY CANDIDATE_BINARY
#
# The candidate runs with the environment in AB_CANDIDATE_ENV (e.g.
# "INTERDICT_METRICS_BIND=127.0.0.1:19100") on top of the baseline's.
# AB_SCRAPE (a URL) is fetched from the candidate after each of its rounds.
# Sizes: AB_SHIPMENTS (50,000), AB_ROUNDS (3), AB_DURATION (10s).
# Needs wrk, curl and sqlite3.
set -euo pipefail

A=$(realpath "$1")
B=$(realpath "$2")
SHIPMENTS=${AB_SHIPMENTS:-50000}
ROUNDS=${AB_ROUNDS:-3}
DURATION=${AB_DURATION:-10s}
PORT=${AB_PORT:-18190}
SEED=7
PASSWORD="harbour lantern quartz $SEED"
work=$(mktemp -d)
DB="$work/interdict.db"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

INTERDICT_DATABASE_URL="sqlite://$DB" INTERDICT_LOG=warn \
    "$A" demo --shipments "$SHIPMENTS" --seed "$SEED" >/dev/null 2>&1

start() { # binary [extra environment]
    local binary=$1
    shift
    env INTERDICT_DATABASE_URL="sqlite://$DB" INTERDICT_BIND="127.0.0.1:$PORT" INTERDICT_LOG=warn \
        INTERDICT_BOOTSTRAP_PASSWORD="obsidian lantern meadow harpsichord" "$@" \
        "$binary" serve >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
        sleep 0.1
    done
    cat "$work/server.log"
    exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

id=$(sqlite3 "$DB" "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'shipment' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
party=$(sqlite3 "$DB" "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'party' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tag", threads) end
local n = 0
function request()
    n = n + 1
    local body = string.format('{"incident_type":"suspicious_shipment","status":"reported","mode":"air_express","tracking_numbers":[{"kind":"courier_tracking","value":"1ZAB%s%d%09d"}],"parties":[{"party_id":"$party","role":"consignor"}],"declared_description":"laboratory reagent","lines":[],"legs":[{"from":{"country":"CN","locode":"CNSZX"},"to":{"country":"US","subdivision":"US-TX"},"departure_at":"2026-05-01T00:00:00Z"}]}', os.getenv("AB_TAG") or "", tag, n)
    return wrk.format(nil, nil, nil, body)
end
EOF

# Requests per second, or FAILED when any answer was not 2xx.
rps() { awk '/Non-2xx|Socket errors/ { bad = 1 } /Requests\/sec/ { r = $2 } END { print (bad ? "FAILED" : r) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

read -r -a candidate_env <<<"${AB_CANDIDATE_ENV:-}"
for round in $(seq 1 "$ROUNDS"); do
    for side in A B; do
        if [ "$side" = A ]; then start "$A"; else start "$B" "${candidate_env[@]}"; fi
        token=$(curl -sf -H 'Content-Type: application/json' \
            -d "{\"username\":\"investigator.dcfptu000\",\"password\":\"$PASSWORD\"}" \
            "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
        get=$(wrk -t2 -c32 -d"$DURATION" -H "Authorization: Bearer $token" \
            "http://127.0.0.1:$PORT/api/v1/shipments/$id" | rps)
        post=$(AB_TAG="$side$round" wrk -t2 -c32 -d"$DURATION" -H "Authorization: Bearer $token" \
            -s "$work/post.lua" "http://127.0.0.1:$PORT/api/v1/shipments" | rps)
        if [ "$side" = B ] && [ -n "${AB_SCRAPE:-}" ]; then
            echo "candidate's $AB_SCRAPE: $(curl -sf "$AB_SCRAPE" | grep -c '^interdict_') samples"
        fi
        stop
        echo "round $round $side: GET $get req/s, POST $post req/s"
        echo "$get" >>"$work/get-$side"
        echo "$post" >>"$work/post-$side"
    done
done
echo
echo "| median of $ROUNDS, SQLite, $SHIPMENTS shipments | A (baseline) | B (candidate) | B ÷ A |"
echo "|---|---:|---:|---:|"
for what in get post; do
    a=$(median <"$work/$what-A")
    b=$(median <"$work/$what-B")
    label=$([ "$what" = get ] && echo "audited GET /api/v1/shipments/{id}" || echo "audited POST /api/v1/shipments")
    awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN { printf "| %s, req/s | %.0f | %.0f | %.3f |\n", l, a, b, b / a }'
done
