#!/usr/bin/env bash
# Settlement A/B (issue 25): one accepted import settled by two release
# binaries, each serving its own copy of one database, in interleaved
# rounds (A, B, A, B, ...). Measured from /proc while `interdict serve`
# settles: the settling process's CPU seconds (user + system) and, on
# PostgreSQL, those of its server backends too, between the first settled
# line and the last. The CPU figures are the steady ones on a shared
# machine; wall seconds are printed beside them.
#
# Usage: bench/settle_ab.sh A_BIN B_BIN
#   BENCH_SHIPMENTS (20000)   demo shipments in the database first
#   BENCH_IMPORT_LINES (40000) manifest lines accepted, then settled
#   BENCH_BACKENDS (sqlite)   sqlite and/or postgres
#   BENCH_ROUNDS (2)          rounds of A then B
#   BENCH_PERF (empty)        if set, `perf record` B's last round into
#                             this file
#   A_ENV, B_ENV (empty)      extra NAME=VALUE settings for A's or B's
#                             server (e.g. INTERDICT_SETTLE_BATCH=5000)
# The dataset is made by A_BIN (demo, manifest-gen, import without
# --wait). Needs sqlite3, psql, target/release/manifest-gen.
set -euo pipefail
cd "$(dirname "$0")/.."

A=$1
B=$2
GEN=${GEN:-target/release/manifest-gen}
SHIPMENTS=${BENCH_SHIPMENTS:-20000}
LINES=${BENCH_IMPORT_LINES:-40000}
BACKENDS=${BENCH_BACKENDS:-sqlite}
ROUNDS=${BENCH_ROUNDS:-2}
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGSSLMODE=${PGSSLMODE:-disable}
USER_AS=investigator.dcfptu000
TICKS=$(getconf CLK_TCK)

work=$(mktemp -d)
pids=()
dbs=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for db in "${dbs[@]}"; do
        psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
ticks_of() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %T') UTC"
echo "A: $A ${A_ENV:-}"
echo "B: $B ${B_ENV:-}"
echo "dataset: interdict demo --shipments $SHIPMENTS --seed 7; manifest-gen $LINES 3, accepted"
"$GEN" "$LINES" 3 >"$work/manifest.csv"

