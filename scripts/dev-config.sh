#!/usr/bin/env bash
# Writes what `make run` (and the smoke test) needs beside the embedded cluster, once:
#   DATA_DIR/plugins.json  the shipped email and SMS plugins, from BIN_PATH (the example payment
#                          processor is not loaded by default)
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
   "allowedHosts": ["api.twilio.com"], "timeoutSeconds": 30}
]
JSON
if [ ! -s "$data/secret-key" ]; then
  (umask 077; echo "dev1:$(head -c 32 /dev/urandom | base64)" >"$data/secret-key")
fi
