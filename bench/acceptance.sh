#!/usr/bin/env bash
# Acceptance alone (issue 25's first phase), on SQLite and PostgreSQL:
# `interdict import FILE` (no --wait) of LINES manifest lines, REPEAT times
# each into a fresh database, next to the sqlite3 shell's .import and
# PostgreSQL's COPY of the same file into one unindexed table, each timed
# the same way (wall seconds, user + system CPU seconds of the timed
# process, its peak RSS). The server's CPU is not in PostgreSQL's figures:
# only the client's (interdict, or psql for COPY).
#
#   BIN=path/to/interdict bench/acceptance.sh   # another build (before/after)
#
# Needs: psql, sqlite3, GNU time; PostgreSQL at $INTERDICT_BENCH_POSTGRES_URL.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/interdict}
GEN=${GEN:-target/release/manifest-gen}
PG_URL=${INTERDICT_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGSSLMODE=${PGSSLMODE:-disable}
SHIPMENTS=${BENCH_SHIPMENTS:-2000}
LINES=${BENCH_IMPORT_LINES:-1000000}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
REPEAT=${BENCH_REPEAT:-3}
USER_AS=investigator.dcfptu000

work=$(mktemp -d)
pg_db="interdict_accept_$$"
cleanup() {
    rm -rf "$work"
    psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Runs "$@" under GNU time; prints "wall user+sys rss_kib".
timed() {
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
        cat "$work/err" >&2
        return 1
    }
    awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$work/time"
}
report() { # what wall cpu rss
    awk -v w="$1" -v s="$2" -v c="$3" -v r="$4" -v n="$LINES" 'BEGIN {
        printf "%-44s %8.2f s %9.0f lines/s %7.2f CPU-s %6.0f MiB\n", w, s, n / s, c, r / 1024 }'
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD); binary $BIN"
echo "dataset: interdict demo --shipments $SHIPMENTS; $LINES manifest lines (manifest-gen $LINES 3)"
"$GEN" "$LINES" 3 >"$work/manifest.csv"
echo "file: $(du -m "$work/manifest.csv" | cut -f1) MB"
columns=$(head -1 "$work/manifest.csv" | sed 's/,/ TEXT, /g; s/$/ TEXT/')

for BACKEND in $BACKENDS; do
    echo
    echo "## $BACKEND"
    for i in $(seq "$REPEAT"); do
        if [ "$BACKEND" = postgres ]; then
            psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db"
            DB_URL="${PG_URL%/*}/$pg_db"
        else
            rm -f "$work"/interdict.db* "$work"/copy.db
            DB_URL="sqlite://$work/interdict.db"
        fi
        INTERDICT_DATABASE_URL=$DB_URL INTERDICT_LOG=warn "$BIN" demo --shipments "$SHIPMENTS" >/dev/null 2>&1
        # shellcheck disable=SC2046
        report "acceptance (interdict import), run $i" $(INTERDICT_DATABASE_URL=$DB_URL INTERDICT_LOG=warn timed "$BIN" import "$work/manifest.csv" --as "$USER_AS")
        # The same file again: every line accepted before.
        # shellcheck disable=SC2046
        report "re-upload of the same file, run $i" $(INTERDICT_DATABASE_URL=$DB_URL INTERDICT_LOG=warn timed "$BIN" import "$work/manifest.csv" --as "$USER_AS")
        if [ "$BACKEND" = postgres ]; then
            psql -q "$DB_URL" -c "CREATE TABLE manifest_copy ($columns)"
            # shellcheck disable=SC2046
            report "COPY into one unindexed table, run $i" $(timed psql -q "$DB_URL" -c "\\copy manifest_copy FROM '$work/manifest.csv' WITH (FORMAT csv, HEADER true)")
            echo "  stored lines: $(psql -qAt "$DB_URL" -c "SELECT count(*) FROM import_lines"), cells $(psql -qAt "$DB_URL" -c "SELECT pg_size_pretty(pg_total_relation_size('import_lines'))") with indexes"
        else
            sqlite3 "$work/copy.db" "CREATE TABLE manifest_copy ($columns);"
            # shellcheck disable=SC2046
            report ".import into one unindexed table, run $i" $(timed sqlite3 "$work/copy.db" ".import --csv --skip 1 $work/manifest.csv manifest_copy")
            echo "  stored lines: $(sqlite3 "$work/interdict.db" "SELECT count(*) FROM import_lines"), database $(du -m "$work/interdict.db" | cut -f1) MB, .import's $(du -m "$work/copy.db" | cut -f1) MB"
        fi
    done
done
