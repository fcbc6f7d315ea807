#!/usr/bin/env bash
# A/B of two release binaries: the audited GET /api/v1/shipments/{id} and
# POST /api/v1/shipments under wrk (2 threads, 32 connections), the two
# binaries interleaved round by round so that drift of a shared machine
# falls on both alike; medians at the end, and the median of the rounds'
# ratios. Each binary serves the same demo dataset in a database it made
# itself, so binaries whose schemas differ compare too.
#
#   bench/ab.sh BASELINE_BINARY CANDIDATE_BINARY
#
# AB_BACKEND: sqlite (default) or postgres (at INTERDICT_BENCH_POSTGRES_URL).
# The candidate runs with the environment in AB_CANDIDATE_ENV (e.g.
# "INTERDICT_METRICS_BIND=127.0.0.1:19100") on top of the baseline's.
# AB_SCRAPE (a URL) is fetched from the candidate after each of its rounds.
# Beside each rate: the CPU time per request of the server and of the
# database processes serving it, which the machine's other load moves less.
# Sizes: AB_SHIPMENTS (50,000), AB_ROUNDS (3), AB_DURATION (10s).
# Needs wrk, curl, and sqlite3 or psql.
set -euo pipefail

A=$(realpath "$1")
B=$(realpath "$2")
SHIPMENTS=${AB_SHIPMENTS:-50000}
ROUNDS=${AB_ROUNDS:-3}
DURATION=${AB_DURATION:-10s}
PORT=${AB_PORT:-18190}
BACKEND=${AB_BACKEND:-sqlite}
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGSSLMODE=${PGSSLMODE:-disable}
SEED=7
PASSWORD="harbour lantern quartz $SEED"
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    if [ "$BACKEND" = postgres ]; then
        for side in a b; do
            psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS ab_${side}_$$ WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db_url() { # side (A or B)
    local side=${1,,}
    if [ "$BACKEND" = postgres ]; then echo "${PG_URL%/*}/ab_${side}_$$"; else echo "sqlite://$work/$side.db"; fi
}
sql() { # side, query → one value
    if [ "$BACKEND" = postgres ]; then psql -qAt "$(db_url "$1")" -c "$2"; else sqlite3 "${work}/${1,,}.db" "$2"; fi
}
for side in A B; do
    binary=$([ "$side" = A ] && echo "$A" || echo "$B")
    if [ "$BACKEND" = postgres ]; then
        psql -q "$PG_URL" -c "CREATE DATABASE ab_${side,,}_$$" >/dev/null
    fi
    INTERDICT_DATABASE_URL=$(db_url "$side") INTERDICT_LOG=warn \
        "$binary" demo --shipments "$SHIPMENTS" --seed "$SEED" >/dev/null 2>&1
    if [ "$BACKEND" = postgres ]; then psql -q "$(db_url "$side")" -c "VACUUM ANALYZE" >/dev/null; fi
done

