# Ledgerline — the two commands are `make run` and `make test`.
SWIFT ?= swift
PORT ?= 8080
LEDGERLINE_OPERATOR_KEY ?= dev-operator-key
LEDGERLINE_DATA_DIR ?= $(CURDIR)/.ledgerline
# The test cluster's socket path must stay short (Unix sockets allow ~107 bytes).
TEST_DB_DIR ?= /tmp/llt-$(shell echo "$(CURDIR)" | md5sum | cut -c1-10)

.PHONY: all deps build run test unit-test bench bench-x12 bench-835 bench-claims faults load fuzz release-products lint clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

## make run: build and start the server on 127.0.0.1:$(PORT) with its own embedded PostgreSQL.
##   It loads the email, SMS and Claim.MD plugins (Claim.MD pointed at a local stand-in, AccountKey
##   demo-claimmd-key) and seals integration settings with a key kept in $(LEDGERLINE_DATA_DIR)/secret-key
##   (both written by scripts/dev-config.sh on first run).
run: build
	LEDGERLINE_OPERATOR_KEY="$(LEDGERLINE_OPERATOR_KEY)" \
		scripts/run-dev.sh "$(LEDGERLINE_DATA_DIR)" "$$($(SWIFT) build --show-bin-path)" $(PORT)

## make test: build once, start a throwaway PostgreSQL, run every test, stop the cluster even on failure.
test: deps
	$(SWIFT) build --build-tests
	TEST_DB_DIR="$(TEST_DB_DIR)" SWIFT="$(SWIFT)" scripts/run-tests.sh

## make bench: release build, wrk against practice.get and member.update, pgbench with the same SQL.
bench:
	LEDGERLINE_WITH_BENCH=1 scripts/deps.sh
	$(SWIFT) build -c release --scratch-path .build-release --product ledgerline
	SWIFT="$(SWIFT)" Benchmarks/rpc/run.sh
	$(MAKE) bench-x12
	$(MAKE) bench-835

## make bench-x12: 837P generation speed (claims/s) for 10,000 claims, release build.
bench-x12:
	$(SWIFT) build -c release --scratch-path .build-release --product x12-bench
	.build-release/release/x12-bench 10000 5

## make bench-835: 835 read + balance throughput (MB/s) of Reader835 beside edi-835-parser and pyx12 on the
##   same ~12 MB file (venv in .venv-bench, release build); writes bench-results/x12-read.json.
bench-835:
	SWIFT="$(SWIFT)" Benchmarks/x12-read/run.sh

## make bench-claims: the month-end batch (CLAIMS, default 10,000) to the Claim.MD stand-in and back, release build.
bench-claims:
	SWIFT="$(SWIFT)" Benchmarks/claims/run.sh

## release-products: the server and the shipped plugins, release build in .build-release (for the suites below).
release-products: deps
	$(SWIFT) build -c release --scratch-path .build-release --product ledgerline
	$(SWIFT) build -c release --scratch-path .build-release --product LedgerlineEmailPlugin
	$(SWIFT) build -c release --scratch-path .build-release --product LedgerlineSMSPlugin
	$(SWIFT) build -c release --scratch-path .build-release --product LedgerlineClaimMDPlugin

RELEASE_BIN = $$($(SWIFT) build -c release --scratch-path .build-release --show-bin-path)

## make faults: three instances on one PostgreSQL, one SIGKILLed every 2–5 s, ≥ 10,000 jobs, exactly-once
##   checks (scripts/ops/multi_instance.py), then PostgreSQL restarted under write load (pg_restart.py).
##   Figures in bench-results/faults.json and bench-results/pg-restart.json.
faults: release-products
	mkdir -p bench-results
	python3 scripts/ops/multi_instance.py --bin "$(RELEASE_BIN)" --jobs 10000 --practices 30 --clients 30 \
		--drain-timeout 1800 --results bench-results/faults.json
	python3 scripts/ops/pg_restart.py --bin "$(RELEASE_BIN)" --results bench-results/pg-restart.json

## make load: 20 practices at 150 req/s (reads, writes, batches) for 5 minutes, then one practice at 10× its
##   rate limit for a minute; p50/p99, error rate and RSS over time in bench-results/load.json.
load: release-products
	mkdir -p bench-results
	python3 scripts/ops/load.py --bin "$(RELEASE_BIN)" --results bench-results/load.json

## make fuzz: 100,000 fuzzed JSON-RPC requests generated from rpc.discover (bench-results/fuzz.json).
fuzz: release-products
	mkdir -p bench-results
	python3 scripts/ops/fuzz.py --bin "$(RELEASE_BIN)" --count 100000 --seed 1 --results bench-results/fuzz.json

lint:
	$(SWIFT) format lint --recursive Sources Tests Plugins || true

clean:
	rm -rf .build .build-* "$(TEST_DB_DIR)"
