#!/usr/bin/env bash
# One line on what `cargo test` ran, read from its output: how many tests
# passed, failed or were ignored on SQLite, on PostgreSQL, in the browser,
# and elsewhere (unit and HTTP tests that need no database choice).
set -euo pipefail
log=${1:?usage: test-summary.sh CARGO_TEST_LOG}

awk '
/^test .* \.\.\. / {
    name = $2
    lane = "other"
    if (name ~ /(^|::)sqlite::/) lane = "SQLite"
    else if (name ~ /postgres/) lane = "PostgreSQL"
    else if (name ~ /in_the_browser/) lane = "browser"
    if ($0 ~ /\.\.\. ok$/) ok[lane]++
    else if ($0 ~ /\.\.\. ignored/) ignored[lane]++
    else if ($0 ~ /\.\.\. FAILED$/) failed[lane]++
}
END {
    n = split("SQLite PostgreSQL browser other", lanes, " ")
    line = "tests:"
    for (i = 1; i <= n; i++) {
        l = lanes[i]
        part = sprintf(" %s %d passed", l, ok[l] + 0)
        if (failed[l] > 0) part = part sprintf(", %d FAILED", failed[l])
        if (ignored[l] > 0) part = part sprintf(", %d NOT RUN (ignored)", ignored[l])
        line = line part (i < n ? " ·" : "")
    }
    print line
}' "$log"
