#!/usr/bin/env bash
# Where the server's memory goes: starts a release binary on a database
# already loaded (`interdict demo`), samples its resident set every 20 ms
# from /proc, and prints VmRSS and VmHWM (the peak over the process's
# life, what bench/scale.sh reports after the export) at each point:
#   - as soon as /healthz answers (the database opened and migrated, keys
#     read, the party match-key backfill and the sanctions index done:
#     all of them run before the listener opens);
#   - two seconds later (the settler and the other background jobs);
#   - after each of two shipments exports as the auditor, the way
#     bench/scale.sh runs them.
# The curve sampled on the way is in $RSS_TRACE when that is set.
#
#   bench/rss.sh DATABASE_URL [BINARY]
#
# DATABASE_URL as INTERDICT_DATABASE_URL (sqlite://… or postgres://…);
# BINARY defaults to target/release/interdict. The demo's seed is 7.
# Extra environment for the server: RSS_ENV (e.g. "MALLOC_ARENA_MAX=2").
set -euo pipefail
cd "$(dirname "$0")/.."

DB_URL=$1
BIN=${2:-target/release/interdict}
PORT=${RSS_PORT:-28417}
SEED=7
PASSWORD="harbour lantern quartz $SEED"
export PGSSLMODE=${PGSSLMODE:-disable}
work=$(mktemp -d)
server_pid=""
sampler_pid=""
cleanup() {
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mib() { awk -v k="$1" '{ printf "%.1f", k / 1024 }' <<<""; }
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$server_pid/status"; }
point() { # label
    printf '| %-46s | %8s | %8s | %8s | %8s |\n' "$1" \
        "$(mib "$(field VmRSS)")" "$(mib "$(field VmHWM)")" \
        "$(mib "$(field RssAnon)")" "$(mib "$(field RssFile)")"
}

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is in use: set RSS_PORT" >&2
    exit 1
fi
started=$(date +%s.%N)
# shellcheck disable=SC2086
env INTERDICT_DATABASE_URL="$DB_URL" INTERDICT_BIND="127.0.0.1:$PORT" INTERDICT_LOG=info \
    INTERDICT_BOOTSTRAP_PASSWORD="obsidian lantern meadow harpsichord" ${RSS_ENV:-} \
    "$BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!
(
    while [ -e "/proc/$server_pid/status" ]; do
        awk -v t="$(date +%s.%N)" -v s="$started" \
            '$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 } END { printf "%.2f %d %d\n", t - s, r, h }' \
            "/proc/$server_pid/status" 2>/dev/null || true
        sleep 0.02
    done
) >"$work/trace" &
sampler_pid=$!
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    [ -e "/proc/$server_pid/status" ] || break
    sleep 0.05
done
# The server must still be ours and alive (not another one on the port).
if ! [ -e "/proc/$server_pid/status" ] || ! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
    cat "$work/server.log"
    exit 1
fi

echo "binary: $BIN ($(stat -c %y "$BIN" | cut -d. -f1)); database: ${DB_URL%%\?*}; extra environment: ${RSS_ENV:-none}"
echo "started in $(awk -v s="$started" -v t="$(date +%s.%N)" 'BEGIN { printf "%.2f", t - s }') s"
echo "| point | VmRSS MiB | VmHWM MiB | RssAnon MiB | RssFile MiB |"
echo "|---|---:|---:|---:|---:|"
point "/healthz answers (start-up work done)"
sleep 2
point "2 s later"
token=$(curl -sf -H 'Content-Type: application/json' \
    -d "{\"username\":\"auditor.dcfptu000\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
point "after the auditor's sign-in"
for n in 1 2; do
    t=$(date +%s.%N)
    curl -sf -H "Authorization: Bearer $token" -o "$work/export.csv" \
        "http://127.0.0.1:$PORT/api/v1/reports/shipments.csv"
    s=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    point "after export $n ($(($(wc -l <"$work/export.csv") - 1)) rows, $s s)"
done
cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$server_pid/stat")
echo "server CPU (user + system) over its life: $cpu s"
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""
grep -E "indexed|listening|job finished" "$work/server.log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-160 || true
if [ -n "${RSS_TRACE:-}" ]; then cp "$work/trace" "$RSS_TRACE"; fi
