"""Shared pieces of the load and fault suites (load.py, pg_restart.py, fuzz.py): a persistent
HTTP/1.1 connection per worker thread, an open-model (fixed arrival rate) request generator, the
request mix a billing front end sends, and latency statistics.

Open model: every request has a *scheduled* send time (start + i / rate). Worker threads take the
scheduled requests from a queue; latency is measured from the scheduled time to the answer, so a
server stall shows up as latency for every request that should have been sent meanwhile (no
coordinated omission), and `lag` (actual send − scheduled) tells whether the generator itself kept
up. Python 3.11 standard library only.
"""
import datetime
import http.client
import json
import queue
import random
import socket
import threading
import time
import urllib.parse
import uuid

RATE_LIMITED = -32029


# --- HTTP -------------------------------------------------------------------------------------------


class Answer:
    """One HTTP exchange: status (None when no HTTP answer), body bytes, parsed JSON (or None), error."""
    __slots__ = ("status", "body", "json", "error", "content_type")

    def __init__(self, status=None, body=b"", error=None, content_type=""):
        self.status = status
        self.body = body
        self.error = error
        self.content_type = content_type
        self.json = None
        if status is not None and body:
            try:
                self.json = json.loads(body)
            except ValueError:
                self.json = None


class Conn:
    """A persistent HTTP/1.1 connection to the server, reopened after any failure. Never resends a
    POST: a failure is reported to the caller as `conn:<Exception>` or `timeout`."""

    def __init__(self, url, timeout=60.0):
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.path = parsed.path or "/rpc"
        self.timeout = timeout
        self.connection = None

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except OSError:
                pass
            self.connection = None

    def request(self, method, path, body=b"", headers=None, timeout=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        elif timeout is not None and self.connection.sock is not None:
            self.connection.sock.settimeout(timeout)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
            answer = Answer(response.status, data, content_type=response.getheader("Content-Type", ""))
            if response.will_close:
                self.close()
            elif timeout is not None and self.connection.sock is not None:
                self.connection.sock.settimeout(self.timeout)
            return answer
        except (socket.timeout, TimeoutError):
            self.close()
            return Answer(error="timeout")
        except (http.client.HTTPException, OSError) as error:
            self.close()
            return Answer(error=f"conn:{type(error).__name__}")

    def post_json(self, payload, key, extra_headers=None, timeout=None):
        body = payload if isinstance(payload, (bytes, bytearray)) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if extra_headers:
            headers.update(extra_headers)
        return self.request("POST", self.path, body, headers, timeout)


class CallFailed(Exception):
    pass


def call(conn, method, params, key, id=1):
    """One JSON-RPC call on `conn`; returns the result or raises CallFailed. A call refused by the
    per-practice rate limit (−32029, which does nothing) is sent again after retryAfterSeconds."""
    for _ in range(200):
        answer = conn.post_json({"jsonrpc": "2.0", "id": id, "method": method, "params": params}, key)
        error = answer.json.get("error") if isinstance(answer.json, dict) else None
        if not (isinstance(error, dict) and error.get("code") == RATE_LIMITED):
            break
        retry = (error.get("data") or {}).get("retryAfterSeconds", 0.1)
        time.sleep(min(5.0, float(retry) if isinstance(retry, (int, float)) else 0.1) + 0.01)
    if answer.status != 200 or not isinstance(answer.json, dict):
        raise CallFailed(f"{method}: HTTP {answer.status} {answer.error or answer.body[:300]!r}")
    if "error" in answer.json:
        raise CallFailed(f"{method}: {json.dumps(answer.json['error'])[:500]}")
    return answer.json["result"]


def classify(answer):
    """The outcome of one single (non-batch) JSON-RPC call: "ok", an int error code, "http:NNN",
    "timeout", "conn:…" or "invalid" (200 without a JSON-RPC answer)."""
    if answer.status is None:
        return answer.error or "conn"
    if answer.status != 200:
        return f"http:{answer.status}"
    body = answer.json
    if not isinstance(body, dict):
        return "invalid"
    if "result" in body:
        return "ok"
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), int):
        return error["code"]
    return "invalid"


