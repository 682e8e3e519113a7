#!/usr/bin/env bash
# End-to-end smoke test of the real binary, exactly as the README's first session does it:
# start `ledgerline serve` on an embedded cluster in a temporary folder, create a practice with
# the operator key, call practice.get with the owner's key, then SIGTERM and check the server
# stopped its cluster.
set -euo pipefail
bin=${LEDGERLINE_BIN:?path to the ledgerline binary}
dir=$(mktemp -d /tmp/llsmoke.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
key=smoke-operator-key
# The same plugin list and key file `make run` uses.
"$(dirname "$0")/dev-config.sh" "$dir/data" "$(dirname "$bin")"
LEDGERLINE_OPERATOR_KEY=$key LEDGERLINE_DATA_DIR="$dir/data" LEDGERLINE_PLUGINS="$dir/data/plugins.json" \
  LEDGERLINE_SECRET_KEY="$(cat "$dir/data/secret-key")" "$bin" serve --port "$port" >"$dir/server.log" 2>&1 &
pid=$!
fail() { echo "smoke: FAIL: $*"; cat "$dir/server.log"; kill -9 $pid 2>/dev/null; exit 1; }
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || fail "server exited during start"
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || fail "not ready"

# Run the README's first session verbatim (only host:port and the operator key differ).
session=$(sed -n '/<!-- first-session:begin -->/,/<!-- first-session:end -->/p' README.md | sed '1,2d;$d' | sed '$d')
[ -n "$session" ] || fail "README has no first-session block"
session=${session//localhost:8080/127.0.0.1:$port}
session=${session//dev-operator-key/$key}
output=$(bash -eu -c "$session" 2>&1) || fail "README session failed: $output"
echo "$output" | grep -q '"legalName":"Riverbend Counseling PLLC"' || fail "practice.get in the README session: $output"
echo "$output" | grep -q '"method":"apiKey.create"' || fail "audit.list in the README session: $output"
echo "$output" | grep -q 'OpenRPC 1.3.2' || fail "rpc.discover in the README session: $output"

# The plugins were loaded from their .so files and a practice can connect one.
grep -q '"plugin loaded".*\|plugin loaded' "$dir/server.log" || fail "no plugin loaded"
owner=$(echo "$output" | grep -o 'llk_[A-Za-z0-9]*' | head -1)
[ -n "$owner" ] || fail "no owner key in the README session output"
integrations=$(curl -s "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $owner" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"integration.configure","params":{"kind":"notificationChannel","channel":"email","plugin":"email","settings":{"smtpURL":"smtp://127.0.0.1:2525","fromAddress":"billing@example.com","password":"smoke-secret","username":"u"}}}')
echo "$integrations" | grep -q '"password":"\*\*\*\*\*\*\*\*"' || fail "integration.configure: $integrations"
available=$(curl -s "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $owner" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":1,"method":"integration.list"}')
echo "$available" | grep -q '"name":"sms"' || fail "integration.list: $available"

kill -TERM $pid
for _ in $(seq 1 60); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
kill -0 $pid 2>/dev/null && fail "server did not stop on SIGTERM"
[ -S "$dir/data/run/.s.PGSQL.5432" ] && fail "embedded cluster still running after shutdown"
rm -rf "$dir"
echo "smoke: ok (serve with the email and SMS plugins → README first session verbatim → integration.configure → SIGTERM stops the embedded cluster)"