for BACKEND in $BACKENDS; do
    echo
    echo "## $BACKEND"
    if [ "$BACKEND" = postgres ]; then
        base="settle_ab_$$"
        dbs+=("$base")
        psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $base WITH (FORCE)" -c "CREATE DATABASE $base"
        url="${PG_URL%/*}/$base"
    else
        url="sqlite://$work/base.db"
    fi
    INTERDICT_DATABASE_URL=$url INTERDICT_LOG=warn "$A" demo --shipments "$SHIPMENTS" --seed 7 >/dev/null 2>&1
    INTERDICT_DATABASE_URL=$url INTERDICT_LOG=warn "$A" import "$work/manifest.csv" --as "$USER_AS" >/dev/null 2>&1
    if [ "$BACKEND" = sqlite ]; then
        sqlite3 "$work/base.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    fi
    echo "| round | binary | lines | CPU s (process) | CPU s (db backends) | lines per CPU-second | wall s | lines/s wall |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for round in $(seq 1 "$ROUNDS"); do
        for side in A B; do
            bin=$A
            extra=${A_ENV:-}
            if [ "$side" = B ]; then bin=$B; extra=${B_ENV:-}; fi
            if [ "$BACKEND" = postgres ]; then
                db="settle_ab_$$_${side,,}_$round"
                dbs+=("$db")
                psql -q "$PG_URL" -c "CREATE DATABASE $db TEMPLATE $base"
                url="${PG_URL%/*}/$db"
                count() { psql -qAt "$url" -c "SELECT count(*) FROM import_lines WHERE $1"; }
            else
                cp "$work/base.db" "$work/run.db"
                rm -f "$work/run.db-wal" "$work/run.db-shm"
                url="sqlite://$work/run.db"
                count() { sqlite3 -cmd ".timeout 5000" "$work/run.db" "SELECT count(*) FROM import_lines WHERE $1"; }
            fi
            # shellcheck disable=SC2086 # A_ENV / B_ENV: words NAME=VALUE
            env $extra INTERDICT_DATABASE_URL=$url INTERDICT_BIND=127.0.0.1:18399 INTERDICT_LOG=warn \
                "$bin" serve >"$work/serve.log" 2>&1 &
            pid=$!
            pids+=("$pid")
            if [ -n "${BENCH_PERF:-}" ] && [ "$side" = B ] && [ "$round" = "$ROUNDS" ]; then
                perf record -F 199 --call-graph dwarf,16384 -p "$pid" -o "$BENCH_PERF" >/dev/null 2>&1 &
                perf_pid=$!
                label="B (under perf)"
            else
                label=$side
            fi
            declare -A backend_ticks=()
            backends() {
                [ "$BACKEND" = postgres ] || { echo 0; return; }
                local total=0 p t
                for p in $(psql -qAt "$url" -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
                    t=$(ticks_of "$p")
                    [ "$t" -gt 0 ] && backend_ticks[$p]=$t
                done
                for p in "${!backend_ticks[@]}"; do total=$((total + backend_ticks[$p])); done
                echo "$total"
            }
            start=""
            while true; do
                settled=$(count "settled")
                left=$(count "NOT settled")
                if [ -z "$start" ] && [ "$settled" -gt 0 ]; then
                    start="$(now) $(ticks_of "$pid") $(backends) $settled"
                fi
                if [ "$left" = 0 ] && [ -n "$start" ]; then
                    end="$(now) $(ticks_of "$pid") $(backends) $settled"
                    break
                fi
                sleep 0.5
            done
            if [ -n "${perf_pid:-}" ]; then kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" 2>/dev/null || true; perf_pid=""; fi
            kill "$pid"; wait "$pid" 2>/dev/null || true
            unset backend_ticks
            read -r t0 c0 b0 s0 <<<"$start"
            read -r t1 c1 b1 s1 <<<"$end"
            awk -v r="$round" -v side="$label" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
                -v b0="$b0" -v b1="$b1" -v s0="$s0" -v s1="$s1" -v hz="$TICKS" 'BEGIN {
                n = s1 - s0; cpu = (c1 - c0) / hz; db = (b1 - b0) / hz; wall = t1 - t0;
                printf "| %d | %s | %d | %.1f | %.1f | %.0f | %.1f | %.0f |\n", r, side, n, cpu, db, n / (cpu + db), wall, n / wall }'
            # What the rules found and flagged, keyed so both sides compare:
            # imported shipments by their line key, the others by id.
            findings="SELECT coalesce(k.line_key, CAST(r.id AS TEXT)) || ' ' || f.findings FROM risk_findings f JOIN records r ON r.id = f.record_id LEFT JOIN import_keys k ON k.shipment_id = r.id ORDER BY 1"
            flagged="SELECT coalesce(k.line_key, CAST(fl.shipment_id AS TEXT)) || ' ' || fl.state || ' ' || fl.reason || ' ' || CAST(fl.score AS TEXT) || ' ' || fl.indicators FROM flags fl LEFT JOIN import_keys k ON k.shipment_id = fl.shipment_id ORDER BY 1"
            dump="$work/dump-$BACKEND-$side-$round"
            if [ "$BACKEND" = postgres ]; then
                { psql -qAt "$url" -c "$findings"; psql -qAt "$url" -c "$flagged"; } >"$dump"
                psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
            else
                { sqlite3 "$work/run.db" "$findings"; sqlite3 "$work/run.db" "$flagged"; } >"$dump"
            fi
            echo "findings and flags of $side, round $round: $(wc -l <"$dump") rows, sha256 $(sha256sum "$dump" | cut -c1-16)" >>"$work/dumps"
            if [ "$side" = B ] && ! cmp -s "$work/dump-$BACKEND-A-$round" "$dump"; then
                echo "A and B differ in round $round:" >>"$work/dumps"
                diff "$work/dump-$BACKEND-A-$round" "$dump" | head -20 >>"$work/dumps" || true
            fi
        done
    done
    cat "$work/dumps"
    rm -f "$work/dumps"
done