# --- statistics -------------------------------------------------------------------------------------


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(latencies):
    values = sorted(latencies)
    if not values:
        return {"count": 0, "p50Ms": None, "p90Ms": None, "p99Ms": None, "maxMs": None, "meanMs": None}
    return {"count": len(values),
            "p50Ms": round(percentile(values, 0.50) * 1000, 2),
            "p90Ms": round(percentile(values, 0.90) * 1000, 2),
            "p99Ms": round(percentile(values, 0.99) * 1000, 2),
            "maxMs": round(values[-1] * 1000, 2),
            "meanMs": round(sum(values) / len(values) * 1000, 2)}


def ms(value):
    return "-" if value is None else (f"{value:.0f}" if value >= 100 else f"{value:.1f}")


class Sample:
    __slots__ = ("stream", "kind", "practice", "scheduled", "sent", "done", "outcome", "calls", "codes")

    def __init__(self, stream, kind, practice, scheduled, sent, done, outcome, calls, codes):
        self.stream = stream        # the stream that sent it ("main", "noisy", "writes")
        self.kind = kind            # method name, or "batch"
        self.practice = practice    # practice index
        self.scheduled = scheduled  # monotonic scheduled send time
        self.sent = sent            # monotonic actual send time
        self.done = done            # monotonic answer time
        self.outcome = outcome      # "ok" | int code | "http:NNN" | "timeout" | "conn:…" | "invalid"
        self.calls = calls          # JSON-RPC calls carried (batch length, or 1)
        self.codes = codes          # per-call outcomes (list), for batches; [outcome] otherwise

    @property
    def latency(self):
        return self.done - self.scheduled


