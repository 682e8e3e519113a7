#!/usr/bin/env bash
# make bench: RPC throughput beside pgbench running the same SQL. See Benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
exec python3 Benchmarks/rpc/bench.py --bin "$($SWIFT build -c release --scratch-path .build-release --show-bin-path)/ledgerline" "$@"
