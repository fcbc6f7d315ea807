#!/usr/bin/env bash
# Party matching and sanctions screening: quality on labelled pairs generated
# from the built-in SDN list (six sets), then the throughput of screening
# 1,000,000 party names against every listed name and alias.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${BENCH_MATCH_PAIRS:-2000}
NAMES=${BENCH_SCREEN_NAMES:-1000000}
RUNS=${BENCH_SCREEN_RUNS:-3}
cargo build --release -q -p interdict-bench --bin match-quality --bin screen-throughput
echo "## Matching quality ($SIZE positives a set)"
target/release/match-quality --size "$SIZE"
echo
echo "## Screening throughput ($NAMES names, 2 threads, $RUNS runs)"
for run in $(seq 1 "$RUNS"); do
    target/release/screen-throughput --names "$NAMES" --threads 2 --seed "$run"
done
