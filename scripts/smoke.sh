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
LEDGERLINE_OPERATOR_KEY=$key LEDGERLINE_DATA_DIR="$dir/data" "$bin" serve --port "$port" >"$dir/server.log" 2>&1 &
pid=$!
fail() { echo "smoke: FAIL: $*"; cat "$dir/server.log"; kill -9 $pid 2>/dev/null; exit 1; }
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || fail "server exited during start"
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || fail "not ready"

created=$(curl -s "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $key" -d '{"jsonrpc":"2.0","id":1,"method":"practice.create","params":{
  "legalName":"Riverbend Counseling PLLC","taxId":"12-3456789","taxIdType":"ein","npi":"1234567893",
  "taxonomyCode":"101YM0800X","billingProviderType":"organization",
  "address":{"line1":"12 Main St","city":"Springfield","state":"IL","postalCode":"62701"},
  "phone":"+12175550100","timeZone":"America/Chicago",
  "owner":{"firstName":"Ana","lastName":"Ruiz","email":"ana@riverbend.example"}}}')
secret=$(echo "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["apiKey"]["secret"])') || fail "practice.create: $created"
got=$(curl -s "http://127.0.0.1:$port/rpc" -H "Authorization: Bearer $secret" -d '{"jsonrpc":"2.0","id":2,"method":"practice.get"}')
echo "$got" | grep -q '"legalName":"Riverbend Counseling PLLC"' || fail "practice.get: $got"

kill -TERM $pid
for _ in $(seq 1 60); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
kill -0 $pid 2>/dev/null && fail "server did not stop on SIGTERM"
[ -S "$dir/data/run/.s.PGSQL.5432" ] && fail "embedded cluster still running after shutdown"
rm -rf "$dir"
echo "smoke: ok (serve → practice.create → practice.get → SIGTERM stops the embedded cluster)"
