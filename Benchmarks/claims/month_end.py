#!/usr/bin/env python3
"""Month-end claims benchmark: N claims generated, submitted to the Claim.MD stand-in and their
statuses read back, against a running `ledgerline serve` (started by Benchmarks/claims/run.sh).

Setup (timed apart, not part of the figure): a claim-ready practice (ZIP+4 address, a clinician
with NPI and taxonomy and its own API key, 90837 at $150), ~50 adult clients with a primary Aetna
policy, and N completed insurance sessions over one month, each with a signed note and an open
bill of its own. Then:

  GENERATE  claim.generate for every bill (JSON-RPC batches of 100, a small thread pool)
  SUBMIT    claim.submit (≤ 2000 claims per call) → until every claim is at least `sent`
  STATUSES  the stand-in's POST /_admin/advance (the payer's steps happen now) → until every
            claim is `inProcess`, as read back by the server's status sync from /response/

Every claim must reach the stand-in exactly once (its /_admin/received PCN counts): a duplicate or
a missing PCN makes the exit status non-zero. Python 3 standard library only.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid

BATCH = 100  # JSON-RPC batch length (the server's default LEDGERLINE_MAX_BATCH)
SUBMIT_MAX = 2000  # claim.submit maxItems
NOT_YET_SENT = ["notSubmitted", "queued", "needsReview"]
NOT_YET_IN_PROCESS = ["notSubmitted", "queued", "needsReview", "sent", "received"]
ALL_STATUSES = ["notSubmitted", "queued", "sent", "received", "inProcess", "paid", "needsReview", "denied", "void"]


class Failure(Exception):
    pass


def log(message):
    print(message, flush=True)


class Server:
    def __init__(self, port, timeout=600):
        self.url = f"http://127.0.0.1:{port}/rpc"
        self.timeout = timeout
        self.ids = 0

    def post(self, payload, key):
        # A fresh connection per POST: a POST is never resent on a connection the server closed.
        body = json.dumps(payload).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            raise Failure(f"HTTP {error.code} from /rpc: {error.read()[:2000]!r}")
        except (urllib.error.URLError, OSError) as error:
            raise Failure(f"POST /rpc ({payload[0]['method'] if isinstance(payload, list) else payload['method']}): {error}")

    def call(self, method, params, key):
        answer = self.post({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, key)
        if "error" in answer:
            raise Failure(f"{method} failed: {json.dumps(answer['error'])[:2000]}")
        return answer["result"]

    def batch(self, method, params_list, key):
        """One POST with one request per params (each its own transaction); results in order."""
        if not params_list:
            return []
        payload = [{"jsonrpc": "2.0", "id": index, "method": method, "params": params}
                   for index, params in enumerate(params_list)]
        answer = self.post(payload, key)
        if not isinstance(answer, list):
            raise Failure(f"{method} batch answered {json.dumps(answer)[:2000]}")
        by_id = {item.get("id"): item for item in answer}
        results = []
        for index, params in enumerate(params_list):
            item = by_id.get(index)
            if item is None:
                raise Failure(f"{method} batch: no answer for element {index}")
            if "error" in item:
                raise Failure(f"{method} failed for {json.dumps(params)[:400]}: {json.dumps(item['error'])[:2000]}")
            results.append(item["result"])
        return results


class StandIn:
    def __init__(self, port, account_key):
        self.base = f"http://127.0.0.1:{port}"
        self.account_key = account_key

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=120) as answer:
            return json.load(answer)

    def post(self, path, payload=None):
        request = urllib.request.Request(self.base + path, data=json.dumps(payload or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)

    def received(self):
        return self.get("/_admin/received?accountKey=" + urllib.request.quote(self.account_key))

    def requests(self):
        return self.get("/_admin/requests?accountKey=" + urllib.request.quote(self.account_key))


def chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def previous_month(today):
    first = today.replace(day=1)
    last = first - datetime.timedelta(days=1)
    return last.replace(day=1), last.day


def run_pool(workers, function, jobs, label):
    """Runs function(job) for every job on a pool; returns results in job order; any failure stops."""
    results = [None] * len(jobs)
    done = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(function, job): index for index, job in enumerate(jobs)}
        try:
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
                done += 1
                if len(jobs) >= 10 and done % max(1, len(jobs) // 10) == 0:
                    log(f"  {label}: {done}/{len(jobs)} batches, {time.monotonic() - started:.1f} s")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return results


def count_claims(server, key, statuses):
    """How many claims are in any of `statuses` (claim.list pages of 200)."""
    total = 0
    cursor = None
    while True:
        params = {"status": statuses, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = server.call("claim.list", params, key)
        total += len(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            return total


SLOWEST_POLL = {}  # phase → the longest claim.list (limit 1) the benchmark waited for: API latency meanwhile


def any_claim(server, key, statuses, phase):
    started = time.monotonic()
    page = server.call("claim.list", {"status": statuses, "limit": 1}, key)
    SLOWEST_POLL[phase] = max(SLOWEST_POLL.get(phase, 0.0), time.monotonic() - started)
    return page["items"][0] if page["items"] else None


def status_counts(server, key):
    counts = {}
    for status in ALL_STATUSES:
        count = count_claims(server, key, [status])
        if count:
            counts[status] = count
    return counts


# --- setup -----------------------------------------------------------------------------------------


def setup(server, args):
    owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    created = server.call("practice.create", {
        "legalName": "Riverbend Counseling PLLC", "taxId": "12-3456789", "taxIdType": "ein",
        "npi": "1234567893", "taxonomyCode": "101YM0800X", "billingProviderType": "organization",
        "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701-1234"},
        "phone": "+12175550100", "timeZone": "America/Chicago",
        "owner": {"firstName": "Ana", "lastName": "Ruiz", "email": owner_email}}, args.operator_key)
    owner = created["apiKey"]["secret"]

    imported = server.call("service.importCommon", {}, owner)
    service = next((item for item in imported["items"] if item.get("code") == "90837"), None)
    if service is None:
        raise Failure(f"service.importCommon has no 90837: {json.dumps(imported)[:1000]}")
    server.call("service.update", {"id": service["id"], "version": service.get("version", 1),
                                   "defaultRateCents": 15000}, owner)
    location = server.call("location.create", {
        "name": "Main office", "placeOfService": "11",
        "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701-1234"}},
        owner)["location"]["id"]
    clinician = server.call("member.create", {
        "firstName": "Sam", "lastName": "Lee", "email": f"sam-{uuid.uuid4().hex[:8]}@example.com",
        "role": "clinician", "npi": "1245319599", "taxonomyCode": "101YM0800X", "credentials": "LCSW"},
        owner)["member"]["id"]
    clinician_key = server.call("apiKey.create", {"memberId": clinician, "name": "clinician"},
                                owner)["apiKey"]["secret"]
    payers = server.call("payer.list", {"query": "aetna", "limit": 5}, owner)["items"]
    if not payers:
        raise Failure("payer.list found no Aetna")
    payer = payers[0]["id"]

    client_params = [{
        "firstName": f"Client{index:03d}", "lastName": "Park", "dateOfBirth": f"19{60 + index % 40:02d}-04-12",
        "sex": "M" if index % 2 else "F",
        "address": {"line1": f"{index + 1} Elm St", "city": "Springfield", "state": "IL", "postalCode": "62704"},
        "email": None, "phone": None, "consents": {"email": False, "sms": False},
        "assignedMemberIds": [clinician]} for index in range(args.clients)]
    clients = []
    for part in chunks(client_params, BATCH):
        clients += [result["client"]["id"] for result in server.batch("client.create", part, owner)]
    policy_params = [{
        "clientId": client, "payerId": payer, "order": "primary", "memberId": f"W{100000000 + index}",
        "groupNumber": "G-77", "relationshipToSubscriber": "self", "copayCents": 2500,
        "effectiveFrom": "2026-01-01"} for index, client in enumerate(clients)]
    policies = []
    for part in chunks(policy_params, BATCH):
        policies += [result["policy"]["id"] for result in server.batch("policy.create", part, owner)]

    month, days = previous_month(datetime.date.today())
    log(f"  practice {created['practice']['id']}, {len(clients)} clients with an Aetna policy; "
        f"sessions over {month:%Y-%m} ({days} days)")

    def make_bills(indices):
        sessions = server.batch("session.create", [{
            "clientId": clients[i % len(clients)], "renderingMemberId": clinician, "locationId": location,
            "dateOfService": (month + datetime.timedelta(days=i % days)).isoformat(),
            "startTime": f"{8 + (i // len(clients)) % 10:02d}:00", "durationMinutes": 53, "placeOfService": "11",
            "billing": "insurance", "policyId": policies[i % len(clients)], "attendance": "completed",
            "lines": [{"serviceId": service["id"], "units": 1, "modifiers": []}]} for i in indices], owner)
        session_ids = [result["session"]["id"] for result in sessions]
        server.batch("note.sign", [{"sessionId": session, "diagnoses": ["F41.1"]} for session in session_ids],
                     clinician_key)
        bills = server.batch("bill.create", [{"clientId": clients[i % len(clients)], "sessionIds": [session]}
                                             for i, session in zip(indices, session_ids)], owner)
        server.batch("bill.open", [{"id": result["bill"]["id"], "version": result["bill"]["version"]}
                                   for result in bills], owner)
        return [result["bill"]["id"] for result in bills]

    bills = []
    for part in run_pool(args.workers, make_bills, chunks(list(range(args.claims)), BATCH), "sessions+bills"):
        bills += part
    return owner, bills


# --- phases ------------------------------------------------------------------------------------------


def generate(server, owner, bills, workers):
    def one(part):
        return [(result["claim"]["id"], result["claim"]["patientControlNumber"], result["claim"]["status"])
                for result in server.batch("claim.generate", [{"billId": bill} for bill in part], owner)]

    claims = []
    for part in run_pool(workers, one, chunks(bills, BATCH), "claim.generate"):
        claims += part
    wrong = [claim for claim in claims if claim[2] != "notSubmitted"]
    if wrong:
        raise Failure(f"{len(wrong)} generated claims are not notSubmitted, e.g. {wrong[:3]}")
    return claims


def wait_until(predicate, limit, interval, what):
    deadline = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {limit:.0f} s waiting for {what}")
        time.sleep(interval)


def submit(server, standin, owner, claims, args, marks):
    pcns = {claim[1] for claim in claims}
    started = time.monotonic()
    call_seconds = []
    for index, part in enumerate(chunks([claim[0] for claim in claims], SUBMIT_MAX)):
        call_started = time.monotonic()
        result = server.call("claim.submit", {"claimIds": part,
                                              "idempotencyKey": f"month-end-{args.run_id}-{index}"}, owner)
        call_seconds.append(time.monotonic() - call_started)
        statuses = {item["status"] for item in result["items"]}
        if not statuses <= {"queued", "sent", "received", "inProcess"}:
            raise Failure(f"claim.submit answered statuses {statuses}")
    marks["submit_calls"] = time.monotonic() - started
    marks["submit_call_seconds"] = call_seconds
    log(f"  claim.submit: {len(call_seconds)} calls in {marks['submit_calls']:.2f} s "
        f"({', '.join(f'{s:.2f}' for s in call_seconds)} s)")

    last_report = [0.0]

    def all_received_by_standin():
        received = standin.received()
        got = sum(1 for pcn in received["pcns"] if pcn in pcns)
        now = time.monotonic() - started
        if now - last_report[0] >= 5:
            log(f"  {now:6.1f} s: stand-in has {got}/{len(pcns)} claims in {len(received['files'])} files")
            last_report[0] = now
        if got >= len(pcns) and "standin_all" not in marks:
            marks["standin_all"] = now
        return "standin_all" in marks

    wait_until(all_received_by_standin, args.timeout, 0.25, "the stand-in to receive every claim")

    def all_sent():
        straggler = any_claim(server, owner, NOT_YET_SENT, "submit")
        if straggler is None:
            return True
        if straggler["status"] == "needsReview":
            raise Failure(f"claim {straggler['id']} needs review: {json.dumps(straggler)[:1500]}")
        return False

    wait_until(all_sent, args.timeout, 0.25, "every claim to be at least sent")
    marks["all_sent"] = time.monotonic() - started
    return marks["all_sent"]


def statuses(server, standin, owner, args, marks):
    started = time.monotonic()
    standin.post("/_admin/advance")
    last_report = [0.0]

    def none_left(statuses_left, mark):
        def check():
            straggler = any_claim(server, owner, statuses_left, "statuses")
            now = time.monotonic() - started
            if straggler is not None and straggler["status"] == "needsReview":
                raise Failure(f"claim {straggler['id']} needs review: {json.dumps(straggler)[:1500]}")
            if straggler is not None and now - last_report[0] >= 5:
                log(f"  {now:6.1f} s: still e.g. {straggler['status']}")
                last_report[0] = now
            if straggler is None:
                marks[mark] = now
                return True
            return False
        return check

    wait_until(none_left(NOT_YET_SENT + ["sent"], "all_received"), args.timeout, 0.25,
               "every claim to be at least received")
    wait_until(none_left(NOT_YET_IN_PROCESS, "all_in_process"), args.timeout, 0.25,
               "every claim to be in process")
    return marks["all_in_process"]


def standin_log_statuses(path):
    """(endpoint, HTTP status) → count, from the stand-in's request log on stderr."""
    counts = {}
    if not path or not os.path.exists(path):
        return counts
    pattern = re.compile(r'"POST /services/([A-Za-z0-9_]+)/? HTTP/[0-9.]+" (\d{3})')
    with open(path, errors="replace") as log_file:
        for line in log_file:
            match = pattern.search(line)
            if match:
                key = (match.group(1), match.group(2))
                counts[key] = counts.get(key, 0) + 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="ledgerline serve port")
    parser.add_argument("--standin-port", type=int, required=True)
    parser.add_argument("--operator-key", required=True)
    parser.add_argument("--account-key", required=True, help="the Claim.MD AccountKey the stand-in knows")
    parser.add_argument("--claims", type=int, default=int(os.environ.get("CLAIMS", "10000")))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for each milestone")
    parser.add_argument("--standin-log", help="the stand-in's stderr, for HTTP statuses per endpoint")
    parser.add_argument("--results", help="write the figures here as JSON")
    parser.add_argument("--poll-seconds", default="?", help="the server's LEDGERLINE_STATUS_POLL_SECONDS (for the report)")
    args = parser.parse_args()
    args.run_id = uuid.uuid4().hex[:8]
    server = Server(args.port)
    standin = StandIn(args.standin_port, args.account_key)
    marks = {}

    log(f"setup: a practice, {args.clients} clients, {args.claims} sessions/notes/bills "
        f"({args.workers} workers, batches of {BATCH})")
    setup_started = time.monotonic()
    owner, bills = setup(server, args)
    server.call("integration.configure", {"kind": "clearinghouse", "plugin": "claimmd",
                                          "settings": {"accountKey": args.account_key}}, owner)
    setup_seconds = time.monotonic() - setup_started
    log(f"setup: {setup_seconds:.1f} s ({len(bills)} open bills; clearinghouse claimmd configured)")

    log("GENERATE")
    started = time.monotonic()
    claims = generate(server, owner, bills, args.workers)
    generate_seconds = time.monotonic() - started
    log(f"GENERATE: {len(claims)} claims in {generate_seconds:.2f} s ({len(claims) / generate_seconds:.0f} claims/s)")

    log("SUBMIT")
    requests_before = standin.requests()
    submit_started_epoch = time.time()
    submit_seconds = submit(server, standin, owner, claims, args, marks)
    received = standin.received()
    files = received["files"]
    log(f"SUBMIT: all sent in {submit_seconds:.2f} s (all at the stand-in after {marks['standin_all']:.2f} s); "
        f"{len(files)} files uploaded ({', '.join(str(f['claims']) for f in files)} claims)")

    log("STATUSES")
    statuses_started_epoch = time.time()
    statuses_seconds = statuses(server, standin, owner, args, marks)
    statuses_ended_epoch = time.time()
    log(f"STATUSES: all received after {marks['all_received']:.2f} s, all inProcess after {statuses_seconds:.2f} s")

    # --- verification and summary (not timed) ---
    counts = status_counts(server, owner)
    received = standin.received()
    pcns = [claim[1] for claim in claims]
    ours = set(pcns)
    duplicates = {pcn: count for pcn, count in received["pcns"].items() if pcn in ours and count > 1}
    missing = [pcn for pcn in pcns if received["pcns"].get(pcn, 0) == 0]
    strangers = [pcn for pcn in received["pcns"] if pcn not in ours]
    requests = standin.requests()
    http_statuses = standin_log_statuses(args.standin_log)

    def in_window(times, start, end):
        return sum(1 for moment in times if start <= moment < end)

    total_seconds = generate_seconds + submit_seconds + statuses_seconds
    rows = [
        ("claims", f"{len(claims)}"),
        ("setup (not counted)", f"{setup_seconds:.1f} s"),
        ("generate", f"{generate_seconds:.2f} s ({len(claims) / generate_seconds:.0f} claims/s)"),
        ("submit calls (queueing)", f"{marks['submit_calls']:.2f} s ({len(marks['submit_call_seconds'])} calls)"),
        ("submit → all at stand-in", f"{marks['standin_all']:.2f} s"),
        ("submit → all sent", f"{submit_seconds:.2f} s ({len(files)} files)"),
        ("advance → all received", f"{marks['all_received']:.2f} s"),
        ("advance → all inProcess", f"{statuses_seconds:.2f} s"),
        ("total month-end", f"{total_seconds:.2f} s (generate + submit + statuses)"),
        ("slowest claim.list poll", f"submit {SLOWEST_POLL.get('submit', 0):.2f} s, "
                                    f"statuses {SLOWEST_POLL.get('statuses', 0):.2f} s (limit 1; API latency meanwhile)"),
        ("final statuses", ", ".join(f"{k} {v}" for k, v in counts.items())),
    ]
    print()
    print(f"Ledgerline month-end claims — {len(claims)} claims, release build, embedded PostgreSQL, "
          f"{os.cpu_count()} cores, {datetime.datetime.now().isoformat(timespec='seconds')}")
    print()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print()
    print("  stand-in requests per endpoint (submit phase / statuses phase / whole run; HTTP statuses from its log):")
    for endpoint in sorted(set(requests) | {e for e, _ in http_statuses}):
        times = requests.get(endpoint, [])
        before = len(requests_before.get(endpoint, []))
        codes = ", ".join(f"{code}: {count}" for (name, code), count in sorted(http_statuses.items()) if name == endpoint)
        print(f"    {endpoint:<12} {in_window(times, submit_started_epoch, statuses_started_epoch):>5} / "
              f"{in_window(times, statuses_started_epoch, statuses_ended_epoch):>5} / {len(times):>5}"
              f"   (before submit {before}){'   [' + codes + ']' if codes else ''}")
    everything = sorted(moment for times in requests.values() for moment in times)
    busiest, first = 0, 0
    for last, moment in enumerate(everything):
        while everything[first] <= moment - 60:
            first += 1
        busiest = max(busiest, last - first + 1)
    print(f"    busiest 60 s: {busiest} requests (Claim.MD allows 100 per minute per account)")
    polls = sorted(requests.get("response", []))
    gaps = sorted(later - earlier for earlier, later in zip(polls, polls[1:]))
    if gaps:
        print(f"    /response/ polls: gap median {gaps[len(gaps) // 2]:.2f} s, min {gaps[0]:.2f} s, max {gaps[-1]:.2f} s "
              f"(status sync interval {args.poll_seconds} s)")
    print()
    print(f"  PCNs at the stand-in: {sum(1 for p in ours if p in received['pcns'])}/{len(ours)} received, "
          f"{len(duplicates)} duplicated, {len(missing)} missing, {len(strangers)} not ours")

    if args.results:
        with open(args.results, "w") as results_file:
            json.dump({"claims": len(claims), "setup_s": setup_seconds, "generate_s": generate_seconds,
                       "submit_calls_s": marks["submit_calls"], "submit_to_standin_s": marks["standin_all"],
                       "submit_to_all_sent_s": submit_seconds, "advance_to_all_received_s": marks["all_received"],
                       "advance_to_all_in_process_s": statuses_seconds, "total_s": total_seconds,
                       "files": len(files), "statuses": counts,
                       "requests": {endpoint: len(times) for endpoint, times in requests.items()},
                       "busiest_minute_requests": busiest, "slowest_poll_s": SLOWEST_POLL,
                       "duplicates": len(duplicates), "missing": len(missing)}, results_file, indent=2)

    problems = []
    if duplicates:
        problems.append(f"{len(duplicates)} claims reached the stand-in more than once, e.g. {list(duplicates.items())[:5]}")
    if missing:
        problems.append(f"{len(missing)} claims never reached the stand-in, e.g. {missing[:5]}")
    if counts.get("inProcess", 0) != len(claims):
        problems.append(f"not every claim is inProcess: {counts}")
    if problems:
        for problem in problems:
            print("FAIL: " + problem)
        return 1
    print("ok: every claim reached the stand-in exactly once and came back inProcess")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"month_end: FAIL: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
