#!/usr/bin/env python3
"""make fuzz: N fuzzed JSON-RPC requests against one server, generated from its own OpenRPC document.

The server (debug or release build from --bin) runs on its own PostgreSQL (scripts/ops/harness.py),
or --url/--operator-key attach to a running one. Two practices are seeded: A, the one the fuzzer
speaks for, and B, whose ids are mixed into A's requests and whose names carry a marker. Every
request is built from `rpc.discover` (methods and param schemas), then mutated: wrong types,
missing/extra fields, huge/negative/float cents, very long strings, unicode, control characters,
NUL, deep nesting, invalid JSON, wrong jsonrpc versions, batches (empty, oversized, mixed,
notifications only), unknown methods, ids of every type, B's ids with A's key, bad or absent auth
headers, wrong content types, chunked and oversized bodies.

Asserted: no HTTP 5xx and no dropped connection; every answer is valid JSON-RPC 2.0 (200 with a
response object or a batch array, the request's id echoed), 204 only for notifications, 413 only
for a body over the limit; errors carry no SQL, stack traces or source paths; no answer to A's key
contains B's ids (that the request did not carry) or B's names; B's data is unchanged afterwards; the
server stays alive (GET /health/live every 1,000 requests) and its RSS does not grow grossly
(> 2 × start + 200 MB fails; the figures at start, every 10,000 and at the end are reported).
Deterministic with --seed: request i is built from Random(seed, i) whatever the thread count.

  python3 scripts/ops/fuzz.py --bin .build/debug --count 100000 --results fuzz.json
"""
import argparse
import json
import os
import random
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402
from traffic import Conn, call  # noqa: E402

MAX_BODY = 1 << 20  # the server's default LEDGERLINE_MAX_BODY_BYTES
MAX_BATCH = 100     # the server's default LEDGERLINE_MAX_BATCH
B_MARKER = "Zyxquorthian"  # in B's client names: must never appear in an answer to A's key

NASTY_STRINGS = [
    "", " ", "\u0000", "a\u0000b", "\u0001\u0002\u001f\u007f", "\t\r\n", "\ud800", "\udfff\ud800",
    "\u202eevil", "e\u0301\u0301\u0301", "😀" * 50, "𝕏" * 10, "\ufeff", "'; drop table clients; --",
    "\" or 1=1 --", "%s%n%x", "${jndi:ldap://x}", "../../etc/passwd", "<script>alert(1)</script>",
    "null", "true", "0", "-1", "1e309", "NaN", "Infinity", "2026-02-30", "9999-99-99", "0000-00-00",
    "24:00", "cli_", "cli_" + "0" * 32, "cli_" + "g" * 32, "llk_" + "a" * 40, "\\", "\\u0000", "\"",
]
NASTY_NUMBERS = [0, -1, 1, -0.0, 0.5, 1.5, -1.5, 1e-9, 2 ** 31, 2 ** 31 - 1, -2 ** 31, 2 ** 32, 2 ** 53,
                 2 ** 53 + 1, -(2 ** 53) - 1, 2 ** 63 - 1, 2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 30, 9999999999,
                 10000000000, 1e308, -1e308, 123456789.123456789]
RAW_NUMBERS = ["1e400", "-1e400", "1E+2", "0.0000000000000000000001", "1" * 400, "-0", "1.0",
               "123456789012345678901234567890"]
ID_VALUES = [1, 0, -1, 2 ** 53, 2 ** 63, 1.5, -0.0, 1e300, "1", "", "abc", "\u0000", "😀", "x" * 300, None, True,
             False, {"a": 1}, [1], []]
PREFIXES = ["prc", "mem", "key", "svc", "loc", "pyr", "enr", "cli", "con", "pol", "ses", "bil", "pay", "pmt",
            "ntf", "clm", "era", "erc", "alr", "sbl"]


# --- values from schemas ----------------------------------------------------------------------------


class Pools:
    """Ids the generator picks from: A's own, B's (cross-tenant), and random ones."""

    def __init__(self):
        self.a = {}
        self.b = {}

    def add(self, owner, identifier):
        if not isinstance(identifier, str) or "_" not in identifier:
            return
        prefix = identifier.split("_", 1)[0]
        bucket = self.a if owner == "a" else self.b
        bucket.setdefault(prefix, [])
        if identifier not in bucket[prefix]:
            bucket[prefix].append(identifier)

    def b_ids(self):
        return {identifier for items in self.b.values() for identifier in items}

    def pick(self, rng, prefix):
        roll = rng.random()
        if roll < 0.55 and self.a.get(prefix):
            return rng.choice(self.a[prefix]), False
        if roll < 0.85 and self.b.get(prefix):
            return rng.choice(self.b[prefix]), True
        return f"{prefix}_{rng.getrandbits(128):032x}", False


