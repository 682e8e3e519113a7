#!/usr/bin/env python3
"""Python peers for `make bench-835`: how fast edi-835-parser and pyx12 read the same 835.

Each round runs in a fresh Python process (imports done before the clock starts), so one
round's caches and memory do not help or hurt the next. Per tool it prints the rounds and
the median MB/s (MB = 10^6 bytes), then one JSON line (`{"tool": ...}`) for run.sh.

Tools and what is timed:

* edi-835: `edi_835_parser.parse(path)`, then `count_claims()` and `sum_payments()`.
  It splits the file on `~`, builds claim/service objects and validates nothing. It
  treats the whole file as one transaction set: `sum_payments()` is the BPR02 of the last
  BPR only, so Sum(CLP04) is also computed (after the clock stops) to compare claims.
* pyx12-context (default pyx12 mode): `pyx12.x12context.X12ContextReader(...).iter_segments()`
  over every segment. pyx12 walks each segment through the 005010X221A1 map (loop
  awareness: ISA/GS/ST/2000/2100/2110 found by the map walker) and checks its elements
  against the map; the errors go to `errh_null` (discarded, no 999 written). On the way,
  the script does the same balancing as Reader835.balanceProblems from the segment values
  (per claim: CLP04 = CLP03 - CAS; with lines, Sum(SVC02) = CLP03 and SVC03 = SVC02 - line
  CAS; per ST: BPR02 = Sum(CLP04) - Sum(PLB)), in exact cents.
* pyx12-validate (--pyx12-mode validate): `pyx12.x12n_document.x12n_document(...)`, what
  the `x12valid` command runs: the same walk and element checks plus the full TR3 error
  tree and a 999 written to /dev/null. No claim counts (it returns only valid/invalid).

Usage: peers835.py FILE [--tools edi-835,pyx12] [--rounds 3] [--pyx12-file PREFIX_FILE]
                        [--pyx12-rounds N] [--pyx12-mode context|validate]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal


def cents(text):
    if not text:
        return 0
    return int((Decimal(text) * 100).to_integral_value())


# ---------------------------------------------------------------- children (one timed round)

def child_edi(path):
    import warnings

    # It warns on every segment it does not model (claim-level CAS, MIA, MOA, PLB...).
    warnings.simplefilter("ignore")
    import edi_835_parser

    start = time.perf_counter()
    sets = edi_835_parser.parse(path)
    claims = sets.count_claims()
    payments = sets.sum_payments()
    seconds = time.perf_counter() - start
    clp04 = 0
    services = 0
    for transaction_set in sets:
        for claim in transaction_set.claims:
            clp04 += cents(repr(claim.claim.paid_amount)) if claim.claim.paid_amount is not None else 0
            services += len(claim.services)
    return {
        "seconds": seconds,
        "transactions": len(sets),
        "claims": claims,
        "service_lines": services,
        "sum_payments": payments,
        "claim_payments_cents": clp04,
    }


def child_pyx12_context(path):
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    start = time.perf_counter()
    param = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    segments = transactions = claims = lines = problems = 0
    clp04_total = 0
    # per transaction set
    bpr = paid = plb = 0
    # per claim: [charge, payment, claim CAS, line CAS, Sum SVC02, lines]; per line: [SVC02, SVC03, CAS]
    claim = line = None

    def close_line():
        nonlocal line, problems
        if line is not None:
            if line[0] - line[2] != line[1]:
                problems += 1
            claim[3] += line[2]
            claim[4] += line[0]
            claim[5] += 1
            line = None

    def close_claim():
        nonlocal claim, problems
        close_line()
        if claim is not None:
            if claim[0] - claim[2] - claim[3] != claim[1]:
                problems += 1
            if claim[5] and claim[4] != claim[0]:
                problems += 1
            claim = None

    with pyx12.x12context.X12ContextReader(param, errh, path) as reader:
        for node in reader.iter_segments():
            segments += 1
            seg = node.seg_data
            sid = seg.get_seg_id()
            if sid == "ST":
                transactions += 1
                bpr = paid = plb = 0
            elif sid == "BPR":
                bpr = cents(seg.get_value("BPR02"))
                if seg.get_value("BPR03") == "D":
                    bpr = -bpr
            elif sid == "CLP":
                close_claim()
                claims += 1
                payment = cents(seg.get_value("CLP04"))
                paid += payment
                clp04_total += payment
                claim = [cents(seg.get_value("CLP03")), payment, 0, 0, 0, 0]
            elif sid == "SVC":
                close_line()
                lines += 1
                line = [cents(seg.get_value("SVC02")), cents(seg.get_value("SVC03")), 0]
            elif sid == "CAS":
                total = sum(cents(seg.get_value("CAS%02d" % i)) for i in (3, 6, 9, 12, 15, 18))
                if node.x12_map_node.parent.id == "2110" and line is not None:
                    line[2] += total
                elif claim is not None:
                    claim[2] += total
            elif sid == "LX":
                close_claim()
            elif sid == "PLB":
                close_claim()
                plb += sum(cents(seg.get_value("PLB%02d" % i)) for i in (4, 6, 8, 10, 12, 14))
            elif sid == "SE":
                close_claim()
                if bpr != paid - plb:
                    problems += 1
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "segments": segments,
        "transactions": transactions,
        "claims": claims,
        "service_lines": lines,
        "claim_payments_cents": clp04_total,
        "balance_problems": problems,
    }


def child_pyx12_validate(path):
    import logging

    import pyx12.params
    import pyx12.x12n_document

    # x12valid -q: errors only, and they are many (one per repeated template error); not timed output.
    logging.getLogger("pyx12").addHandler(logging.NullHandler())
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    logging.getLogger("pyx12").propagate = False
    start = time.perf_counter()
    param = pyx12.params.params()
    with open(os.devnull, "w") as fd_999:
        valid = pyx12.x12n_document.x12n_document(param=param, src_file=path, fd_997=fd_999, fd_html=None,
                                                  fd_xmldoc=None)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "valid": bool(valid)}


CHILDREN = {
    "edi-835": child_edi,
    "pyx12-context": child_pyx12_context,
    "pyx12-validate": child_pyx12_validate,
}

MODES = {
    "edi-835": "edi_835_parser.parse(path) + count_claims() + sum_payments(); no validation, "
               "whole file as one transaction set",
    "pyx12-context": "pyx12.x12context.X12ContextReader.iter_segments() over every segment (map walk with "
                     "loop awareness + element checks, errors to errh_null, no 999) + the same balancing "
                     "rules as Reader835 computed in Python",
    "pyx12-validate": "pyx12.x12n_document.x12n_document (= x12valid: map walk + element checks + "
                      "error tree + 999 to /dev/null)",
}

VERSIONS = {"edi-835": "edi-835-parser", "pyx12-context": "pyx12", "pyx12-validate": "pyx12"}


# ---------------------------------------------------------------- parent

def version_of(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return "?"


def run_tool(tool, path, rounds):
    size = os.path.getsize(path)
    results = []
    for n in range(rounds):
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", tool, path],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"peers835: {tool} round {n + 1} failed (exit {proc.returncode})")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"peers835: {tool} round {n + 1}/{rounds}: {result['seconds']:.2f} s", flush=True)
        results.append(result)
    seconds = [r["seconds"] for r in results]
    for r in results[1:]:
        differing = [k for k in r if k != "seconds" and r[k] != results[0][k]]
        if differing:
            raise SystemExit(f"peers835: {tool} rounds differ in {differing}")
    median = statistics.median(seconds)
    summary = {
        "tool": f"{VERSIONS[tool]} {version_of(VERSIONS[tool])}",
        "mode": MODES[tool],
        "key": tool,
        "file": path,
        "bytes": size,
        "rounds": rounds,
        "seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(median, 3),
        "mb_per_s": round(size / 1e6 / median, 3),
    }
    for k, v in results[0].items():
        if k != "seconds":
            summary[k] = v
    if "claims" in summary:
        summary["claims_per_s"] = int(summary["claims"] / median)
    counts = ", ".join(f"{k} {summary[k]}" for k in
                       ("transactions", "claims", "service_lines", "claim_payments_cents", "sum_payments",
                        "balance_problems", "valid") if k in summary)
    print(f"peers835: {tool}: {size} bytes, median {median:.2f} s, {summary['mb_per_s']:.2f} MB/s; {counts}")
    print(json.dumps(summary, sort_keys=True), flush=True)
    return summary


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--tools", default="edi-835,pyx12", help="comma-separated: edi-835, pyx12")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pyx12-file", help="time pyx12 on this file instead (a smaller one made the same way)")
    ap.add_argument("--pyx12-rounds", type=int, help="rounds for pyx12 (default: --rounds)")
    ap.add_argument("--pyx12-mode", choices=["context", "validate"], default="context")
    args = ap.parse_args()
    for tool in args.tools.split(","):
        tool = tool.strip()
        if tool == "edi-835":
            run_tool("edi-835", args.file, args.rounds)
        elif tool == "pyx12":
            run_tool(f"pyx12-{args.pyx12_mode}", args.pyx12_file or args.file, args.pyx12_rounds or args.rounds)
        else:
            ap.error(f"unknown tool {tool}")


if __name__ == "__main__":
    main()
