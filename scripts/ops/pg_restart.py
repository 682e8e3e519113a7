#!/usr/bin/env python3
"""make faults (PostgreSQL part): PostgreSQL restarted under a steady write load.

One server on its own PostgreSQL (scripts/ops/harness.py). Writers send client.create (a distinct
externalId each) and payment.record (a distinct reference and idempotency key each) at a fixed
--rate (open model, traffic.py) while PostgreSQL is
  1. restarted: `pg_ctl restart -m fast` (harness Postgres.restart), and
  2. stopped (`pg_ctl stop -m fast`), left down --down-seconds (5), started again.
Afterwards:
  - every write the server acknowledged (a JSON-RPC result) is in the database (read as superuser);
  - every write answered while the database was away got a clean JSON-RPC error (HTTP 200, an
    error object): no HTTP 5xx, no dropped connection, no request hanging past --timeout;
  - the server process is alive and serves again;
  - the payments that failed are retried with their idempotency key: each reference is then in
    the database exactly once (an error never hid a commit that a retry would double);
  - figures per fault: how long PostgreSQL was away, recovery (PostgreSQL accepting connections
    again → the first acknowledged write) and total unavailability (fault start → first
    acknowledged write), errors by code.
Exit 1 on any violation; the timings are reported, not asserted.

  python3 scripts/ops/pg_restart.py --bin .build/debug --results pg_restart.json
  python3 scripts/ops/pg_restart.py --bin .build/debug --ci     # one restart only (make test)
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402
from traffic import Conn, Recorder, Request, Stream  # noqa: E402


class Writes:
    """Builds the writes and remembers every one of them with its answer."""

    def __init__(self, run_id, practices):
        self.run_id = run_id
        self.practices = practices
        self.lock = threading.Lock()
        self.log = []   # dicts: kind, value, params, practice, outcome, sent, done

    def make(self, index, rng):
        practice = self.practices[index % len(self.practices)]
        value = f"pgr-{self.run_id}-{index}"
        entry = {"index": index, "practice": practice.index, "value": value}
        if index % 2 == 0:
            params = traffic.client_params(rng, practice, value)
            kind = "client.create"
        else:
            params = {"clientId": rng.choice(practice.client_ids()), "amountCents": 1000 + index,
                      "method": "cash", "receivedOn": traffic.today(), "reference": value,
                      "idempotencyKey": f"idem-{value}"}
            kind = "payment.record"
        entry.update(kind=kind, params=params)

        def on_result(result, entry=entry):
            entry["id"] = (result.get("client") or result.get("payment") or {}).get("id")
            if kind == "client.create":
                practice.add_client(result["client"])
        request = Request(kind, practice.index, practice.key,
                          {"jsonrpc": "2.0", "id": index, "method": kind, "params": params}, on_result)
        request.entry = entry
        original = request.interpret

        def interpret(answer, entry=entry, original=original):
            outcome, codes = original(answer)
            entry["outcome"] = outcome
            entry["http"] = answer.status
            entry["done"] = time.monotonic()
            with self.lock:
                self.log.append(entry)
            return outcome, codes
        request.interpret = interpret
        entry["sent"] = time.monotonic()
        return request


def pg_stop(pg):
    result = pg._pg_ctl("stop", "-D", os.path.join(pg.dir, "pg"), "-m", "fast", "-w", "-t", "120")
    if result.returncode != 0:
        raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")


def pg_start(harness, pg):
    result = subprocess.run([harness.TEST_POSTGRES, "start", pg.dir], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"test-postgres.sh start failed: {result.stdout}{result.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="folder with ledgerline (and plugin .so files)")
    parser.add_argument("--rate", type=float, default=20, help="writes per second")
    parser.add_argument("--practices", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before the first fault")
    parser.add_argument("--gap", type=float, default=15, help="seconds of load after each fault")
    parser.add_argument("--down-seconds", type=float, default=5)
    parser.add_argument("--faults", default="restart,stop-start", help="comma-separated: restart, stop-start")
    parser.add_argument("--timeout", type=float, default=30, help="a request answered later than this is a hang")
    parser.add_argument("--results")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--ci", action="store_true", help="make test size: one restart, 5 s warm-up, 10 s after, 15 s hang limit")
    args = parser.parse_args()
    if args.ci:
        args.faults, args.warmup, args.gap, args.rate, args.timeout = "restart", 5, 10, 10, 15
    args.url = None
    env = traffic.Environment.create(args, "pgr", server_env={"LEDGERLINE_LOG_LEVEL": "warning"})
    try:
        status = run(args, env)
        if status:
            print("--- last lines of the server log ---\n" + env.log_tail(30))
        return status
    finally:
        env.close()


def run(args, env):
    harness, pg = env.harness, env.postgres
    practices = []
    for index in range(args.practices):
        seeded = harness.seed_practice(env.url, env.operator_key, f"PG restart {index}", clients=3,
                                       with_integrations=False)
        practices.append(traffic.prepare_practice(env.url, index, seeded))
    faults = [f.strip() for f in args.faults.split(",") if f.strip() and f.strip() != "none"]
    fault_time = {"restart": 5.0, "stop-start": args.down_seconds + 2}
    duration = args.warmup + sum(fault_time.get(f, 5) + args.gap for f in faults) + (0 if faults else args.gap)
    run_id = uuid.uuid4().hex[:8]
    writes = Writes(run_id, practices)
    recorder = Recorder()
    begin = time.monotonic() + 0.3
    stream = Stream("writes", env.url, args.rate, duration, writes.make, recorder,
                    # enough senders that requests hanging in the server do not stop the schedule
                    workers=max(64, int(args.rate * 6)), timeout=args.timeout, start_at=begin).start()
    print(f"pg_restart: {args.rate:g} writes/s for {duration:.0f} s over {len(practices)} practices; faults: "
          f"{', '.join(faults)}", flush=True)

    events = []
    time.sleep(max(0.0, begin + args.warmup - time.monotonic()))
    for fault in faults:
        down = time.monotonic()
        if fault == "restart":
            seconds = pg.restart("fast")
            up = time.monotonic()
            print(f"  t={down - begin:5.1f} s  pg_ctl restart -m fast took {seconds:.2f} s", flush=True)
        elif fault == "stop-start":
            pg_stop(pg)
            stopped = time.monotonic()
            time.sleep(args.down_seconds)
            pg_start(harness, pg)
            up = time.monotonic()
            print(f"  t={down - begin:5.1f} s  stop took {stopped - down:.2f} s, down {args.down_seconds:g} s, "
                  f"start took {up - stopped - args.down_seconds:.2f} s", flush=True)
        else:
            raise SystemExit(f"unknown fault {fault}")
        events.append({"fault": fault, "down": down, "up": up})
        time.sleep(args.gap)
    stream.join(timeout=args.timeout + 30)
    alive = env.alive()

    log = sorted(writes.log, key=lambda e: e["sent"])
    figures = []
    for number, event in enumerate(events):
        following = events[number + 1]["down"] if number + 1 < len(events) else float("inf")
        window = [e for e in log if e["sent"] >= event["down"] - 1 and e["sent"] < following]
        first_ok = min((e["done"] for e in window if e["outcome"] == "ok" and e["done"] >= event["up"]), default=None)
        affected = [e for e in window if e["outcome"] != "ok"]
        # the writes in flight when PostgreSQL went away (sent before, not answered yet)
        in_flight = [e for e in log if e["sent"] < event["down"] <= e["done"]]
        last_ok_before = max((e["done"] for e in log if e["outcome"] == "ok" and e["done"] <= event["down"]),
                             default=None)
        figures.append({
            "fault": event["fault"], "atSeconds": round(event["down"] - begin, 2),
            "postgresAwaySeconds": round(event["up"] - event["down"], 2),
            "recoverySeconds": None if first_ok is None else round(first_ok - event["up"], 3),
            "unavailableSeconds": None if first_ok is None else round(first_ok - event["down"], 3),
            "sinceLastAckSeconds": None if first_ok is None or last_ok_before is None
            else round(first_ok - last_ok_before, 3),
            "writesFailed": len(affected),
            "inFlightAtFault": len(in_flight),
            "inFlightOutcomes": call_outcomes_of(in_flight),
            "failedByOutcome": call_outcomes_of(affected),
            "slowestFailedAnswerSeconds": round(max((e["done"] - e["sent"] for e in affected), default=0), 3),
        })

    # --- the acknowledged writes are in the database ------------------------------------------------
    acked = [e for e in log if e["outcome"] == "ok"]
    failed = [e for e in log if e["outcome"] != "ok"]
    clients_in_db = {row[0] for row in pg.psql(f"select external_id from clients where external_id like 'pgr-{run_id}-%'")}
    payments_in_db = {}
    for reference, count in pg.psql(f"select reference, count(*) from payments where reference like 'pgr-{run_id}-%' "
                                    f"group by reference"):
        payments_in_db[reference] = int(count)
    present = lambda e: (e["value"] in clients_in_db) if e["kind"] == "client.create" else (e["value"] in payments_in_db)
    lost = [e for e in acked if not present(e)]
    errored_but_committed = [e for e in failed if present(e)]
    unclean = [e for e in log if e["outcome"] != "ok" and not isinstance(e["outcome"], int)]

    # --- failed payments retried with their idempotency key: exactly once afterwards -----------------
    retried, retry_failures = 0, []
    conn = Conn(env.url, timeout=60)
    for entry in failed:
        if entry["kind"] != "payment.record":
            continue
        practice = practices[entry["practice"]]
        answer = conn.post_json({"jsonrpc": "2.0", "id": 1, "method": "payment.record", "params": entry["params"]},
                                practice.key)
        retried += 1
        if traffic.classify(answer) != "ok":
            retry_failures.append({"value": entry["value"], "outcome": traffic.classify(answer),
                                   "body": answer.body[:300].decode("utf-8", "replace")})
    conn.close()
    payments_after = {reference: int(count) for reference, count in pg.psql(
        f"select reference, count(*) from payments where reference like 'pgr-{run_id}-%' group by reference")}
    duplicated = {reference: count for reference, count in payments_after.items() if count != 1}
    missing_after_retry = [e["value"] for e in failed if e["kind"] == "payment.record"
                           and e["value"] not in payments_after]

    # after the faults the server must serve again
    serves = False
    try:
        conn = Conn(env.url)
        traffic.call(conn, "practice.get", {}, practices[0].key)
        serves = True
        conn.close()
    except traffic.CallFailed as error:
        serves_error = str(error)

    failures = []
    if lost:
        failures.append(f"{len(lost)} acknowledged writes are not in the database: "
                        f"{[(e['kind'], e['value']) for e in lost[:5]]}")
    if unclean:
        failures.append(f"{len(unclean)} writes without a clean JSON-RPC answer: "
                        f"{call_outcomes_of(unclean)}")
    if len(log) < stream.scheduled_count:
        failures.append(f"{stream.scheduled_count - len(log)} writes never answered (hung past the timeout)")
    if not alive:
        failures.append("the server process died")
    if not serves:
        failures.append(f"the server does not serve after the faults: {serves_error}")
    if retry_failures:
        failures.append(f"{len(retry_failures)} payment retries failed: {retry_failures[:3]}")
    if duplicated:
        failures.append(f"payments recorded more than once: {list(duplicated.items())[:5]}")
    if missing_after_retry:
        failures.append(f"{len(missing_after_retry)} retried payments missing")
    if any(f["recoverySeconds"] is None for f in figures) or not acked:
        failures.append("no acknowledged write after a fault")

    results = {
        "binary": env.bin_dir, "rate": args.rate, "seconds": round(duration, 1), "writes": len(log),
        "scheduled": stream.scheduled_count, "acknowledged": len(acked), "failed": len(failed),
        "outcomes": call_outcomes_of(log), "faults": figures, "ackedMissing": len(lost),
        "erroredButCommitted": len(errored_but_committed),
        "erroredButCommittedSamples": [(e["kind"], e["value"], e["outcome"]) for e in errored_but_committed[:10]],
        "failedWrites": [{"kind": e["kind"], "sentAt": round(e["sent"] - begin, 3),
                          "answeredAfter": round(e["done"] - e["sent"], 3), "outcome": str(e["outcome"]),
                          "http": e.get("http")} for e in failed[:100]],
        "events": [{"fault": e["fault"], "down": round(e["down"] - begin, 3), "up": round(e["up"] - begin, 3)}
                   for e in events],
        "timeline": timeline(log, begin),
        "paymentRetries": retried, "paymentRetryFailures": len(retry_failures),
        "paymentsDuplicated": len(duplicated), "serverAlive": alive, "serverServes": serves,
        "failures": failures,
    }
    print(f"\npg_restart: {len(log)} writes, {len(acked)} acknowledged, {len(failed)} failed "
          f"({results['outcomes']})")
    for figure in figures:
        print(f"  {figure['fault']:<11} at {figure['atSeconds']:5.1f} s: PostgreSQL away {figure['postgresAwaySeconds']} s, "
              f"recovery {figure['recoverySeconds']} s after it accepted connections, unavailable "
              f"{figure['unavailableSeconds']} s in all ({figure['sinceLastAckSeconds']} s between acknowledgements); "
              f"{figure['writesFailed']} writes failed {figure['failedByOutcome']}, slowest error answer "
              f"{figure['slowestFailedAnswerSeconds']} s; {figure['inFlightAtFault']} in flight at the fault: "
              f"{figure['inFlightOutcomes']}")
    print(f"  acknowledged but missing: {len(lost)}; answered with an error but committed: "
          f"{len(errored_but_committed)}; payment retries {retried} (failed {len(retry_failures)}), "
          f"references recorded twice: {len(duplicated)}; server alive {alive}, serves {serves}")
    if args.results:
        with open(args.results, "w") as handle:
            json.dump(results, handle, indent=1)
    print("pg_restart: " + ("FAILED: " + "; ".join(failures) if failures else "passed"), flush=True)
    return 1 if failures else 0


def timeline(log, begin):
    """Per second of sending: writes sent, acknowledged, failed, the slowest answer (s)."""
    rows = {}
    for entry in log:
        second = int(entry["sent"] - begin)
        row = rows.setdefault(second, {"t": second, "sent": 0, "ok": 0, "failed": 0, "slowest": 0.0})
        row["sent"] += 1
        row["ok" if entry["outcome"] == "ok" else "failed"] += 1
        row["slowest"] = round(max(row["slowest"], entry["done"] - entry["sent"]), 3)
    return [rows[key] for key in sorted(rows)]


def call_outcomes_of(entries):
    histogram = {}
    for entry in entries:
        key = str(entry.get("outcome"))
        histogram[key] = histogram.get(key, 0) + 1
    return dict(sorted(histogram.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    sys.exit(main())