def gen_string(rng, schema, pools, flags):
    fmt = schema.get("format")
    if fmt and fmt.endswith("-id") and fmt[:-3] in PREFIXES + [fmt[:-3]]:
        identifier, cross = pools.pick(rng, fmt[:-3])
        if cross:
            flags["cross"] = True
        return identifier
    if fmt == "date":
        return f"{rng.randint(2024, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "date-time":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    if fmt == "time":
        return f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}"
    if fmt == "e164":
        return f"+1217555{rng.randint(0, 9999):04d}"
    if fmt == "email":
        return f"fuzz{rng.randint(0, 10 ** 6)}@example.com"
    if fmt == "us-state":
        return rng.choice(["IL", "NY", "CA", "TX", "WA"])
    if fmt == "us-zip":
        return rng.choice(["62701", "62701-1234", "10001"])
    if fmt == "npi":
        return rng.choice(["1234567893", "1245319599", "1000000004"])
    if fmt == "taxonomy":
        return rng.choice(["101YM0800X", "1041C0700X"])
    if fmt == "tax-id":
        return rng.choice(["12-3456789", "123-45-6789"])
    if fmt == "iana-time-zone":
        return rng.choice(["America/Chicago", "America/New_York", "Europe/Berlin", "Mars/Olympus"])
    if fmt == "icd10cm-billable":
        return rng.choice(["F41.1", "F32.1", "F43.10", "F90.0", "Z00.00"])
    if fmt == "place-of-service":
        return rng.choice(["11", "02", "10", "99"])
    if fmt == "modifier":
        return rng.choice(["95", "GT", "HO", "59"])
    if fmt == "cursor":
        return rng.choice(["", "abc", "eyJ0IjoxfQ", "x" * 64])
    if "enum" in schema:
        return rng.choice([value for value in schema["enum"] if value is not None] or [""])
    low = schema.get("minLength", 1)
    high = min(schema.get("maxLength", 20), 24)
    length = rng.randint(low, max(low, high))
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ABCXYZ-") for _ in range(length)) or "x"


def gen_value(rng, schema, pools, flags, depth=0):
    if not isinstance(schema, dict):
        return None
    if "enum" in schema and rng.random() < 0.9:
        return rng.choice(schema["enum"])
    types = schema.get("type", "string")
    if isinstance(types, list):
        concrete = [t for t in types if t != "null"]
        kind = "null" if (not concrete or rng.random() < 0.1) else rng.choice(concrete)
    else:
        kind = types
    if kind == "null":
        return None
    if kind == "string":
        return gen_string(rng, schema, pools, flags)
    if kind == "integer":
        low = schema.get("minimum", 0)
        high = min(schema.get("maximum", 100000), low + 50000)
        return rng.randint(int(low), int(max(low, high)))
    if kind == "number":
        return rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1000))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 3), low + 3)
        count = rng.randint(low, max(low, high))
        return [gen_value(rng, schema.get("items", {}), pools, flags, depth + 1) for _ in range(count)]
    if kind == "object":
        result = {}
        required = set(schema.get("required", []))
        for name, sub in (schema.get("properties") or {}).items():
            if name in required or rng.random() < 0.5:
                result[name] = gen_value(rng, sub, pools, flags, depth + 1)
        return result
    return None


def gen_params(rng, method, pools, flags):
    params = {}
    for param in method.get("params", []):
        if param.get("required") or rng.random() < 0.5:
            params[param["name"]] = gen_value(rng, param.get("schema", {}), pools, flags)
    return params


# --- mutations --------------------------------------------------------------------------------------


class Raw:
    """A JSON fragment written verbatim (numbers JSON allows but Python cannot hold, deep nesting)."""

    def __init__(self, text):
        self.text = text


