#!/usr/bin/env bash
# make bench-835: 835 read + balance throughput (MB/s) of Reader835 beside edi-835-parser and pyx12,
# on the same generated file (≥ 10 MB) in the same run. See Benchmarks/README.md.
#
# 1. a venv in .venv-bench with edi-835-parser 1.8.0 and pyx12 4.0.0 (from PyPI; pulls pandas);
# 2. a ~12 MB 835 made by ../shared/tools/make_big_x12.py from a real professional remittance
#    (UnitedHealthcare sample: SVC lines with CO/PR CAS, the layout closest to ours), in a temp folder;
# 3. x12-read-bench in release (.build-release), then the Python peers (peers835.py);
# 4. a table, and every figure in bench-results/x12-read.json.
# Environment: ROUNDS (Swift, 5), PEER_ROUNDS (edi-835-parser, 3), PYX12_ROUNDS (3),
# PYX12_MB (time pyx12 on a smaller file made the same way, e.g. 2; default: the same file),
# PYX12_MODE (context or validate, default context), TARGET_MB (12), FIXTURE (a file in
# ../shared/fixtures/x12/835), SHARED (../shared), KEEP=1 keeps the temp folder, SWIFT.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
SHARED=${SHARED:-../shared}
FIXTURE=${FIXTURE:-edi835parser-united_healthcare_legacy_sample.txt}
TARGET_MB=${TARGET_MB:-12}
ROUNDS=${ROUNDS:-5}
PEER_ROUNDS=${PEER_ROUNDS:-3}
PYX12_ROUNDS=${PYX12_ROUNDS:-3}
PYX12_MODE=${PYX12_MODE:-context}
VENV=.venv-bench
results=bench-results/x12-read.json
mkdir -p bench-results

[ -f "$SHARED/tools/make_big_x12.py" ] || { echo "bench-835: $SHARED/tools/make_big_x12.py not found (shared/ beside the repo?)"; exit 1; }
[ -f "$SHARED/fixtures/x12/835/$FIXTURE" ] || { echo "bench-835: no fixture $SHARED/fixtures/x12/835/$FIXTURE"; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q edi-835-parser==1.8.0 pyx12==4.0.0

dir=$(mktemp -d /tmp/llbench835.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "bench-835: kept $dir"; else rm -rf "$dir"; fi; }
trap cleanup EXIT

big="$dir/big_835.835"
python3 "$SHARED/tools/make_big_x12.py" 835 "$SHARED/fixtures/x12/835/$FIXTURE" --target-mb "$TARGET_MB" \
  --claims-per-st 1000 -o "$big" >"$dir/generated.json"
echo "bench-835: generated $(cat "$dir/generated.json") from $FIXTURE"
pyx12_args=()
if [ -n "${PYX12_MB:-}" ]; then
  small="$dir/small_835.835"
  python3 "$SHARED/tools/make_big_x12.py" 835 "$SHARED/fixtures/x12/835/$FIXTURE" --target-mb "$PYX12_MB" \
    --claims-per-st 1000 -o "$small" >"$dir/generated-pyx12.json"
  echo "bench-835: pyx12 file $(cat "$dir/generated-pyx12.json")"
  pyx12_args=(--pyx12-file "$small")
fi

$SWIFT build -c release --scratch-path .build-release --product x12-read-bench
bin=$($SWIFT build -c release --scratch-path .build-release --show-bin-path)

load_before=$(uptime)
echo "bench-835: $load_before"
"$bin/x12-read-bench" "$big" "$ROUNDS" | tee "$dir/swift.out"
"$VENV/bin/python" Benchmarks/x12-read/peers835.py "$big" --rounds "$PEER_ROUNDS" --pyx12-rounds "$PYX12_ROUNDS" \
  --pyx12-mode "$PYX12_MODE" "${pyx12_args[@]}" | tee "$dir/peers.out"
load_after=$(uptime)
echo "bench-835: $load_after"

python3 - "$dir" "$results" "$FIXTURE" "$load_before" "$load_after" <<'PY'
import json, os, sys, datetime
tmp, out, fixture, load_before, load_after = sys.argv[1:6]
rows = []
for name in ("swift.out", "peers.out"):
    with open(os.path.join(tmp, name)) as f:
        rows += [json.loads(line) for line in f if line.startswith("{")]
with open(os.path.join(tmp, "generated.json")) as f:
    generated = json.load(f)
swift = rows[0]

def fmt(v):
    return "—" if v is None else (f"{v:,}" if isinstance(v, int) else str(v))

print()
print(f"835 read + balance throughput, file {generated['bytes']:,} bytes ({generated['claims']:,} claims, "
      f"{generated['transaction_sets']} ST) from {fixture}")
head = ("tool", "file MB", "median s", "MB/s", "claims/s", "Swift ÷ tool", "claims", "lines", "Σ CLP04", "balance problems")
table = [head]
for r in rows:
    paid = r.get("claim_payments_cents")
    table.append((
        r["tool"] + (" (" + r["key"] + ")" if "key" in r else ""),
        f"{r['bytes'] / 1e6:.1f}", f"{r['median_seconds']:.3f}", f"{r['mb_per_s']:.2f}",
        fmt(r.get("claims_per_s")), f"{swift['mb_per_s'] / r['mb_per_s']:.0f}×" if r is not swift else "1×",
        fmt(r.get("claims")), fmt(r.get("service_lines")),
        "—" if paid is None else f"{paid / 100:,.2f}", fmt(r.get("balance_problems")),
    ))
widths = [max(len(str(row[i])) for row in table) for i in range(len(head))]
for n, row in enumerate(table):
    print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    if n == 0:
        print("  ".join("-" * w for w in widths))

# Do the tools that read the same file agree on what is in it?
same = [r for r in rows if r["bytes"] == swift["bytes"] and "claims" in r]
agree = all(r["claims"] == swift["claims"] and r.get("service_lines") == swift["service_lines"]
            and r.get("claim_payments_cents") == swift["claim_payments_cents"] for r in same)
print(f"\ncounts (claims, service lines, Σ CLP04) {'agree' if agree else 'DIFFER'} across "
      + ", ".join(r.get("key", "swift") for r in same))
for r in rows:
    print(f"  {r.get('key', 'swift')}: {r['mode']}")
edi = next((r for r in rows if r.get("key") == "edi-835"), None)
if edi is not None:
    print(f"  note: edi-835-parser sum_payments() = {edi['sum_payments']:,.2f} is the last BPR02 only "
          f"(it merges the {generated['transaction_sets']} ST into one); Σ CLP04 is the comparable figure")
print(f"load before: {load_before.strip()}\nload after:  {load_after.strip()}")

with open(out, "w") as f:
    json.dump({"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               "fixture": fixture, "generated": generated, "counts_agree": agree,
               "uptime_before": load_before.strip(), "uptime_after": load_after.strip(),
               "results": rows}, f, indent=2)
print(f"results: {out}")
if not agree:
    sys.exit(1)
PY