class Recorder:
    """Collects every sample (thread-safe, append-only) for the per-second table and the totals."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []
        self.sent_by_second = {}
        self.errors = []  # the first error answers (method, params, error object)
        self.t0 = time.monotonic()

    def sent(self, stream, scheduled):
        second = int(scheduled - self.t0)
        with self.lock:
            key = (stream, second)
            self.sent_by_second[key] = self.sent_by_second.get(key, 0) + 1

    def add(self, sample):
        with self.lock:
            self.samples.append(sample)

    def snapshot(self):
        with self.lock:
            return list(self.samples)


def call_outcomes(samples):
    """Histogram of per-call outcomes (batch elements counted one by one)."""
    histogram = {}
    for sample in samples:
        for code in sample.codes:
            key = str(code)
            histogram[key] = histogram.get(key, 0) + 1
    return dict(sorted(histogram.items(), key=lambda item: -item[1]))


def is_error(code, allowed=()):
    return code != "ok" and code not in allowed


# --- open-model generator ---------------------------------------------------------------------------


class Stream:
    """Sends `make()` requests at a fixed `rate` (per second) for `duration` seconds, from its own
    pool of `workers` threads (each with its own connection), so one stream's backlog never delays
    another's sends. `make(index, rng)` returns a Request, or None to skip that slot."""

    def __init__(self, name, url, rate, duration, make, recorder, workers=None, timeout=60.0, seed=0,
                 start_at=None):
        self.name = name
        self.url = url
        self.rate = float(rate)
        self.duration = float(duration)
        self.make = make
        self.recorder = recorder
        self.workers = workers or max(8, min(256, int(self.rate * 0.4) + 8))
        self.timeout = timeout
        self.seed = seed
        self.start_at = start_at
        self.queue = queue.Queue()
        self.threads = []
        self.scheduled_count = 0
        self.stop_event = threading.Event()

    def start(self):
        self.begin = self.start_at if self.start_at is not None else time.monotonic()
        self.end = self.begin + self.duration
        for index in range(self.workers):
            thread = threading.Thread(target=self._worker, args=(index,), daemon=True, name=f"{self.name}-w{index}")
            thread.start()
            self.threads.append(thread)
        scheduler = threading.Thread(target=self._scheduler, daemon=True, name=f"{self.name}-sched")
        scheduler.start()
        self.threads.append(scheduler)
        return self

    def stop(self):
        self.stop_event.set()

    def join(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _scheduler(self):
        index = 0
        interval = 1.0 / self.rate if self.rate > 0 else None
        while interval is not None and not self.stop_event.is_set():
            scheduled = self.begin + index * interval
            if scheduled >= self.end:
                break
            delay = scheduled - time.monotonic()
            if delay > 0:
                self.stop_event.wait(delay)
                if self.stop_event.is_set():
                    break
            self.queue.put((scheduled, index))
            self.recorder.sent(self.name, scheduled)
            index += 1
        self.scheduled_count = index
        for _ in range(self.workers):
            self.queue.put(None)

    def _worker(self, worker_index):
        conn = Conn(self.url, self.timeout)
        rng = random.Random(self.seed * 1_000_003 + worker_index)
        while True:
            item = self.queue.get()
            if item is None:
                break
            scheduled, index = item
            sent = time.monotonic()
            try:
                request = self.make(index, rng)
                if request is None:
                    continue
                request.sink = self.recorder.errors
                answer = conn.post_json(request.payload, request.key)
                done = time.monotonic()
                outcome, codes = request.interpret(answer)
                kind, practice = request.kind, request.practice
            except Exception:  # a bug of the generator: counted and shown, never silent
                import traceback
                traceback.print_exc()
                done, outcome, codes, kind, practice = time.monotonic(), "clientError", ["clientError"], "?", None
            self.recorder.add(Sample(self.name, kind, practice, scheduled, sent, done, outcome, len(codes), codes))
        conn.close()


class Request:
    """One POST: a single call or a batch, with a callback for its answer."""

    def __init__(self, kind, practice, key, payload, on_result=None, on_error=None):
        self.kind = kind
        self.practice = practice
        self.key = key
        self.payload = payload
        self.on_result = on_result  # single: fn(result); batch: list of fns (or None) by element
        self.on_error = on_error

    sink = None  # a list (Recorder.errors) that keeps the first error answers, for the report

    def keep_error(self, element, error):
        if self.sink is not None and len(self.sink) < 200:
            self.sink.append({"method": element.get("method") if isinstance(element, dict) else None,
                              "params": json.dumps(element.get("params"))[:400] if isinstance(element, dict) else None,
                              "error": error})

    def interpret(self, answer):
        if isinstance(self.payload, list):
            if answer.status != 200 or not isinstance(answer.json, list):
                outcome = classify(answer) if answer.status != 200 or answer.status is None else "invalid"
                if outcome == "ok":
                    outcome = "invalid"
                if isinstance(answer.json, dict) and isinstance(answer.json.get("error"), dict):
                    outcome = answer.json["error"].get("code", "invalid")
                for callback in self.on_error or []:
                    if callback:
                        callback(outcome)
                return outcome, [outcome] * len(self.payload)
            by_id = {item.get("id"): item for item in answer.json if isinstance(item, dict)}
            codes = []
            for position, element in enumerate(self.payload):
                item = by_id.get(element.get("id"))
                if item is None:
                    codes.append("missing")
                elif "result" in item:
                    codes.append("ok")
                    callback = self.on_result[position] if self.on_result else None
                    if callback:
                        callback(item["result"])
                else:
                    error = item.get("error")
                    codes.append(error.get("code", "invalid") if isinstance(error, dict) else "invalid")
                    self.keep_error(element, error)
                    callback = self.on_error[position] if self.on_error else None
                    if callback:
                        callback(codes[-1])
            errors = [code for code in codes if code != "ok"]
            return ("ok" if not errors else errors[0]), codes
        outcome = classify(answer)
        if outcome != "ok":
            self.keep_error(self.payload, answer.json.get("error") if isinstance(answer.json, dict) else answer.error)
        if outcome == "ok" and self.on_result:
            self.on_result(answer.json["result"])
        elif outcome != "ok" and self.on_error:
            self.on_error(outcome)
        return outcome, [outcome]


def rss_kb_of(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# --- the practices and the request mix --------------------------------------------------------------


class Practice:
    """What the request mix needs to know about one seeded practice."""

    def __init__(self, index, key, practice_id):
        self.index = index
        self.key = key
        self.practice_id = practice_id
        self.member_id = None
        self.service_id = None
        self.location_id = None
        self.lock = threading.Lock()
        self.clients = {}      # client id → version
        self.busy = set()      # client ids with an update in flight
        self.created = 0

    def client_ids(self):
        with self.lock:
            return list(self.clients)

    def take_client_for_update(self, rng):
        with self.lock:
            free = [cid for cid in self.clients if cid not in self.busy]
            if not free:
                return None, None
            cid = rng.choice(free)
            self.busy.add(cid)
            return cid, self.clients[cid]

    def release_client(self, cid, version=None):
        with self.lock:
            self.busy.discard(cid)
            if version is not None:
                self.clients[cid] = max(version, self.clients.get(cid, 0))

    def add_client(self, client):
        with self.lock:
            self.clients[client["id"]] = client.get("version", 1)


def prepare_practice(url, index, seeded, min_clients=5):
    """Reads what the mix needs from a seeded practice ({"apiKey", "practiceId", "clientIds"?…}):
    the owner member (the rendering clinician), an enabled service with a rate, a location; creates
    a few clients when the seed has none."""
    conn = Conn(url)
    key = seeded["apiKey"]
    practice = Practice(index, key, seeded.get("practiceId"))
    try:
        if practice.practice_id is None:
            practice.practice_id = call(conn, "practice.get", {}, key)["practice"]["id"]
        members = call(conn, "member.list", {"limit": 200}, key)["items"]
        clinician = seeded.get("clinicianId") or seeded.get("memberId")
        if clinician is None:
            for member in members:
                if member.get("role") == "clinician" and member.get("npi"):
                    clinician = member["id"]
                    break
        if clinician is None:
            clinician = next(member["id"] for member in members if member.get("role") == "owner")
        practice.member_id = clinician
        services = call(conn, "service.list", {"enabled": True, "limit": 200}, key)["items"]
        if not services:
            services = call(conn, "service.importCommon", {}, key)["items"]
        service = next((s for s in services if s.get("code") == "90837"), services[0])
        practice.service_id = seeded.get("serviceId") or service["id"]
        locations = call(conn, "location.list", {"limit": 10}, key)["items"]
        if locations:
            practice.location_id = locations[0]["id"]
        else:
            practice.location_id = call(conn, "location.create", {
                "name": "Main office", "placeOfService": "11",
                "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"}},
                key)["location"]["id"]
        for cid in seeded.get("clientIds") or []:
            client = call(conn, "client.get", {"id": cid}, key)["client"]
            practice.add_client(client)
        while len(practice.clients) < min_clients:
            client = call(conn, "client.create", client_params(random.Random(len(practice.clients)), practice,
                                                              f"prep-{uuid.uuid4().hex[:12]}"), key)["client"]
            practice.add_client(client)
    finally:
        conn.close()
    return practice


FIRST = ["Jordan", "Avery", "Riley", "Quinn", "Morgan", "Casey", "Rowan", "Skyler", "Emerson", "Dakota"]
LAST = ["Park", "Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Tanaka", "Reyes"]


def client_params(rng, practice, external_id):
    return {"firstName": rng.choice(FIRST), "lastName": rng.choice(LAST),
            "dateOfBirth": f"{rng.randint(1950, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": rng.choice("MFU"),
            "address": {"line1": f"{rng.randint(1, 999)} Main St", "city": "Springfield", "state": "IL",
                        "postalCode": "62701"},
            "consents": {"email": False, "sms": False},
            "assignedMemberIds": [practice.member_id] if practice.member_id else [],
            "externalId": external_id}


def today():
    """Yesterday (UTC): a date that is not in the future in any practice's time zone."""
    return (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()


class Mix:
    """The request mix: reads, writes and batches of both, spread over the practices. Weights are
    relative. `request(index, rng, practice)` builds one Request for a practice."""

    READS = [("practice.get", 6), ("client.list", 10), ("client.get", 12), ("session.list", 8),
             ("bill.list", 8), ("report.aging", 4), ("payment.list", 5), ("client.balance", 5)]
    WRITES = [("client.create", 7), ("client.update", 6), ("session.create", 8), ("payment.record", 8)]

    def __init__(self, run_id, batch_weight=9, batch_size=5, write_share=1.0, available=None):
        """available: the server's method names (rpc.discover); methods it lacks leave the mix."""
        self.run_id = run_id
        self.batch_size = batch_size
        weighted = self.READS + [(name, weight * write_share) for name, weight in self.WRITES]
        self.dropped = [name for name, _ in weighted if available is not None and name not in available]
        weighted = [(name, weight) for name, weight in weighted if name not in self.dropped]
        weighted.append(("batch", batch_weight))
        self.names = [name for name, _ in weighted]
        self.weights = [weight for _, weight in weighted]
        self.counter = 0
        self.counter_lock = threading.Lock()

    def unique(self, prefix):
        with self.counter_lock:
            self.counter += 1
            return f"{prefix}-{self.run_id}-{self.counter}"

    def element(self, rng, practice, name, id_value):
        """(payload element, on_result, on_error) of one call."""
        cids = practice.client_ids()
        cid = rng.choice(cids) if cids else None
        params = {}
        on_result = None
        on_error = None
        if name == "practice.get":
            pass
        elif name == "client.list":
            params = {"limit": rng.choice([10, 25, 50])}
        elif name in ("client.get", "client.balance"):
            params = {"id": cid} if name == "client.get" else {"clientId": cid}
        elif name == "session.list":
            params = {"limit": 25} if rng.random() < 0.5 else {"clientId": cid, "limit": 25}
        elif name == "bill.list":
            params = {"limit": 25} if rng.random() < 0.5 else {"clientId": cid, "limit": 25}
        elif name == "payment.list":
            params = {"clientId": cid, "limit": 25}
        elif name == "report.aging":
            params = {}
        elif name == "client.create":
            params = client_params(rng, practice, self.unique("load"))
            on_result = lambda result: practice.add_client(result["client"])
        elif name == "client.update":
            target, version = practice.take_client_for_update(rng)
            if target is None:
                return self.element(rng, practice, "client.get", id_value)
            params = {"id": target, "version": version,
                      "address": {"line1": f"{rng.randint(1, 999)} Elm St", "city": "Springfield", "state": "IL",
                                  "postalCode": "62704"}}
            on_result = lambda result, target=target: practice.release_client(target, result["client"].get("version"))
            on_error = lambda code, target=target: practice.release_client(target)
        elif name == "session.create":
            day = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=rng.randint(1, 60))
            params = {"clientId": cid, "renderingMemberId": practice.member_id, "locationId": practice.location_id,
                      "dateOfService": day.isoformat(), "startTime": f"{rng.randint(8, 17):02d}:00",
                      "durationMinutes": 53, "placeOfService": "11", "billing": "selfPay",
                      "attendance": "completed",
                      "lines": [{"serviceId": practice.service_id, "units": 1, "rateCents": 15000, "modifiers": []}]}
        elif name == "payment.record":
            params = {"clientId": cid, "amountCents": rng.randint(100, 20000), "method": rng.choice(["cash", "check", "card"]),
                      "receivedOn": today(), "reference": self.unique("ref"),
                      "idempotencyKey": self.unique("idem")}
        else:
            raise ValueError(name)
        return {"jsonrpc": "2.0", "id": id_value, "method": name, "params": params}, on_result, on_error

    def request(self, index, rng, practice):
        name = rng.choices(self.names, self.weights)[0]
        if name == "batch":
            elements, results, errors = [], [], []
            for position in range(self.batch_size):
                inner = rng.choices(self.names[:-1], self.weights[:-1])[0]
                element, on_result, on_error = self.element(rng, practice, inner, position + 1)
                elements.append(element)
                results.append(on_result)
                errors.append(on_error)
            return Request("batch", practice.index, practice.key, elements, results, errors)
        element, on_result, on_error = self.element(rng, practice, name, index)
        return Request(element["method"], practice.index, practice.key, element, on_result, on_error)


def table_row(cells, widths):
    return "  ".join(str(cell).rjust(width) for cell, width in zip(cells, widths))


def create_practice(url, operator_key, name, owner_npi=True):
    """A bare practice through practice.create (when no harness seed is wanted): {"practiceId",
    "apiKey", "ownerId", "clientIds": []}."""
    conn = Conn(url)
    try:
        owner = {"firstName": "Ana", "lastName": "Ruiz", "email": f"owner-{uuid.uuid4().hex[:10]}@example.com"}
        if owner_npi:
            owner.update({"npi": "1245319599", "taxonomyCode": "1041C0700X", "credentials": "LCSW"})
        created = call(conn, "practice.create", {
            "legalName": name[:60], "taxId": "12-3456789", "taxIdType": "ein", "npi": "1234567893",
            "taxonomyCode": "101YM0800X", "billingProviderType": "organization",
            "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"},
            "phone": "+12175550100", "timeZone": "America/Chicago", "owner": owner}, operator_key)
        return {"practiceId": created["practice"]["id"], "apiKey": created["apiKey"]["secret"],
                "ownerId": created["owner"]["id"], "clientIds": []}
    finally:
        conn.close()