start() { # side binary [extra environment]
    local side=$1 binary=$2
    shift 2
    env INTERDICT_DATABASE_URL="$(db_url "$side")" INTERDICT_BIND="127.0.0.1:$PORT" INTERDICT_LOG=warn \
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

# The same seed makes the same records on both sides, under other ids:
# each side has its own requests.
for side in A B; do
id=$(sql "$side" "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'shipment' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
echo "$id" >"$work/id-$side"
party=$(sql "$side" "SELECT r.id FROM records r JOIN agencies a ON a.id = r.owner_agency_id WHERE r.kind = 'party' AND a.ori = 'DCFPTU000' ORDER BY r.id LIMIT 1")
cat >"$work/post-$side.lua" <<EOF
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
done

# Requests per second, or FAILED when any answer was not 2xx.
rps() { awk '/Non-2xx|Socket errors/ { bad = 1 } /Requests\/sec/ { r = $2 } END { print (bad ? "FAILED" : r) }'; }
requests() { awk '/requests in/ { print $1 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# CPU time, in clock ticks, of the server and of the database's processes
# serving its side (none on SQLite): "pid ticks" lines. CPU per request
# does not depend on what else the machine runs, as the rate does.
ticks() { # side
    local pids=$server_pid
    if [ "$BACKEND" = postgres ]; then
        pids="$pids $(pgrep -f "postgres: .* ab_${1,,}_$$" | tr '\n' ' ')"
    fi
    for pid in $pids; do
        awk -v p="$pid" '{ print p, $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true
    done
}
# Milliseconds of CPU per request between two `ticks` snapshots.
cpu_per_request() { # before after requests
    awk -v n="$3" -v hz="$(getconf CLK_TCK)" 'NR == FNR { b[$1] = $2; next } { t += $2 - b[$1] } END { printf "%.3f", t / hz * 1000 / n }' "$1" "$2"
}
measured() { # side what: runs wrk with the remaining arguments; prints "rate cpu"
    local side=$1 what=$2 out
    shift 2
    ticks "$side" >"$work/before"
    out=$(wrk -t2 -c32 -d"$DURATION" -H "Authorization: Bearer $token" "$@")
    ticks "$side" >"$work/after"
    echo "$(rps <<<"$out") $(cpu_per_request "$work/before" "$work/after" "$(requests <<<"$out")")"
}

read -r -a candidate_env <<<"${AB_CANDIDATE_ENV:-}"
for round in $(seq 1 "$ROUNDS"); do
    for side in A B; do
        if [ "$side" = A ]; then start A "$A"; else start B "$B" "${candidate_env[@]}"; fi
        token=$(curl -sf -H 'Content-Type: application/json' \
            -d "{\"username\":\"investigator.dcfptu000\",\"password\":\"$PASSWORD\"}" \
            "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
        read -r get get_cpu < <(measured "$side" get \
            "http://127.0.0.1:$PORT/api/v1/shipments/$(cat "$work/id-$side")")
        read -r post post_cpu < <(AB_TAG="$side$round" measured "$side" post \
            -s "$work/post-$side.lua" "http://127.0.0.1:$PORT/api/v1/shipments")
        if [ "$side" = B ] && [ -n "${AB_SCRAPE:-}" ]; then
            echo "candidate's $AB_SCRAPE: $(curl -sf "$AB_SCRAPE" | grep -c '^interdict_') samples"
        fi
        stop
        echo "round $round $side: GET $get req/s ($get_cpu ms CPU each), POST $post req/s ($post_cpu ms CPU each)"
        echo "$get" >>"$work/get-$side"
        echo "$post" >>"$work/post-$side"
        echo "$get_cpu" >>"$work/get_cpu-$side"
        echo "$post_cpu" >>"$work/post_cpu-$side"
    done
done
# B ÷ A of each round, whose two runs were minutes apart: the machine's
# drift between rounds falls out of it, as it does not out of the ratio of
# the two medians.
paired() { # file-A file-B → median of the rounds' ratios (a FAILED round left out)
    paste "$1" "$2" | awk '$1 + 0 > 0 && $2 + 0 > 0 { print $2 / $1 }' | median
}
echo
echo "| median of $ROUNDS, $BACKEND, $SHIPMENTS shipments | A (baseline) | B (candidate) | B ÷ A | B ÷ A, median of rounds |"
echo "|---|---:|---:|---:|---:|"
for what in get post; do
    a=$(median <"$work/$what-A")
    b=$(median <"$work/$what-B")
    r=$(paired "$work/$what-A" "$work/$what-B")
    label=$([ "$what" = get ] && echo "audited GET /api/v1/shipments/{id}" || echo "audited POST /api/v1/shipments")
    awk -v l="$label" -v a="$a" -v b="$b" -v r="$r" 'BEGIN { printf "| %s, req/s | %.0f | %.0f | %.3f | %.3f |\n", l, a, b, b / a, r }'
    a=$(median <"$work/${what}_cpu-A")
    b=$(median <"$work/${what}_cpu-B")
    r=$(paired "$work/${what}_cpu-A" "$work/${what}_cpu-B")
    awk -v l="$label" -v a="$a" -v b="$b" -v r="$r" 'BEGIN { printf "| … CPU per request (server and its database processes), ms | %.3f | %.3f | %.3f | %.3f |\n", a, b, b / a, r }'
done
