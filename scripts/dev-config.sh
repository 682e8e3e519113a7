#!/usr/bin/env bash
# Writes what `make run` (and the smoke test) needs beside the embedded cluster, once:
#   DATA_DIR/plugins.json  the shipped email, SMS and Claim.MD plugins, from BIN_PATH (Claim.MD pointed
#                          at the local Claim.MD stand-in on CLAIMMD_PORT, default 8181; the example
#                          payment processor is not loaded by default)
#   DATA_DIR/secret-key    a random LEDGERLINE_SECRET_KEY for sealing integration settings (0600)
# Usage: scripts/dev-config.sh DATA_DIR BIN_PATH
set -euo pipefail
data=${1:?data directory}
bin=${2:?swift build --show-bin-path}
mkdir -p "$data"
ext=so; [ "$(uname)" = Darwin ] && ext=dylib
cat >"$data/plugins.json" <<JSON
[
  {"name": "email", "path": "$bin/libLedgerlineEmailPlugin.$ext", "settings": {}, "timeoutSeconds": 60},
  {"name": "sms", "path": "$bin/libLedgerlineSMSPlugin.$ext", "settings": {},
   "allowedHosts": ["api.twilio.com"], "timeoutSeconds": 30},
  {"name": "claimmd", "path": "$bin/libLedgerlineClaimMDPlugin.$ext",
   "settings": {"baseURL": "http://127.0.0.1:${CLAIMMD_PORT:-8181}/services"},
   "allowedHosts": ["127.0.0.1"], "timeoutSeconds": 60}
]
JSON
if [ ! -s "$data/secret-key" ]; then
  (umask 077; echo "dev1:$(head -c 32 /dev/urandom | base64)" >"$data/secret-key")
fi
