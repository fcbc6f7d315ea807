# Interdict — the two commands are `make run` and `make test`.

SHELL := /bin/bash
CARGO ?= cargo
PG_HINT := postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test lint fmt build bench

DEMO_SHIPMENTS ?= 2000

## Start the service on the embedded SQLite database (./data/interdict.db).
## `make run DEMO=1` loads a demonstration dataset (once) into a database of
## its own, ./data/demo.db (or INTERDICT_DATABASE_URL, if you set it), and
## serves that, so demo records never mix with real ones.
run:
ifdef DEMO
	INTERDICT_DATABASE_URL="$${INTERDICT_DATABASE_URL:-sqlite://data/demo.db}" \
		$(CARGO) run --release -p interdict-web --bin interdict -- demo --shipments $(DEMO_SHIPMENTS) --seed 1 --if-absent
	INTERDICT_DATABASE_URL="$${INTERDICT_DATABASE_URL:-sqlite://data/demo.db}" \
		$(CARGO) run --release -p interdict-web --bin interdict -- serve
else
	$(CARGO) run --release -p interdict-web --bin interdict -- serve
endif

## Run the whole suite: unit, persistence, HTTP and browser tests, then one
## line on what ran. PostgreSQL tests run when INTERDICT_TEST_POSTGRES_URL
## is set, browser tests when chromedriver is installed (screenshots:
## target/screenshots/); otherwise the harness lists them as ignored.
test:
	@if [ -z "$$INTERDICT_TEST_POSTGRES_URL" ]; then \
		echo "PostgreSQL tests: not run (set INTERDICT_TEST_POSTGRES_URL=$(PG_HINT) to run them)"; \
	fi
	@if ! command -v chromedriver >/dev/null; then \
		echo "Browser tests: not run (apt-get install chromium chromium-driver to run them)"; \
	fi
	@mkdir -p target
	@set -o pipefail; status=0; \
		INTERDICT_CHROMEDRIVER="$$(command -v chromedriver || true)" \
		$(CARGO) test --workspace 2>&1 | tee target/test.log || status=$$?; \
		scripts/test-summary.sh target/test.log; \
		exit $$status

## Formatting and lints, as CI runs them.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

build:
	$(CARGO) build --release -p interdict-web --bin interdict

## Benchmarks (needs wrk, psql, sqlite3 and a local PostgreSQL; see
## BENCHMARKS.md). Prints its total time; the budget is 30 minutes.
bench:
	bench/run.sh
