#!/usr/bin/env bash
# `make run`: the server on its embedded PostgreSQL with the email, SMS and Claim.MD plugins, and a
# local Claim.MD stand-in (scripts/standins/claimmd_standin.py, account key "demo-claimmd-key") so
# the insurance workflow can be tried end to end without a Claim.MD account. Ctrl-C stops both.
# Usage: scripts/run-dev.sh DATA_DIR BIN_PATH PORT
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?data directory}; bin=${2:?bin path}; port=${3:?port}
export CLAIMMD_PORT=${CLAIMMD_PORT:-8181}
scripts/dev-config.sh "$data" "$bin"
python3 scripts/standins/claimmd_standin.py --port "$CLAIMMD_PORT" --account-key demo-claimmd-key \
  --ack-seconds 30 --process-seconds 120 >"$data/claimmd-standin.log" 2>&1 &
standin=$!
trap 'kill $standin 2>/dev/null || true' EXIT
echo "Claim.MD stand-in on 127.0.0.1:$CLAIMMD_PORT (AccountKey demo-claimmd-key), log in $data/claimmd-standin.log"
LEDGERLINE_DATA_DIR="$data" LEDGERLINE_PLUGINS="$data/plugins.json" \
  LEDGERLINE_SECRET_KEY="$(cat "$data/secret-key")" \
  LEDGERLINE_CLAIM_HOLD_SECONDS="${LEDGERLINE_CLAIM_HOLD_SECONDS:-60}" \
  LEDGERLINE_STATUS_POLL_SECONDS="${LEDGERLINE_STATUS_POLL_SECONDS:-30}" \
  "$bin/ledgerline" serve --port "$port"
