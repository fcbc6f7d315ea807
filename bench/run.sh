#!/usr/bin/env bash
# Every benchmark, in the order `make bench` runs them, with the total time
# (the budget is 30 minutes on a 2-core machine at the default sizes).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
# Every binary in one cargo run: the crates they share compile once, in
# parallel, instead of once per script; each script's own build is then a
# no-op (and still lets it run alone).
section=$SECONDS
cargo build --release -q -p interdict-web -p interdict-bench
echo "(build: $((SECONDS - section)) s)"
for bench in trace audit_verify audit_writer scale matching; do
    echo
    echo "# bench/$bench.sh"
    section=$SECONDS
    "bench/$bench.sh"
    echo "($bench: $((SECONDS - section)) s)"
done
total=$((SECONDS - started))
printf '\nmake bench took %d min %02d s (budget: 30 min)\n' $((total / 60)) $((total % 60))
