#!/usr/bin/env bash
# Party matching and sanctions screening: quality on labelled pairs generated
# from the built-in SDN list (six sets), the throughput of screening
# 1,000,000 party names against every listed name and alias, then the
# candidates for one party among BENCH_CANDIDATE_PARTIES parties on SQLite
# and PostgreSQL.
#
# Sizes: BENCH_MATCH_PAIRS, BENCH_SCREEN_NAMES, BENCH_SCREEN_RUNS,
# BENCH_CANDIDATE_PARTIES; BENCH_BACKENDS="sqlite postgres".
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${BENCH_MATCH_PAIRS:-2000}
NAMES=${BENCH_SCREEN_NAMES:-1000000}
RUNS=${BENCH_SCREEN_RUNS:-3}
# 200,000 by default, to keep `make bench` within its 30 minutes: loading
# 1,000,000 parties (48 million blocking keys) took 2,503 s on SQLite on a
# busy machine. Issue 23's figure is taken with BENCH_CANDIDATE_PARTIES=1000000.
PARTIES=${BENCH_CANDIDATE_PARTIES:-200000}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGSSLMODE=${PGSSLMODE:-disable}
cargo build --release -q -p interdict-bench --bin match-quality --bin screen-throughput --bin party-candidates
echo "## Matching quality ($SIZE positives a set)"
target/release/match-quality --size "$SIZE"
echo
echo "## Screening throughput ($NAMES names, 2 threads, $RUNS runs)"
for run in $(seq 1 "$RUNS"); do
    target/release/screen-throughput --names "$NAMES" --threads 2 --seed "$run"
done

work=$(mktemp -d)
pg_db="interdict_candidates_$$"
cleanup() {
    rm -rf "$work"
    if [[ " $BACKENDS " == *" postgres "* ]]; then
        psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
echo
echo "## Candidates for one party ($PARTIES parties, 500 lookups)"
for backend in $BACKENDS; do
    echo "### $backend"
    if [ "$backend" = postgres ]; then
        psql -q "$PG_URL" -c "CREATE DATABASE $pg_db" >/dev/null
        url="${PG_URL%/*}/$pg_db"
    else
        url="sqlite://$work/candidates.db"
    fi
    /usr/bin/time -f "(%e s wall, %U s user, %S s system, %M KiB peak RSS)" \
        target/release/party-candidates "$url" "$PARTIES"
    if [ "$backend" = sqlite ]; then rm -f "$work"/candidates.db*; fi
done