def encode(value):
    """JSON text of value; Raw fragments inlined; lone surrogates kept as \\uXXXX escapes."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + encode(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value)


def nasty_value(rng):
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(NASTY_STRINGS)
    if roll < 0.55:
        return rng.choice(NASTY_NUMBERS)
    if roll < 0.65:
        return Raw(rng.choice(RAW_NUMBERS))
    if roll < 0.72:
        return "x" * rng.choice([101, 1000, 10000, 100000])
    if roll < 0.78:
        return "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(1, 200)))
    if roll < 0.84:
        depth = rng.choice([10, 100, 1000, 5000])
        return Raw("[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth)
    return rng.choice([None, True, False, [], {}, [None], {"": None}, [1, "a", None]])


def mutate_params(rng, params, method):
    """1–3 mutations of a params object (in place); returns the (maybe replaced) params."""
    names = [p["name"] for p in method.get("params", [])]
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if not isinstance(params, dict):
            break
        if roll < 0.25 and params:
            key = rng.choice(list(params))
            params[key] = nasty_value(rng)
        elif roll < 0.40 and params:
            del params[rng.choice(list(params))]
        elif roll < 0.50:
            params[rng.choice(["extra", "__proto__", "constructor", "", "\u0000", "id", "practiceId", "X" * 300])] = \
                nasty_value(rng)
        elif roll < 0.62:
            # cents and other integers: huge, negative, float, string
            money = [n for n in names if n.endswith("Cents") or n in ("units", "limit", "version")]
            key = rng.choice(money or names or ["amountCents"])
            params[key] = rng.choice(NASTY_NUMBERS + [Raw(rng.choice(RAW_NUMBERS)), "100", "1e3", None])
        elif roll < 0.72 and params:
            # nested: mutate inside an object or array param
            key = rng.choice(list(params))
            inner = params[key]
            if isinstance(inner, dict) and inner:
                inner[rng.choice(list(inner))] = nasty_value(rng)
            elif isinstance(inner, list) and inner:
                inner[rng.randrange(len(inner))] = nasty_value(rng)
            else:
                params[key] = [inner] * rng.choice([0, 2, 101, 1000])
        elif roll < 0.80:
            params = rng.choice([list(params.values()), [], "params", 42, None, True, [params]])
        elif roll < 0.88 and params:
            key = rng.choice(list(params))
            params[key] = {"$ne": None} if rng.random() < 0.5 else [params[key], params[key]]
        else:
            # duplicate of a string with a long / unicode tail
            key = rng.choice(list(params) or ["name"])
            params[key] = str(params.get(key, "")) + rng.choice(["\u0000", "😀" * 1000, "\n" * 100, " " * 5000])
    return params


# --- one fuzz case ----------------------------------------------------------------------------------


class Case:
    """The request bytes, headers and what to expect of the answer."""

    def __init__(self, body, headers, expect, ids=None, notification=False, batch=None, key_owner="a",
                 method="", label=""):
        self.body = body
        self.headers = headers
        self.expect = expect          # "rpc" (a JSON-RPC answer), "tooLarge" (413 allowed), "any"
        self.ids = ids                # the ids whose echo we check, for a well-formed request
        self.notification = notification
        self.batch = batch            # None, or the number of elements with an id (answers expected)
        self.key_owner = key_owner    # "a", "operator", "none", "bad"
        self.method = method
        self.label = label
        self.chunked = False


class Generator:
    def __init__(self, methods, pools, keys, seed):
        self.methods = methods
        self.by_name = {m["name"]: m for m in methods}
        self.pools = pools
        self.keys = keys   # {"a": …, "operator": …}
        self.seed = seed

    def auth(self, rng):
        roll = rng.random()
        if roll < 0.86:
            return {"Authorization": f"Bearer {self.keys['a']}"}, "a"
        options = [
            ({}, "none"),
            ({"Authorization": "Bearer"}, "bad"),
            ({"Authorization": "Bearer "}, "bad"),
            ({"Authorization": "Bearer llk_" + "0" * 40}, "bad"),
            ({"Authorization": f"Bearer {self.keys['a'][:-1]}"}, "bad"),
            ({"Authorization": f"Bearer {self.keys['a']}x"}, "bad"),
            ({"Authorization": f"bearer {self.keys['a']}"}, "a?"),
            ({"Authorization": f"Basic {self.keys['a']}"}, "bad"),
            ({"Authorization": "Bearer " + "A" * 6000}, "bad"),
            ({"Authorization": "Bearer \u00e9\u00e9"}, "bad"),
            ({"Authorization": f"Bearer {self.keys['operator']}"}, "operator"),
        ]
        return rng.choice(options)

    def content_type(self, rng):
        if rng.random() < 0.9:
            return {"Content-Type": "application/json"}
        return rng.choice([{}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"},
                           {"Content-Type": "multipart/form-data; boundary=x"}, {"Content-Type": "application/json; charset=latin1"},
                           {"Content-Type": "\u0000"}])

    def request_object(self, rng, flags, position=None):
        """(object-or-Raw, id or missing marker, is_notification)."""
        roll = rng.random()
        if roll < 0.04:
            name = rng.choice(["nope", "", "rpc.", "rpc.other", "client.", ".get", "client.get.extra", "CLIENT.GET",
                               "x" * 5000, "client.get\u0000", "__proto__", "practice.create"])
            method = self.by_name.get(name, {"params": []})
            params = gen_params(rng, method, self.pools, flags)
        else:
            method = rng.choice(self.methods)
            name = method["name"]
            params = gen_params(rng, method, self.pools, flags)
            if rng.random() < 0.55:
                params = mutate_params(rng, params, method)
        request = {"jsonrpc": "2.0", "method": name}
        if rng.random() < 0.9:
            request["params"] = params
        notification = rng.random() < 0.06
        id_value = None
        if not notification:
            id_value = (position if position is not None else rng.randint(1, 10 ** 6)) if rng.random() < 0.8 \
                else rng.choice(ID_VALUES)
            request["id"] = id_value
        well_formed = True
        envelope_roll = rng.random()
        if envelope_roll < 0.03:
            request["jsonrpc"] = rng.choice(["1.0", "2", 2.0, 2, None, "", "2.0 "])
            well_formed = False
        elif envelope_roll < 0.05:
            del request["jsonrpc"]
            well_formed = False
        elif envelope_roll < 0.07:
            request["method"] = rng.choice([1, None, True, [], {}, ["client.get"]])
            well_formed = False
        elif envelope_roll < 0.08:
            request["extra"] = 1
            well_formed = False  # a server may call an object with unknown members an invalid request
        elif envelope_roll < 0.09:
            request = rng.choice([1, "x", None, True, []])
            well_formed = False
        if isinstance(request, dict) and "params" in request and not isinstance(request["params"], (dict, list)):
            well_formed = False  # params must be structured: an invalid request is answered even without id
        # ids that are not strings, numbers or null make the request invalid; the answer's id is then null
        if isinstance(id_value, (dict, list, bool)):
            well_formed = False
        return request, id_value, notification, well_formed, name

    def case(self, index):
        rng = random.Random(f"{self.seed}/{index}")
        flags = {}
        headers, key_owner = self.auth(rng)
        headers = dict(headers)
        headers.update(self.content_type(rng))
        roll = rng.random()
        if roll < 0.70:
            request, id_value, notification, well_formed, name = self.request_object(rng, flags)
            body = encode(request).encode("utf-8", "surrogatepass")
            ids = [id_value] if (well_formed and not notification) else None
            case = Case(body, headers, "rpc", ids=ids, notification=notification and well_formed,
                        key_owner=key_owner, method=name, label="single")
        elif roll < 0.80:
            # a batch: mixed, sometimes empty, oversized, notifications only, nested
            kind = rng.random()
            if kind < 0.1:
                body, label, answers = b"[]", "batch-empty", None
            elif kind < 0.2:
                size = rng.choice([MAX_BATCH + 1, MAX_BATCH * 2, 1000])
                element = encode({"jsonrpc": "2.0", "id": 1, "method": "practice.get", "params": {}})
                body, label, answers = ("[" + ",".join([element] * size) + "]").encode(), "batch-oversized", None
            elif kind < 0.3:
                body = encode([{"jsonrpc": "2.0", "method": "practice.get", "params": {}}] * rng.randint(1, 5)).encode()
                label, answers = "batch-notifications", 0
            elif kind < 0.35:
                body, label, answers = encode([[{"jsonrpc": "2.0", "id": 1, "method": "practice.get"}]]).encode(), \
                    "batch-nested", None
            else:
                elements, answers, seen, clean = [], 0, set(), True
                for position in range(rng.randint(1, 12)):
                    request, id_value, notification, well_formed, _ = self.request_object(rng, flags, position + 1)
                    if not isinstance(request, dict) or not well_formed:
                        clean = False
                    if not notification:
                        answers += 1
                        marker = repr(id_value)
                        if marker in seen or not isinstance(id_value, int) or isinstance(id_value, bool):
                            clean = False
                        seen.add(marker)
                    elements.append(request)
                body = encode(elements).encode("utf-8", "surrogatepass")
                label = "batch-mixed"
                answers = answers if clean else None
            case = Case(body, headers, "rpc", batch=answers, key_owner=key_owner, label=label)
        elif roll < 0.90:
            # invalid JSON and odd bodies
            options = [b"", b"{", b"[", b"}", b"null", b"1", b'"x"', b"{}", b'{"jsonrpc":"2.0"}',
                       b'{"jsonrpc":"2.0","id":1,"method":"practice.get",}', b"\xff\xfe\x00",
                       b"\xef\xbb\xbf" + b'{"jsonrpc":"2.0","id":1,"method":"practice.get"}',
                       b'{"jsonrpc":"2.0","id":1,"method":"practice.get"}{"x":1}',
                       b'{"jsonrpc":"2.0","id":1,"id":2,"method":"practice.get"}',
                       b'{"jsonrpc":"2.0","id":1,"method":"practice.get","params":{"a":1,"a":2}}',
                       b'{"jsonrpc":"2.0","id":01,"method":"practice.get"}',
                       b'{"jsonrpc":"2.0","id":1,"method":"client.get","params":{"id":"cli_\\ud800"}}',
                       b'{"jsonrpc":"2.0","id":1,"method":"client.get","params":{"id":"\\u0000"}}',
                       b"[" * 100000, b'{"a":' * 50000, b"\x00" * 1000, "{\"é\":1}".encode("latin-1"),
                       b'{"jsonrpc":"2.0","id":NaN,"method":"practice.get"}',
                       b'{"jsonrpc":"2.0","id":1e999,"method":"practice.get"}',
                       b'{"jsonrpc":"2.0","id":1,"method":"practice.get","params":' + b"1" * 5000 + b"}",
                       b'\t\n {"jsonrpc":"2.0","id":7,"method":"practice.get"} \n']
            body = rng.choice(options)
            if rng.random() < 0.3:
                body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 400)))
            case = Case(body, headers, "rpc", key_owner=key_owner, label="invalid-json")
        elif roll < 0.95:
            # big bodies: just over the limit (413), far over, just under (a long but legal string)
            size = rng.choice([MAX_BODY + 1, MAX_BODY * 2, MAX_BODY * 8, MAX_BODY - 200])
            text = {"jsonrpc": "2.0", "id": 1, "method": "client.list", "params": {"query": "x"}}
            prefix = encode(text)[:-2]
            pad = max(0, size - len(prefix) - 4)
            body = (prefix[:-1] + "y" * pad + '"}}').encode()  # {"query": "xyyy…"}: valid JSON
            case = Case(body, headers, "tooLarge" if len(body) > MAX_BODY else "rpc", key_owner=key_owner,
                        label="big", ids=[1])
        else:
            # valid-looking calls carrying B's ids with A's key, on the read and write methods
            targets = [m for m in self.methods if any(p.get("schema", {}).get("format", "").endswith("-id")
                                                     for p in m.get("params", []))]
            method = rng.choice(targets)
            params = gen_params(rng, method, self.pools, flags)
            for param in method.get("params", []):
                fmt = param.get("schema", {}).get("format", "")
                if fmt.endswith("-id") and self.pools.b.get(fmt[:-3]):
                    params[param["name"]] = rng.choice(self.pools.b[fmt[:-3]])
                    flags["cross"] = True
            body = encode({"jsonrpc": "2.0", "id": index, "method": method["name"], "params": params}).encode(
                "utf-8", "surrogatepass")
            headers = {"Authorization": f"Bearer {self.keys['a']}", "Content-Type": "application/json"}
            case = Case(body, headers, "rpc", ids=[index], key_owner="a", method=method["name"], label="cross-tenant")
        case.cross = bool(flags.get("cross"))
        case.chunked = rng.random() < 0.03 and len(case.body) < MAX_BODY
        return case


# --- checking answers -------------------------------------------------------------------------------

LEAKY = ["PSQLError", "sqlState", "SQLSTATE", "select ", "insert into", "Fatal error", ".swift:", "/Sources/",
         "Swift/", "backtrace", "violates ", "duplicate key value", "relation \"", "PostgresNIO"]


def valid_response_object(item):
    if not isinstance(item, dict) or item.get("jsonrpc") != "2.0" or "id" not in item:
        return "shape"
    if ("result" in item) == ("error" in item):
        return "resultXorError"
    if "error" in item:
        error = item["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool) \
                or not isinstance(error.get("message"), str):
            return "errorShape"
    if not (item["id"] is None or isinstance(item["id"], (str, int, float))) or isinstance(item["id"], bool):
        return "idType"
    return None


def same_id(sent, answered):
    if isinstance(sent, bool) or isinstance(answered, bool):
        return sent is answered
    if isinstance(sent, (int, float)) and isinstance(answered, (int, float)):
        return float(sent) == float(answered) or sent == answered
    return sent == answered


def check(case, answer, b_ids, body_text_cache=None):
    """b_ids: B's ids A's key never sent so far (the audit log rightly echoes ids A sent itself)."""
    """(outcome label, problem or None, codes list)."""
    if answer.status is None:
        if answer.error == "timeout" and any("\u0000" in value for value in case.headers.values()) \
                and len(case.body) > MAX_BODY:
            # the HTTP layer answers a malformed header with 400 + "Connection: close" and half-closes,
            # but stops reading: a client still sending a multi-MB body blocks until its own timeout.
            # Reported (outcome malformedHeaderStall), not failed: see the README.
            return "malformedHeaderStall", None, []
        if case.expect == "tooLarge" and answer.error and answer.error.startswith("conn:"):
            return "closedTooLarge", None, []  # the server may close before reading an oversized body
        return answer.error or "conn", f"no HTTP answer ({answer.error})", []
    status = answer.status
    if status >= 500:
        return f"http:{status}", f"HTTP {status}: {answer.body[:300]!r}", []
    if status == 413:
        if case.expect == "tooLarge" or len(case.body) > MAX_BODY:
            return "http:413", None, []
        return "http:413", f"413 for a body of {len(case.body)} bytes", []
    if status == 204:
        if case.notification or case.batch == 0 or case.ids is None and case.batch is None:
            # only a notification (or a notification-only batch) may go unanswered; an invalid
            # request without an id answered with nothing is tolerated when we cannot tell
            if case.notification or case.batch == 0:
                return "http:204", None, []
            return "http:204", "204 for a request that needed an answer" if case.label != "single" else None, []
        return "http:204", "204 for a request with an id", []
    if status == 400 and any("\u0000" in value for value in case.headers.values()):
        return "http:400", None, []  # a NUL in a header is not HTTP: the HTTP parser's 400 is right
    if status != 200:
        return f"http:{status}", f"unexpected HTTP {status}: {answer.body[:200]!r}", []
    if case.expect == "tooLarge":
        return "http:200", f"200 for a body of {len(case.body)} bytes over the limit", []
    data = answer.json
    if data is None:
        return "invalidJSON", f"200 without JSON: {answer.body[:200]!r}", []
    problem = None
    codes = []
    if isinstance(data, list):
        if not data:
            return "emptyArray", "an empty array answer", []
        for item in data:
            shape = valid_response_object(item)
            if shape:
                problem = f"batch element {shape}: {json.dumps(item)[:200]}"
                break
            codes.append(item["error"]["code"] if "error" in item else "ok")
        if case.batch is not None and case.batch != len(data) and problem is None:
            problem = f"batch of {case.batch} requests with ids answered with {len(data)} responses"
        outcome = "batch"
    elif isinstance(data, dict):
        shape = valid_response_object(data)
        if shape:
            return "invalidRPC", f"not a JSON-RPC response ({shape}): {answer.body[:200]!r}", []
        code = data["error"]["code"] if "error" in data else "ok"
        codes.append(code)
        outcome = str(code)
        if case.ids is not None and not same_id(case.ids[0], data["id"]) and "error" not in data:
            problem = f"id {case.ids[0]!r} answered as {data['id']!r}"
        if case.ids is not None and "error" in data and data["id"] is not None \
                and not same_id(case.ids[0], data["id"]):
            problem = f"id {case.ids[0]!r} answered as {data['id']!r}"
        if case.notification and problem is None:
            problem = "a notification was answered"
            if "error" in data and data["id"] is None:
                problem = None  # an invalid notification is answered with id null (JSON-RPC 2.0 §5)
    else:
        return "invalidRPC", f"answer is {type(data).__name__}", []
    text = answer.body.decode("utf-8", "replace")
    lowered = text.lower()
    for needle in LEAKY:
        if needle.lower() in lowered:
            # our own bodies come back in validation messages sometimes; only count it when we did not send it
            if needle.lower() not in case.body.decode("utf-8", "replace").lower():
                problem = problem or f"error leaks internals ({needle!r}): {text[:300]}"
                break
    if case.key_owner in ("a", "a?") and problem is None:
        if B_MARKER.lower() in lowered:
            problem = f"answer to A's key carries B's data (marker): {text[:300]}"
        else:
            sent = case.body.decode("utf-8", "replace")
            for identifier in b_ids:
                if identifier in text and identifier not in sent:
                    problem = f"answer to A's key carries B's id {identifier}: {text[:300]}"
                    break
    return outcome, problem, codes


# --- running ----------------------------------------------------------------------------------------


def seed_pair(url, operator_key, pools, harness=None, standins=None):
    """Practices A (the fuzzer's key) and B (the victim): clients, a contact, sessions, an open bill, a
    payment each; B's client names carry B_MARKER. Returns (A seed, B seed, B snapshot fn)."""
    seeds = {}
    for owner in ("a", "b"):
        if harness is not None:
            seeded = harness.seed_practice(url, operator_key, f"Fuzz practice {owner.upper()}", clients=3,
                                           with_integrations=False)
        else:
            seeded = traffic.create_practice(url, operator_key, f"Fuzz practice {owner.upper()}")
        practice = traffic.prepare_practice(url, 0, seeded)
        key = seeded["apiKey"]
        conn = Conn(url)
        pools.add(owner, practice.practice_id)
        for member in call(conn, "member.list", {"limit": 200}, key)["items"]:
            if owner == "b" or member.get("role") != "owner":
                pools.add(owner, member["id"])
        if owner == "a":
            clinician = call(conn, "member.create", {"firstName": "Sam", "lastName": "Lee",
                                                     "email": f"sam-{uuid.uuid4().hex[:8]}@example.com",
                                                     "role": "clinician", "npi": "1245319599",
                                                     "taxonomyCode": "1041C0700X"}, key)
            pools.add("a", (clinician.get("member") or clinician).get("id"))
        for service in call(conn, "service.list", {"limit": 200}, key)["items"]:
            pools.add(owner, service["id"])
        pools.add(owner, practice.location_id)
        for number in range(3):
            name = f"{B_MARKER}{number}" if owner == "b" else f"Alpha{number}"
            client = call(conn, "client.create", {
                "firstName": name, "lastName": name, "dateOfBirth": "1990-01-0" + str(number + 1), "sex": "F",
                "consents": {"email": False, "sms": False}, "assignedMemberIds": [],
                "externalId": f"{owner}-ext-{number}-{uuid.uuid4().hex[:6]}"}, key)["client"]
            practice.add_client(client)
        for cid in practice.client_ids():
            pools.add(owner, cid)
        if owner == "b":
            # never in the pool: A's key can only learn this id through a leak
            hidden = call(conn, "client.create", {
                "firstName": B_MARKER + "Hidden", "lastName": B_MARKER, "dateOfBirth": "1991-02-03", "sex": "M",
                "consents": {"email": False, "sms": False}, "assignedMemberIds": []}, key)["client"]
            seeded["hiddenIds"] = [hidden["id"]]
        cid = practice.client_ids()[0]
        contact = call(conn, "contact.create", {"firstName": "Mina" if owner == "a" else B_MARKER, "lastName": "Park",
                                                "email": "mina@example.com", "consents": {"email": True, "sms": False},
                                                "links": [{"clientId": cid, "roles": ["billingContact"]}]}, key)
        pools.add(owner, contact["contact"]["id"])
        sessions = []
        for day in (1, 2):
            session = call(conn, "session.create", {
                "clientId": cid, "renderingMemberId": practice.member_id, "locationId": practice.location_id,
                "dateOfService": f"2026-10-0{day}", "startTime": "10:00", "durationMinutes": 53,
                "placeOfService": "11", "billing": "selfPay", "attendance": "completed",
                "lines": [{"serviceId": practice.service_id, "units": 1, "rateCents": 15000, "modifiers": []}]}, key)
            sessions.append(session["session"]["id"])
            pools.add(owner, session["session"]["id"])
        bill = call(conn, "bill.create", {"clientId": cid, "sessionIds": sessions}, key)["bill"]
        pools.add(owner, bill["id"])
        call(conn, "bill.open", {"id": bill["id"], "version": bill["version"]}, key)
        payment = call(conn, "payment.record", {"clientId": cid, "amountCents": 5000, "method": "cash",
                                                "receivedOn": "2026-10-03", "reference": f"{owner}-seed",
                                                "allocations": [{"billId": bill["id"], "amountCents": 5000}],
                                                "idempotencyKey": uuid.uuid4().hex}, key)
        pools.add(owner, payment["payment"]["id"])
        conn.close()
        seeds[owner] = seeded
    return seeds["a"], seeds["b"]


def snapshot_b(url, key):
    """B's data as B sees it, for the before/after comparison."""
    conn = Conn(url)
    result = {}
    try:
        for method in ("practice.get", "client.list", "session.list", "bill.list", "payment.list", "contact.list",
                       "member.list", "location.list", "service.list"):
            params = {} if method == "practice.get" else {"limit": 200}
            result[method] = call(conn, method, params, key)
    finally:
        conn.close()
    return json.dumps(result, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="folder with ledgerline and the plugin .so files (starts its own PostgreSQL)")
    parser.add_argument("--url", help="attach to a running server instead (http://127.0.0.1:PORT/rpc)")
    parser.add_argument("--operator-key", help="the operator key of --url's server")
    parser.add_argument("--pid", type=int, help="the server's pid with --url (RSS, liveness)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workdir", help="keep the server, its PostgreSQL and logs here (default: a temp dir)")
    parser.add_argument("--results", help="write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="do not remove the work dir")
    parser.add_argument("--max-seconds", type=float, help="stop sending after this long (the figures say how many ran)")
    parser.add_argument("--keep-rate-limit", action="store_true", help="leave the server's default rate limit on")
    parser.add_argument("--ci", action="store_true", help="the make test size: 3,000 requests (~50 s, debug build)")
    args = parser.parse_args()
    if args.ci and args.count == 100_000:
        args.count = 3000

    # the per-practice rate limit off (LEDGERLINE_RATE_LIMIT=0): the fuzzer speaks for one practice
    # far faster than a client would, and −32029 for most requests would hide what they reach
    server_env = {"LEDGERLINE_LOG_LEVEL": "warning"}
    if not args.keep_rate_limit:
        server_env["LEDGERLINE_RATE_LIMIT"] = "0"
    env = traffic.Environment.create(args, "fuzz", with_standins=False, server_env=server_env)
    try:
        return run(args, env)
    finally:
        env.close()


def run(args, env):
    url, operator_key = env.url, env.operator_key
    started_setup = time.monotonic()
    conn = Conn(url)
    document = call(conn, "rpc.discover", {}, None)
    conn.close()
    methods = [m for m in document["methods"] if not m["name"].startswith("rpc.")]
    pools = Pools()
    seed_a, seed_b = seed_pair(url, operator_key, pools, env.harness)
    before_b = snapshot_b(url, seed_b["apiKey"])
    b_ids = pools.b_ids() | {seed_b["practiceId"]} | set(seed_b.get("hiddenIds", []))
    print(f"fuzz: {len(methods)} methods from rpc.discover; practices A and B seeded "
          f"({sum(len(v) for v in pools.b.values())} of B's ids in the pool) in {time.monotonic() - started_setup:.1f} s",
          flush=True)
    generator = Generator(methods, pools, {"a": seed_a["apiKey"], "operator": operator_key}, args.seed)

    lock = threading.Lock()
    outcomes, codes_histogram, labels, problems, problem_count = {}, {}, {}, [], [0]
    rss = [{"requests": 0, "rssKb": env.rss_kb()}]
    next_index = [0]
    sent_b = set()
    internal = []
    done_count = [0]
    alive_failures = []
    stop = threading.Event()

    def worker():
        conn = Conn(url, timeout=60)
        while not stop.is_set():
            with lock:
                index = next_index[0]
                if index >= args.count or (args.max_seconds and time.monotonic() - started > args.max_seconds):
                    break
                next_index[0] += 1
            try:
                case = generator.case(index)
                if case.key_owner in ("a", "a?"):
                    text = case.body.decode("utf-8", "replace")
                    with lock:
                        for identifier in [i for i in b_ids if i in text]:
                            sent_b.add(identifier)
                with lock:
                    unsent_b = b_ids - sent_b
                headers = dict(case.headers)
                if case.chunked:
                    answer = chunked_post(conn, case.body, headers)
                else:
                    malformed = any("\u0000" in value for value in headers.values())
                    answer = conn.request("POST", "/rpc", case.body, headers, timeout=10 if malformed else None)
                outcome, problem, codes = check(case, answer, unsent_b)
            except Exception as error:  # a fuzzer bug: reported, never hidden
                import traceback
                case = Case(b"", {}, "any", label="fuzzer-error")
                outcome, problem, codes = "fuzzerError", f"fuzzer: {traceback.format_exc()[-600:]}", []
            with lock:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                labels[case.label] = labels.get(case.label, 0) + 1
                for code in codes:
                    codes_histogram[str(code)] = codes_histogram.get(str(code), 0) + 1
                if -32603 in codes and len(internal) < 30:
                    internal.append({"index": index, "label": case.label, "method": case.method,
                                     "request": case.body[:3000].decode("utf-8", "replace"),
                                     "answer": answer.body[:1500].decode("utf-8", "replace")})
                if problem:
                    problem_count[0] += 1
                    if len(problems) < 50:
                        problems.append({"index": index, "label": case.label, "method": case.method,
                                         "problem": problem, "request": case.body[:4000].decode("utf-8", "replace"),
                                         "answer": answer.body[:4000].decode("utf-8", "replace") if answer.body else None,
                                         "headers": {k: v[:80] for k, v in case.headers.items()}})
                done_count[0] += 1
                count = done_count[0]
            if count % 1000 == 0:
                live = Conn(url.rsplit("/rpc", 1)[0] + "/health/live", timeout=10)
                health = live.request("GET", "/health/live")
                live.close()
                if health.status != 200 or not env.alive():
                    with lock:
                        alive_failures.append({"requests": count, "status": health.status, "error": health.error})
                if count % 10000 == 0 or count == args.count:
                    rss_now = env.rss_kb()
                    with lock:
                        rss.append({"requests": count, "rssKb": rss_now})
                elapsed = time.monotonic() - started
                print(f"  {count:>7} requests  {count / elapsed:7.0f} req/s  problems {problem_count[0]}"
                      f"  rss {(env.rss_kb() or 0) / 1024:.0f} MB", flush=True)
            if alive_failures and not env.alive():
                stop.set()
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    time.sleep(1)
    rss_end = env.rss_kb()
    if rss[-1]["requests"] != done_count[0]:
        rss.append({"requests": done_count[0], "rssKb": rss_end})
    alive = env.alive()
    after_b = snapshot_b(url, seed_b["apiKey"]) if alive else None
    b_unchanged = after_b == before_b

    rss_start = rss[0]["rssKb"] or 0
    rss_max = max((r["rssKb"] or 0) for r in rss)
    leak_limit = 2 * rss_start + 200 * 1024
    failures = []
    if problem_count[0]:
        failures.append(f"{problem_count[0]} answers broke the contract")
    if alive_failures or not alive:
        failures.append(f"the server stopped answering: {alive_failures[:3]}")
    if not b_unchanged:
        failures.append("practice B's data changed during the fuzz (A's key wrote to B?)")
    if rss_end and rss_start and rss_end > leak_limit:
        failures.append(f"RSS grew from {rss_start / 1024:.0f} MB to {rss_end / 1024:.0f} MB (> 2 × start + 200 MB)")

    results = {
        "count": done_count[0], "asked": args.count, "seed": args.seed, "threads": args.threads,
        "seconds": round(elapsed, 1), "requestsPerSecond": round(done_count[0] / elapsed, 1) if elapsed else None,
        "outcomes": dict(sorted(outcomes.items(), key=lambda kv: -kv[1])),
        "callCodes": dict(sorted(codes_histogram.items(), key=lambda kv: -kv[1])),
        "cases": labels, "rss": rss, "rssStartKb": rss_start, "rssEndKb": rss_end, "rssMaxKb": rss_max,
        "serverAlive": alive, "practiceBUnchanged": b_unchanged,
        "problems": problems, "problemCount": problem_count[0], "failures": failures,
        "internalErrors": internal,
        "binary": env.bin_dir,
    }
    print(f"\nfuzz: {done_count[0]} requests in {elapsed:.1f} s ({results['requestsPerSecond']} req/s), seed {args.seed}")
    print("  answers (HTTP status / single-call code / batch):")
    for key, value in results["outcomes"].items():
        print(f"    {key:>16}  {value}")
    print("  JSON-RPC codes over every call (batch elements too):")
    for key, value in list(results["callCodes"].items())[:20]:
        print(f"    {key:>16}  {value}")
    print(f"  cases: {labels}")
    rss_series = ", ".join(f"{r['requests']}:{(r['rssKb'] or 0) / 1024:.0f}" for r in rss)
    print(f"  RSS: start {rss_start / 1024:.0f} MB, end {(rss_end or 0) / 1024:.0f} MB, max {rss_max / 1024:.0f} MB "
          f"({rss_series})")
    print(f"  server alive: {alive}; practice B unchanged: {b_unchanged}")
    if internal:
        print(f"  −32603 internal errors: {codes_histogram.get('-32603', 0)} calls (server-side faults on odd input; "
              f"samples in the results); first: {internal[0]['method'] or internal[0]['label']}: "
              f"{internal[0]['request'][:200]}")
    for problem in problems[:10]:
        print(f"  PROBLEM #{problem['index']} [{problem['label']} {problem['method']}]: {problem['problem'][:400]}")
        print(f"      request: {problem['request'][:300]}")
    if args.results:
        with open(args.results, "w") as handle:
            json.dump(results, handle, indent=2)
    print("fuzz: " + ("FAILED: " + "; ".join(failures) if failures else "passed"))
    return 1 if failures else 0


def chunked_post(conn, body, headers):
    """The same POST with Transfer-Encoding: chunked (no Content-Length)."""
    import http.client
    if conn.connection is None:
        conn.connection = http.client.HTTPConnection(conn.host, conn.port, timeout=conn.timeout)
    try:
        chunks = [body[i:i + 4096] for i in range(0, len(body), 4096)] or [b""]
        conn.connection.request("POST", conn.path, body=iter(chunks), headers=headers, encode_chunked=True)
        response = conn.connection.getresponse()
        data = response.read()
        answer = traffic.Answer(response.status, data)
        if response.will_close:
            conn.close()
        return answer
    except (OSError, http.client.HTTPException) as error:
        conn.close()
        return traffic.Answer(error=f"conn:{type(error).__name__}")


if __name__ == "__main__":
    sys.exit(main())
