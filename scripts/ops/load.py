#!/usr/bin/env python3
"""make load: a sustained mixed load at a fixed arrival rate on one server, then a noisy neighbour.

One `ledgerline serve` (the release build for figures: --bin .build-release/release) on its own
PostgreSQL (scripts/ops/harness.py), --practices practices seeded (a clinician, 90837, a location,
--clients clients each). Then, open model (traffic.py: sends at fixed intervals, latency from the
scheduled time, so a stall is never hidden):

  STEADY  --duration s at --rate req/s: reads (practice.get, client.list, client.get, session.list,
          bill.list, payment.list, client.balance, report.aging), writes (client.create,
          client.update, session.create, payment.record) and JSON-RPC batches of 5, round-robin
          over the practices.
  NOISY   --noisy-duration s: the same load, and practice 0 also sends --noisy-factor × its rate
          limit (LEDGERLINE_RATE_LIMIT, given to the server with LEDGERLINE_RATE_BURST). Its
          −32029 answers are "rate limited", not errors; the other practices' p99 before and during
          is the figure (a server without the limiter answers none: reported, not failed).

Every second: sent, answered, ok, errors (by code), p50/p99/max of what was answered, backlog;
every 5 s the server's RSS. At the end a summary and --results JSON: rate held, p50/p99/max
overall and per kind, error rate, RSS start/end/max, the noisy-neighbour figures.
Fails (exit 1) when the server dies, answers any HTTP 5xx or drops connections, or more than
--max-error-rate of the calls fail; latency is reported, never asserted.

  python3 scripts/ops/load.py --bin .build-release/release --rate 150 --duration 300 --results load.json
  python3 scripts/ops/load.py --bin .build/debug --ci        # 30 s at a low rate (make test)
"""
import argparse
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402
from traffic import RATE_LIMITED, Mix, Recorder, Stream, call_outcomes, ms, summarize  # noqa: E402


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="folder with ledgerline (and plugin .so files); starts its own PostgreSQL")
    parser.add_argument("--url", help="attach to a running server instead")
    parser.add_argument("--operator-key")
    parser.add_argument("--pid", type=int, help="the attached server's pid (RSS)")
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--clients", type=int, default=10, help="clients seeded per practice")
    parser.add_argument("--rate", type=float, default=150, help="requests per second, all practices together")
    parser.add_argument("--duration", type=float, default=300, help="seconds of the steady phase")
    parser.add_argument("--noisy-duration", type=float, default=60, help="seconds of the noisy phase (0: none)")
    parser.add_argument("--noisy-factor", type=float, default=10)
    parser.add_argument("--rate-limit", type=float, default=20, help="LEDGERLINE_RATE_LIMIT given to the server")
    parser.add_argument("--rate-burst", type=float, default=60, help="LEDGERLINE_RATE_BURST given to the server")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not set LEDGERLINE_RATE_LIMIT")
    parser.add_argument("--workers", type=int, help="sender threads of the main stream (default from the rate)")
    parser.add_argument("--timeout", type=float, default=30, help="per request")
    parser.add_argument("--max-error-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="print every 5th second only")
    parser.add_argument("--ci", action="store_true",
                        help="make test size: 4 practices, 12 req/s for 30 s, noisy 10 s at 6 × a limit of 8/s")
    args = parser.parse_args()
    if args.ci:
        args.practices, args.clients, args.rate, args.duration = 4, 4, 12, 30
        # 3 req/s per practice (~4.2 calls/s with batches) stays well under 8/s with a bucket of 30;
        # the noisy practice sends 6 × 8 = 48 req/s (a debug build on 2 cores)
        args.noisy_duration, args.rate_limit, args.rate_burst, args.noisy_factor = 10, 8, 30, 6
    return args


def main():
    args = parse()
    server_env = {"LEDGERLINE_LOG_LEVEL": "warning"}
    if not args.no_rate_limit:
        server_env["LEDGERLINE_RATE_LIMIT"] = f"{args.rate_limit:g}"
        server_env["LEDGERLINE_RATE_BURST"] = f"{args.rate_burst:g}"
    started = time.monotonic()
    env = traffic.Environment.create(args, "load", server_env=server_env)
    try:
        print(f"load: server {env.url} ({env.bin_dir}) ready in {time.monotonic() - started:.1f} s", flush=True)
        status = run(args, env)
        if status and env.instance is not None:
            print("--- last lines of the server log ---\n" + env.log_tail(30))
        return status
    finally:
        env.close()


def seed(args, env):
    started = time.monotonic()

    def one(index):
        # traffic's own seeding (not harness.seed_practice): it waits out −32029 while the server's
        # per-practice rate limit is on
        seeded = traffic.create_practice(env.url, env.operator_key, f"Load practice {index:02d}")
        return traffic.prepare_practice(env.url, index, seeded, min_clients=args.clients)

    with ThreadPoolExecutor(max_workers=4) as pool:
        practices = list(pool.map(one, range(args.practices)))
    print(f"load: {len(practices)} practices seeded ({sum(len(p.clients) for p in practices)} clients) "
          f"in {time.monotonic() - started:.1f} s", flush=True)
    return practices


WIDTHS = [5, 5, 5, 5, 5, 7, 7, 7, 6, 14, 8]
HEADER = ["t(s)", "sent", "done", "ok", "err", "p50ms", "p99ms", "maxms", "backlog", "noisy sent/429", "rss MB"]


def run(args, env):
    practices = seed(args, env)
    n = len(practices)
    available = traffic.available_methods(env.url)
    mix = Mix(uuid.uuid4().hex[:8], available=available)
    noisy_mix = Mix(uuid.uuid4().hex[:8], batch_weight=0, available=available)
    if mix.dropped:
        print(f"load: this server lacks {', '.join(mix.dropped)}: left out of the mix", flush=True)
    recorder = Recorder()
    noisy_rate = args.noisy_factor * args.rate_limit if args.noisy_duration > 0 else 0
    total = args.duration + args.noisy_duration
    begin = time.monotonic() + 0.5
    recorder.t0 = begin

    main_stream = Stream("main", env.url, args.rate, total,
                         lambda index, rng: mix.request(index, rng, practices[index % n]), recorder,
                         workers=args.workers, timeout=args.timeout, seed=args.seed, start_at=begin)
    streams = [main_stream]
    if noisy_rate > 0:
        noisy_practice = practices[0]
        streams.append(Stream("noisy", env.url, noisy_rate, args.noisy_duration,
                              lambda index, rng: noisy_mix.request(index, rng, noisy_practice), recorder,
                              workers=max(16, int(noisy_rate * 0.2)), timeout=args.timeout, seed=args.seed + 7,
                              start_at=begin + args.duration))
    rss_series = [{"t": 0.0, "rssKb": env.rss_kb(), "loadAverage1m": os.getloadavg()[0]}]
    print(f"load: steady {args.duration:g} s at {args.rate:g} req/s over {n} practices"
          + (f", then noisy {args.noisy_duration:g} s: practice 0 adds {noisy_rate:g} req/s "
             f"({args.noisy_factor:g} × limit {args.rate_limit:g}/s)" if noisy_rate else ""), flush=True)
    print(traffic.table_row(HEADER, WIDTHS), flush=True)
    for stream in streams:
        stream.start()

    rows = []
    seen = 0
    second = 1

    def finished():
        return all(not thread.is_alive() for stream in streams for thread in stream.threads)

    while True:
        target = begin + second
        delay = target - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        samples = recorder.snapshot()
        window = samples[seen:]  # answered during the last second
        seen = len(samples)
        main = [s for s in window if s.stream == "main"]
        noisy = [s for s in window if s.stream == "noisy"]
        latencies = sorted(s.latency for s in main)
        errors = sum(1 for s in main for c in s.codes if c != "ok")
        with recorder.lock:
            sent = recorder.sent_by_second.get(("main", second - 1), 0)
            noisy_sent = recorder.sent_by_second.get(("noisy", second - 1), 0)
            total_sent = sum(v for (name, _), v in recorder.sent_by_second.items() if name == "main")
        total_done = sum(1 for s in samples if s.stream == "main")
        rss = None
        if second % 5 == 0:
            rss = env.rss_kb()
            rss_series.append({"t": float(second), "rssKb": rss, "loadAverage1m": os.getloadavg()[0]})
        row = {"t": second, "sent": sent, "done": len(main), "ok": sum(1 for s in main if s.outcome == "ok"),
               "errors": errors, "p50Ms": traffic.percentile(latencies, 0.5), "p99Ms": traffic.percentile(latencies, 0.99),
               "maxMs": latencies[-1] if latencies else None, "backlog": total_sent - total_done,
               "noisySent": noisy_sent, "noisyLimited": sum(1 for s in noisy for c in s.codes if c == RATE_LIMITED),
               "rssKb": rss, "errorCodes": call_outcomes([s for s in main if s.outcome != "ok"])}
        for key in ("p50Ms", "p99Ms", "maxMs"):
            row[key] = None if row[key] is None else round(row[key] * 1000, 1)
        rows.append(row)
        if not args.quiet or second % 5 == 0:
            print(traffic.table_row([second, sent, len(main), row["ok"], errors, ms(row["p50Ms"]), ms(row["p99Ms"]),
                                     ms(row["maxMs"]), row["backlog"],
                                     f"{noisy_sent}/{row['noisyLimited']}" if noisy_rate else "-",
                                     f"{rss / 1024:.0f}" if rss else ""], WIDTHS)
                  + ("  " + ", ".join(f"{k}:{v}" for k, v in row["errorCodes"].items() if k != "ok") if errors else ""),
                  flush=True)
        second += 1
        if finished() or not env.alive():
            break
        if second > total + 2 * args.timeout + 10:
            print("load: the senders did not finish; stopping them", flush=True)
            for stream in streams:
                stream.stop()
            break
    rss_end = env.rss_kb()
    rss_series.append({"t": round(time.monotonic() - begin, 1), "rssKb": rss_end})
    alive = env.alive()
    report.dropped = mix.dropped
    return report(args, env, recorder, practices, begin, rss_series, rows, alive, noisy_rate)


def phase_summary(samples, seconds, allowed=(), window=None):
    calls = sum(s.calls for s in samples)
    codes = call_outcomes(samples)
    errors = sum(v for k, v in codes.items() if k != "ok" and k not in allowed)
    per_kind = {}
    for sample in samples:
        per_kind.setdefault(sample.kind, []).append(sample.latency)
    lags = sorted(s.sent - s.scheduled for s in samples)
    return {
        "requests": len(samples), "calls": calls, "seconds": seconds,
        "achievedRequestsPerSecond": round(len(samples) / seconds, 1) if seconds else None,
        # answered inside the phase itself (a growing backlog shows here, not in the figure above)
        "answeredInPhasePerSecond": round(sum(1 for s in samples if window and window[0] <= s.done < window[1])
                                          / seconds, 1) if seconds and window else None,
        "latency": summarize([s.latency for s in samples]),
        "serviceTime": summarize([s.done - s.sent for s in samples]),
        "senderLagP99Ms": round(traffic.percentile(lags, 0.99) * 1000, 1) if lags else None,
        "callOutcomes": codes, "errorCalls": errors,
        "errorRate": round(errors / calls, 5) if calls else None,
        "perKind": {kind: summarize(values) for kind, values in sorted(per_kind.items())},
    }


def report(args, env, recorder, practices, begin, rss_series, rows, alive, noisy_rate):
    samples = recorder.snapshot()
    split = begin + args.duration
    main = [s for s in samples if s.stream == "main"]
    steady = [s for s in main if s.scheduled < split]
    during = [s for s in main if s.scheduled >= split]
    noisy = [s for s in samples if s.stream == "noisy"]
    scheduled = sum(v for (name, _), v in recorder.sent_by_second.items())
    unanswered = scheduled - len(main) - len(noisy)
    results = {
        "errorSamples": recorder.errors[:50],
        "config": {"binary": env.bin_dir, "droppedMethods": report.dropped, "practices": len(practices), "clientsPerPractice": args.clients,
                   "rate": args.rate, "duration": args.duration, "noisyDuration": args.noisy_duration,
                   "noisyFactor": args.noisy_factor, "rateLimit": None if args.no_rate_limit else args.rate_limit,
                   "rateBurst": None if args.no_rate_limit else args.rate_burst, "batchSize": 5,
                   "senderThreads": max(s for s in [args.workers or 0, max(8, min(256, int(args.rate * 0.4) + 8))])},
        "steady": phase_summary(steady, args.duration, window=(begin, split)),
        "rss": {"startKb": rss_series[0]["rssKb"], "endKb": rss_series[-1]["rssKb"],
                "maxKb": max((r["rssKb"] or 0) for r in rss_series), "series": rss_series},
        "serverAlive": alive, "unanswered": unanswered, "perSecond": rows,
        # the machine's 1-minute load average while it ran: figures from a busy machine are not the server's
        "loadAverage1m": {"max": max(r.get("loadAverage1m", 0) for r in rss_series),
                          "mean": round(sum(r.get("loadAverage1m", 0) for r in rss_series) / len(rss_series), 2),
                          "cpus": os.cpu_count()},
    }
    others_before = [s for s in steady if s.practice != 0]
    # "before" = the last stretch of the steady phase as long as the noisy phase (same conditions, warm)
    window = args.noisy_duration or args.duration
    others_before_recent = [s for s in others_before if s.scheduled >= split - window]
    if args.noisy_duration > 0:
        others_during = [s for s in during if s.practice != 0]
        limited = sum(1 for s in noisy for c in s.codes if c == RATE_LIMITED)
        results["noisy"] = {
            "noisyPractice": 0, "noisyRate": noisy_rate,
            "noisySent": len(noisy), "noisyCalls": sum(s.calls for s in noisy),
            "noisyRateLimited": limited,
            "noisyOk": sum(1 for s in noisy for c in s.codes if c == "ok"),
            "noisyOtherErrors": call_outcomes([s for s in noisy if s.outcome not in ("ok", RATE_LIMITED)]),
            "limiterActive": limited > 0,
            "othersBefore": summarize([s.latency for s in others_before_recent]),
            "othersDuring": summarize([s.latency for s in others_during]),
            "othersDuringPhase": phase_summary(others_during, args.noisy_duration,
                                               window=(split, split + args.noisy_duration)),
            "othersRateLimited": sum(1 for s in others_during + others_before for c in s.codes if c == RATE_LIMITED),
            # sent on schedule (< 0.5 s late): not part of a catch-up burst after a stall, which may
            # rightly exceed a practice's limit
            "othersRateLimitedOnSchedule": sum(1 for s in others_during + others_before for c in s.codes
                                               if c == RATE_LIMITED and s.sent - s.scheduled < 0.5),
        }
    failures = []
    hard = {k: v for k, v in call_outcomes(main + noisy).items()
            if k.startswith("http:5") or k.startswith("conn") or k in ("timeout", "invalid", "missing", "clientError")}
    if hard:
        failures.append(f"transport failures / 5xx: {hard}")
    if not alive:
        failures.append("the server died")
    steady_codes = results["steady"]["callOutcomes"]
    steady_rate = ((sum(v for k, v in steady_codes.items() if k != "ok") - steady_codes.get(str(RATE_LIMITED), 0))
                   / max(1, results["steady"]["calls"]))  # −32029 is judged below, not as an error
    if steady_rate > args.max_error_rate:
        failures.append(f"error rate {steady_rate:.2%} > {args.max_error_rate:.2%}")
    if unanswered > 0:
        failures.append(f"{unanswered} scheduled requests never answered")
    if "noisy" in results and results["noisy"]["othersRateLimitedOnSchedule"]:
        failures.append(f"{results['noisy']['othersRateLimitedOnSchedule']} calls of the quiet practices sent on "
                        f"schedule were rate limited")
    results["failures"] = failures

    steady_summary = results["steady"]
    lat = steady_summary["latency"]
    print(f"\nload: steady {args.duration:g} s: {steady_summary['requests']} requests ({steady_summary['calls']} calls), "
          f"sent at {steady_summary['achievedRequestsPerSecond']} req/s (asked {args.rate:g}), answered within the "
          f"phase at {steady_summary['answeredInPhasePerSecond']} req/s; sender lag p99 "
          f"{steady_summary['senderLagP99Ms']} ms"
          + (" (the server fell behind: requests queued for a free sender)"
             if (steady_summary['senderLagP99Ms'] or 0) > 100 else ""))
    print(f"  latency from the scheduled send: p50 {lat['p50Ms']} ms, p90 {lat['p90Ms']}, p99 {lat['p99Ms']}, "
          f"max {lat['maxMs']}; error rate {steady_rate:.3%} ({steady_summary['errorCalls']} calls)")
    print(f"  outcomes per call: {steady_summary['callOutcomes']}")
    print("  per kind:               n    p50    p99    max (ms)")
    for kind, figures in steady_summary["perKind"].items():
        print(f"    {kind:<16} {figures['count']:>7} {ms(figures['p50Ms']):>6} {ms(figures['p99Ms']):>6} {ms(figures['maxMs']):>6}")
    rss = results["rss"]
    print(f"  RSS: start {(rss['startKb'] or 0) / 1024:.0f} MB, end {(rss['endKb'] or 0) / 1024:.0f} MB, "
          f"max {rss['maxKb'] / 1024:.0f} MB; machine load average mean {results['loadAverage1m']['mean']}, "
          f"max {results['loadAverage1m']['max']:.1f} on {os.cpu_count()} CPUs")
    if "noisy" in results:
        noisy_figures = results["noisy"]
        print(f"  noisy neighbour: practice 0 sent {noisy_figures['noisySent']} extra requests at {noisy_rate:g}/s: "
              f"{noisy_figures['noisyRateLimited']} answered −32029, {noisy_figures['noisyOk']} ok, other "
              f"{noisy_figures['noisyOtherErrors'] or 'none'}"
              + ("" if noisy_figures["limiterActive"] else "  (no −32029 at all: this server has no rate limiter)"))
        print(f"  the other practices: p99 {noisy_figures['othersBefore']['p99Ms']} ms before "
              f"(p50 {noisy_figures['othersBefore']['p50Ms']}), {noisy_figures['othersDuring']['p99Ms']} ms during "
              f"(p50 {noisy_figures['othersDuring']['p50Ms']}); rate limited: {noisy_figures['othersRateLimited']} "
              f"({noisy_figures['othersRateLimitedOnSchedule']} of them sent on schedule)")
    if args.results:
        with open(args.results, "w") as handle:
            json.dump(results, handle, indent=1)
    print("load: " + ("FAILED: " + "; ".join(failures) if failures else "passed"), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