# --- the server under test --------------------------------------------------------------------------


def import_harness():
    try:
        import harness  # scripts/ops/harness.py, beside this file
        return harness
    except ImportError:
        return None


class Environment:
    """One server under test: started with scripts/ops/harness.py on its own PostgreSQL (--bin), or an
    already running one (--url, --operator-key, --pid)."""

    def __init__(self):
        self.url = None
        self.operator_key = None
        self.harness = None
        self.bin_dir = None
        self.postgres = None
        self.standins = None
        self.instance = None
        self.pid = None
        self.workdir = None
        self.keep = False
        self.tempdir = None

    @classmethod
    def create(cls, args, name, with_standins=False, server_env=None, bin_dir=None):
        import base64
        import os
        import shutil
        import tempfile
        env = cls()
        env.keep = getattr(args, "keep", False)
        if getattr(args, "url", None):
            env.url = args.url if args.url.endswith("/rpc") else args.url.rstrip("/") + "/rpc"
            env.operator_key = args.operator_key
            env.pid = args.pid
            env.bin_dir = "(attached)"
            env.harness = import_harness()
            return env
        env.bin_dir = os.path.abspath(bin_dir or args.bin or "")
        if not os.path.exists(os.path.join(env.bin_dir, "ledgerline")):
            raise SystemExit(f"{name}: no ledgerline binary in {env.bin_dir!r} (use --bin DIR or --url)")
        env.harness = import_harness()
        if env.harness is None:
            raise SystemExit(f"{name}: scripts/ops/harness.py is missing (needed to start PostgreSQL and the server)")
        if getattr(args, "workdir", None):
            env.workdir = os.path.abspath(args.workdir)
            os.makedirs(env.workdir, exist_ok=True)
        else:
            env.workdir = tempfile.mkdtemp(prefix=f"ll{name}.")
            env.tempdir = env.workdir
        os.chmod(env.workdir, 0o755)
        env._rmtree = shutil.rmtree
        try:
            env.postgres = env.harness.Postgres(os.path.join(env.workdir, "pg"))
            env.postgres.start()
            env.postgres.setup_roles_and_migrate(env.bin_dir)
            plugins = os.path.join(env.workdir, "plugins-none.json")
            with open(plugins, "w") as handle:
                handle.write("[]\n")
            os.chmod(plugins, 0o644)
            if with_standins:
                env.standins = env.harness.StandIns(os.path.join(env.workdir, "standins"),
                                                    f"acct_{uuid.uuid4().hex[:12]}")
                env.standins.start()
                plugins = env.standins.plugins_json(env.bin_dir)
            env.operator_key = f"ops-operator-{uuid.uuid4().hex}"
            secret = "ops1:" + base64.b64encode(os.urandom(32)).decode()
            env.instance = env.harness.Instance(env.bin_dir, env.workdir, name, env.postgres.app_url, plugins,
                                                env.operator_key, secret, env=server_env or {})
            env.instance.start()
            env.instance.wait_ready(timeout=120)
            env.url = env.instance.url if env.instance.url.endswith("/rpc") else env.instance.url.rstrip("/") + "/rpc"
            env.pid = env.instance.pid
        except BaseException:
            env.close()
            raise
        return env

    def rss_kb(self):
        if self.instance is not None:
            try:
                return self.instance.rss_kb()
            except Exception:
                return rss_kb_of(self.instance.pid)
        return rss_kb_of(self.pid) if self.pid else None

    def alive(self):
        pid = self.instance.pid if self.instance is not None else self.pid
        if pid:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    state = stat.read().rsplit(")", 1)[1].split()[0]
                return state not in ("Z", "X")
            except OSError:
                return False
        conn = Conn(self.url.rsplit("/rpc", 1)[0], timeout=10)
        answer = conn.request("GET", "/health/live")
        conn.close()
        return answer.status == 200

    def log_tail(self, lines=40):
        if self.instance is None:
            return ""
        try:
            with open(self.instance.log_path, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    def close(self):
        for part, method in ((self.instance, "terminate"), (self.standins, "stop"), (self.postgres, "stop")):
            if part is not None:
                try:
                    getattr(part, method)()
                except Exception as error:  # keep closing the rest
                    print(f"(cleanup: {type(part).__name__}.{method}: {error})")
        if self.tempdir and not self.keep:
            self._rmtree(self.tempdir, ignore_errors=True)
        elif self.workdir and self.instance is not None:
            print(f"(kept {self.workdir})")


def available_methods(url):
    conn = Conn(url)
    try:
        return {method["name"] for method in call(conn, "rpc.discover", {}, None)["methods"]}
    finally:
        conn.close()
