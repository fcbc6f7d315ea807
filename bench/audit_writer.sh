#!/usr/bin/env bash
# Audited-read throughput of the real binary under wrk, with the audit
# writer's group commit on (max batch 512) and off (max batch 1), on SQLite
# and PostgreSQL, next to /healthz (the framework's ceiling on this machine).
#
# Needs: wrk (apt-get install wrk); PostgreSQL at $PG_URL for that half.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/release/interdict
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# The server is on this host, where TLS protects nothing and costs every
# round trip (libpq's default is to use it when offered); a deployment
# across a network keeps it. Set PGSSLMODE to measure otherwise.
export PGSSLMODE=${PGSSLMODE:-disable}
PORT=${BENCH_PORT:-18181}
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PASSWORD="obsidian lantern meadow harpsichord"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release -q -p interdict-web --bin interdict

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

start() { # url batch
    INTERDICT_DATABASE_URL=$1 INTERDICT_AUDIT_MAX_BATCH=$2 INTERDICT_BIND=127.0.0.1:$PORT \
    INTERDICT_BOOTSTRAP_PASSWORD=$PASSWORD INTERDICT_LOG=warn \
        "$BIN" serve >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
        sleep 0.1
    done
    cat "$work/server.log"; exit 1
}

stop() {
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

measure() { # label url [header]
    local out
    if [ $# -ge 3 ]; then
        out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$3" "$2")
    else
        out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
    fi
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '| %-44s | %10s | %8s | %8s | %s |\n' "$1" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); commit $(git rev-parse --short HEAD)"
echo "wrk -t2 -c$CONNECTIONS -d$DURATION, server and load driver on the same machine"
echo
printf '| %-44s | %10s | %8s | %8s | %s |\n' "scenario" "req/s" "p50" "p99" "errors"
echo "|---|---:|---:|---:|---|"
for backend in sqlite postgres; do
    for batch in 512 1; do
        if [ "$backend" = sqlite ]; then
            url="sqlite://$work/bench-$batch.db"
        else
            db="interdict_bench_$$_$batch"
            psql -q "$PG_URL" -c "CREATE DATABASE $db" >/dev/null
            url="${PG_URL%/*}/$db"
        fi
        start "$url" "$batch"
        token=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" \
            -H 'content-type: application/json' \
            -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
        if [ "$batch" = 512 ]; then
            measure "$backend: GET /healthz (ceiling)" "http://127.0.0.1:$PORT/healthz"
        fi
        measure "$backend: audited GET /api/v1/me, batch $batch" \
            "http://127.0.0.1:$PORT/api/v1/me" "Authorization: Bearer $token"
        stop
        if [ "$backend" = postgres ]; then
            psql -q "$PG_URL" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
        fi
    done
done
