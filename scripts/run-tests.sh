#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL cluster, then the end-to-end smoke test of the
# server binary. The cluster is stopped and removed whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${TEST_DB_DIR:?}"
SWIFT=${SWIFT:-swift}

scripts/test-postgres.sh stop "$TEST_DB_DIR"
rm -rf "$TEST_DB_DIR"
cleanup() { scripts/test-postgres.sh stop "$TEST_DB_DIR"; rm -rf "$TEST_DB_DIR"; }
trap cleanup EXIT

admin_url=$(scripts/test-postgres.sh start "$TEST_DB_DIR") || exit 1
export LEDGERLINE_TEST_ADMIN_URL="$admin_url"
echo "test cluster: $admin_url"

status=0
$SWIFT test --skip-build --skip PluginTests 2>&1 | tee "$TEST_DB_DIR.swift-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
# The plugin tests with real stand-ins (email, SMS, Claim.MD) next; then the plugin host's timing
# tests (a plugin that answers late, twice or never; calls through the host's HTTP with a timeout)
# on their own, so no other suite's load can starve their timers on a 2-core machine.
timing='MisbehavingPluginTests|PluginCallTests|HostHTTPTests'
$SWIFT test --skip-build --filter PluginTests --skip "$timing" 2>&1 | tee -a "$TEST_DB_DIR.swift-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
$SWIFT test --skip-build --filter "$timing" 2>&1 | tee -a "$TEST_DB_DIR.swift-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

LEDGERLINE_BIN="$($SWIFT build --show-bin-path)/ledgerline" scripts/smoke.sh || status=1
# Three instances on one PostgreSQL, one SIGKILLed every 2–5 s while ≥ 1,500 jobs run: every effect
# once, every claim submitted once (scripts/ops/multi_instance.py; `make faults` runs it at full size).
python3 scripts/ops/multi_instance.py --bin "$($SWIFT build --show-bin-path)" || status=1
# Load and fault suites at CI size (scripts/ops/README.md): 3,000 fuzzed requests (no 5xx, valid
# JSON-RPC, no other practice's data, RSS bounded), 30 s of mixed load with a noisy neighbour, and
# PostgreSQL restarted under writes (every acknowledged write kept, nothing left unanswered).
python3 scripts/ops/fuzz.py --bin "$($SWIFT build --show-bin-path)" --ci || status=1
python3 scripts/ops/load.py --bin "$($SWIFT build --show-bin-path)" --ci --quiet || status=1
python3 scripts/ops/pg_restart.py --bin "$($SWIFT build --show-bin-path)" --ci || status=1
# infra/ (Dockerfile, compose, Kubernetes, Citus) checked without Docker: schemas and invariants.
.venv/bin/python scripts/validate-infra.py || status=1
[ $status -eq 0 ] && echo "make test: all suites passed" || echo "make test: FAILED"
exit $status
