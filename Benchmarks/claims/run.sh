#!/usr/bin/env bash
# make bench-claims: the month-end batch — CLAIMS (default 10,000) claims generated, submitted to the
# Claim.MD stand-in and their statuses read back, wall time per phase. See Benchmarks/README.md.
#
# Release build in .build-release; `ledgerline serve` on its embedded PostgreSQL in a temporary
# folder, with the Claim.MD plugin pointed at scripts/standins/claimmd_standin.py (Claim.MD's
# documented 100 requests/minute per account kept: --rate-limit 100). The payer's steps happen only
# when the benchmark calls the stand-in's /_admin/advance (ack/process delays of a day).
# Environment: CLAIMS, CLIENTS (50), WORKERS (6), BATCH_SIZE (claims per file, 2000),
# POLL_SECONDS (status sync interval, 2), LOG_LEVEL (server, notice), WORKER_CONCURRENCY (server's
# job workers, its default 4 unless set), KEEP=1 keeps the temporary folder and its logs, SWIFT.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
CLAIMS=${CLAIMS:-10000}

$SWIFT build -c release --scratch-path .build-release --product LedgerlineClaimMDPlugin
$SWIFT build -c release --scratch-path .build-release --product ledgerline
bin=$($SWIFT build -c release --scratch-path .build-release --show-bin-path)
ext=so; [ "$(uname)" = Darwin ] && ext=dylib
plugin="$bin/libLedgerlineClaimMDPlugin.$ext"
[ -x "$bin/ledgerline" ] && [ -f "$plugin" ] || { echo "bench-claims: release products missing in $bin"; exit 1; }

dir=$(mktemp -d /tmp/llclaims.XXXXXX)
# As root the server runs its cluster as the OS user `ledgerline`, which must reach the data dir.
chmod 755 "$dir"
server_pid=
standin_pid=
cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$server_pid" 2>/dev/null && { echo "bench-claims: server did not stop on SIGTERM; killing it"; kill -KILL "$server_pid" 2>/dev/null || true; }
  fi
  if [ -n "$standin_pid" ] && kill -0 "$standin_pid" 2>/dev/null; then
    kill -TERM "$standin_pid" 2>/dev/null || true
    wait "$standin_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
    echo "--- last lines of the server log ($dir/server.log) ---"; tail -n 40 "$dir/server.log"
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "bench-claims: kept $dir"; else rm -rf "$dir"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

account_key="bench_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
operator_key="bench-operator-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The Claim.MD stand-in: READY <port> on stdout.
python3 scripts/standins/claimmd_standin.py --port 0 --account-key "$account_key" --rate-limit 100 \
  --ack-seconds 86400 --process-seconds 86400 >"$dir/standin.out" 2>"$dir/standin.log" &
standin_pid=$!
for _ in $(seq 1 100); do
  grep -q '^READY ' "$dir/standin.out" 2>/dev/null && break
  kill -0 "$standin_pid" 2>/dev/null || { cat "$dir/standin.log"; echo "bench-claims: the stand-in exited"; exit 1; }
  sleep 0.1
done
standin_port=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$dir/standin.out")
[ -n "$standin_port" ] || { echo "bench-claims: the stand-in never said READY"; exit 1; }

cat >"$dir/plugins.json" <<JSON
[{"name": "claimmd", "path": "$plugin", "settings": {"baseURL": "http://127.0.0.1:$standin_port/services"},
  "allowedHosts": ["127.0.0.1"], "timeoutSeconds": 120}]
JSON
chmod 644 "$dir/plugins.json"
secret_key="bench1:$(head -c 32 /dev/urandom | base64)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

env -u DATABASE_URL LEDGERLINE_OPERATOR_KEY="$operator_key" LEDGERLINE_DATA_DIR="$dir/data" \
  LEDGERLINE_PLUGINS="$dir/plugins.json" LEDGERLINE_SECRET_KEY="$secret_key" \
  LEDGERLINE_CLAIM_HOLD_SECONDS=0 LEDGERLINE_STATUS_POLL_SECONDS="${POLL_SECONDS:-2}" \
  LEDGERLINE_CLAIM_BATCH_SIZE="${BATCH_SIZE:-2000}" LEDGERLINE_X12_USAGE=T LEDGERLINE_LOG_LEVEL="${LOG_LEVEL:-notice}" \
  ${WORKER_CONCURRENCY:+LEDGERLINE_WORKER_CONCURRENCY=$WORKER_CONCURRENCY} \
  "$bin/ledgerline" serve --port "$port" >"$dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "bench-claims: the server exited during start"; exit 1; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "bench-claims: the server is not ready"; exit 1; }

python3 Benchmarks/claims/month_end.py --port "$port" --standin-port "$standin_port" \
  --operator-key "$operator_key" --account-key "$account_key" --claims "$CLAIMS" \
  --clients "${CLIENTS:-50}" --workers "${WORKERS:-6}" --standin-log "$dir/standin.log" \
  --poll-seconds "${POLL_SECONDS:-2}" \
  --results "$dir/results.json"
