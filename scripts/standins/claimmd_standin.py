#!/usr/bin/env python3
"""A stand-in for Claim.MD's REST API (https://svc.claim.md/services/<name>/), for tests.

It follows the wire format in shared/domain/claimmd-api.md (Claim.MD's public samples and
integrators' code), not Ledgerline's client. Tags as in that document: [C] confirmed, [L] likely,
[G] guessed. Python 3 standard library only.

Transport (every service) [C]: POST /services/<name>/ (trailing slash optional), form-urlencoded
or multipart/form-data, `AccountKey` form field. XML by default (<result …> root, scalars as
attributes, lists as repeated child elements); JSON with `Accept: application/json` (the same data
without the wrapper, all values strings, repeated children as arrays). With
--single-object-quirk a one-element list comes back as an object [G]. API errors are HTTP 200 with
an `error` element (`error_code`, `error_mesg`) [G: the doc's guess]; codes are the stand-in's own
(see ERROR_* below) [G].

Services:
  upload      multipart `File` (+ optional `Filename`): an X12 837P file. Envelope checked (ISA/IEA
              control numbers, IEA01 = number of GS, GS06 = GE02, GE01 = number of ST, SE01 =
              segment count, SE02 = ST02): a problem gives a whole-file error and no claim. More than
              2000 claims (or none) is a whole-file error. Per CLM an acknowledgement: status A, or R
              with messages naming the field (ins_number, total_charge, bill_npi, payerid, diag_1).
  response    `ResponseID` (required, 0 = from the start), optional `ClaimID` (claimmd_id): one
              `claim` per (claim, responseid) newer than the cursor, with `messages`, and
              `last_responseid`. At most 20,000 per call.
  uploadlist  `UploadDate` (yyyy-mm-dd), `Page`: `file` items [G field names].
  payerlist   `payerid`, `payer_name` (partial match): `payer` items.
  enroll      `payerid`, `enroll_type` (era|1500|ub|elig|attach), `prov_taxid` (required), `prov_npi`:
              `success` and `link` (the form the provider completes); the same enrollment again
              answers the same link and its `status`. Progress is Claim.MD's webhook (not sent here).
  eralist     `ERAID` cursor, `NewOnly` (default 1 [L]), `PayerID`, `CheckNumber`, `CheckDate`
              (mm-dd-yyyy): `era` items and `last_eraid`.
  era835      `eraid`: `eraid` + `data` (the 835 text).
  eradata     `eraid`: the ERA as structured data (`claim` → `charge`).

Lifecycle of an accepted claim (each step is a /response/ entry with a new responseid):
  at upload           status A from Claim.MD, "Claim accepted for processing"
  + --ack-seconds     status A from the payer, "Accepted by payer", sender_icn = payer claim number
                      (or, when ins_number starts with REJ: status R "Subscriber not found",
                      fields ins_number, and nothing further)
  + --process-seconds status A from the payer, "Claim pended for adjudication - in process"
  POST /_admin/pay    an ERA (835) paying the in-process claims in full
A claim rejected at upload appears in /response/ once, with status R.

Rate limit [L: 100/min per account; HTTP 429 + error element is a guess]: more than --rate-limit
requests (default 100, 0 = off) from one AccountKey in any 60-second window answer HTTP 429.

Admin endpoints for tests (not part of Claim.MD):
  GET  /_admin/received[?accountKey=K]  {"pcns": {PCN: count}, "files": [{"filename", "accountKey"
                                        (masked), "claims", "at"}]}
  GET  /_admin/claims[?accountKey=K]    every claim with its current stage
  GET  /_admin/enrollments               every /enroll/ request kept (one per payer, type and provider)
  GET  /_admin/requests[?accountKey=K]  request times (epoch seconds) per endpoint (per masked key
                                        without the filter)
  POST /_admin/advance                  every pending timed step happens now
  POST /_admin/pay                      JSON {"pcns": [...]} optional: pays in-process claims (ERA);
                                        optional "allowedPercent" (default 100: CO-45 writes off the
                                        rest), "patientResponsibility" (dollars per claim, PR group,
                                        "prReason" CARC, default 3 = copay) or "deny" (a CARC: CLP02 4,
                                        nothing paid, the charge adjusted CO with that reason)
  POST /_admin/faults                   JSON {"endpoint": "upload"|…|"*", "mode": "503"|"timeout"|
                                        "drop"|"slow", "count": N | "probability": p,
                                        "delaySeconds": s}
  POST /_admin/faults/clear             removes every fault
  POST /_admin/reset                    forgets claims, files, responses, ERAs, faults, request log

Usage: claimmd_standin.py --account-key KEY [--account-key KEY2]… [--port 0] [--ack-seconds 5]
       [--process-seconds 10] [--rate-limit 100] [--single-object-quirk] [--seed N]
       [--exit-on-stdin-eof]
Prints "READY <port>" on stdout once listening (nothing else goes to stdout; the request log goes to
stderr). Exits on SIGTERM or SIGINT, and with --exit-on-stdin-eof when its stdin closes.
"""

import argparse
import json
import random
import re
import signal
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SERVICES = ("upload", "uploadlist", "response", "payerlist", "eralist", "era835", "eradata", "enroll")
SERVICE_PATH = re.compile(r"^/services/([A-Za-z0-9_]+)/?$")
MAX_CLAIMS_PER_FILE = 2000
MAX_RESPONSE_RESULTS = 20000
UPLOADLIST_PAGE_SIZE = 500
RATE_WINDOW_SECONDS = 60.0

# Error codes: Claim.MD's catalogue is not public, so these are the stand-in's own [G].
ERROR_ACCOUNT_KEY = "10"
ERROR_PARAMETER = "20"
ERROR_UNKNOWN_SERVICE = "30"
ERROR_METHOD = "31"
ERROR_FILE = "40"
ERROR_ENVELOPE = "41"
ERROR_CLAIM_COUNT = "42"
ERROR_ERA = "50"
ERROR_RATE_LIMIT = "429"

CLAIMMD_SENDER_NAME = "Claim.MD"
CLAIMMD_SENDER_ID = "CLAIMMD"  # [G] the X12 receiver id seen in one integration

# (payerid, payer_name, payer_type, payer_state, 1500_claims, era, eligibility, avg_era_enroll_days)
# Flag vocabulary is undocumented [G]: "yes", "no", "enrollment required".
PAYERS = [
    ("62308", "CIGNA HEALTHCARE", "Commercial", "", "yes", "enrollment required", "yes", "14"),
    ("60054", "AETNA", "Commercial", "", "yes", "enrollment required", "yes", "10"),
    ("87726", "UNITEDHEALTHCARE", "Commercial", "", "yes", "enrollment required", "yes", "21"),
    ("61101", "HUMANA", "Commercial", "", "yes", "enrollment required", "yes", "15"),
    ("SB580", "BLUE CROSS BLUE SHIELD OF ILLINOIS", "BCBS", "IL", "yes", "enrollment required", "yes", "30"),
    ("00431", "MEDICARE ILLINOIS", "Medicare", "IL", "enrollment required", "enrollment required", "yes", "35"),
    ("00851", "REGENCE BLUECROSS BLUESHIELD OF OREGON", "BCBS", "OR", "yes", "enrollment required", "yes", "20"),
    ("CHP01", "CASCADE HEALTH PLAN", "Commercial", "OR", "yes", "yes", "no", "5"),
    ("ORDHS", "OREGON HEALTH PLAN (MEDICAID)", "Medicaid", "OR", "enrollment required", "enrollment required", "yes",
     "45"),
    ("01260", "MAGELLAN BEHAVIORAL HEALTH", "Commercial", "", "yes", "enrollment required", "no", "25"),
    ("99726", "TRICARE WEST", "Tricare", "", "yes", "enrollment required", "yes", "30"),
    ("95378", "OPTUM BEHAVIORAL HEALTH", "Commercial", "", "yes", "yes", "yes", "12"),
]
PAYER_BY_ID = {payer[0]: payer for payer in PAYERS}


def now_text(epoch=None):
    """A timestamp as the stand-in writes `response_time` [G format]."""
    moment = datetime.fromtimestamp(epoch if epoch is not None else time.time(), timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def money(value):
    """A Decimal as Claim.MD writes amounts: "150.00"."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def mask(key):
    """An AccountKey with all but its first four and last two characters hidden."""
    if len(key) <= 8:
        return key[:2] + "****"
    return key[:4] + "****" + key[-2:]


def npi_is_valid(npi):
    """The NPI check digit: Luhn over "80840" + the ten digits."""
    if not re.fullmatch(r"[0-9]{10}", npi or ""):
        return False
    total = 0
    for index, character in enumerate(reversed("80840" + npi)):
        digit = int(character)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


# --- response documents ---------------------------------------------------------------------------


class Node:
    """One element of a response: scalars as attributes, lists as repeated children."""

    def __init__(self, tag, attributes=None, children=None, text=None):
        self.tag = tag
        self.attributes = {name: "" if value is None else str(value) for name, value in (attributes or {}).items()}
        self.children = children or []
        self.text = text

    def to_xml(self):
        element = ET.Element(self.tag, self.attributes)
        if self.text is not None:
            element.text = self.text
        for child in self.children:
            element.append(child.to_xml())
        return element

    def to_json(self, single_object_quirk):
        if self.text is not None and not self.attributes and not self.children:
            return self.text
        value = dict(self.attributes)
        groups = {}
        for child in self.children:
            groups.setdefault(child.tag, []).append(child.to_json(single_object_quirk))
        for tag, items in groups.items():
            value[tag] = items[0] if single_object_quirk and len(items) == 1 else items
        return value


def error_node(code, message):
    return Node("error", {"error_code": code, "error_mesg": message})


def result_with_error(code, message):
    return Node("result", children=[error_node(code, message)])


# --- multipart and forms ---------------------------------------------------------------------------


class UploadedFile:
    def __init__(self, filename, content_type, data):
        self.filename = filename
        self.content_type = content_type
        self.data = data


def header_parameters(value):
    """Splits `form-data; name="File"; filename="a b.837"` into ("form-data", {name: …, filename: …})."""
    parts = []
    current = []
    quoted = False
    escaped = False
    for character in value:
        if escaped:
            current.append(character)
            escaped = False
        elif quoted and character == "\\":
            current.append(character)
            escaped = True
        elif character == '"':
            quoted = not quoted
            current.append(character)
        elif character == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    main = parts[0].strip().lower()
    parameters = {}
    for part in parts[1:]:
        name, equals, raw = part.strip().partition("=")
        if not equals:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        parameters[name.strip().lower()] = raw
    return main, parameters


def parse_multipart(body, boundary):
    """Fields (name → str) and files (name → UploadedFile) of a multipart/form-data body."""
    fields = {}
    files = {}
    delimiter = b"--" + boundary.encode("latin-1")
    position = body.find(delimiter)
    if position < 0:
        raise ValueError("multipart boundary not found")
    while True:
        position += len(delimiter)
        if body[position:position + 2] == b"--":
            break
        # Skip the line break after the boundary line.
        line_end = body.find(b"\n", position)
        if line_end < 0:
            raise ValueError("truncated multipart body")
        start = line_end + 1
        next_boundary = body.find(b"\r\n" + delimiter, start)
        separator_length = 2
        if next_boundary < 0:
            next_boundary = body.find(b"\n" + delimiter, start)
            separator_length = 1
        if next_boundary < 0:
            raise ValueError("multipart part without a closing boundary")
        part = body[start:next_boundary]
        header_end = part.find(b"\r\n\r\n")
        header_length = 4
        if header_end < 0:
            header_end = part.find(b"\n\n")
            header_length = 2
        if header_end < 0:
            raise ValueError("multipart part without headers")
        headers = {}
        for line in part[:header_end].decode("utf-8", "replace").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        content = part[header_end + header_length:]
        _, disposition = header_parameters(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is not None:
            if "filename" in disposition:
                files[name] = UploadedFile(disposition["filename"], headers.get("content-type", ""), content)
            else:
                fields[name] = content.decode("utf-8", "replace")
        position = next_boundary + separator_length
    return fields, files


# --- X12 837P ------------------------------------------------------------------------------------------


class EnvelopeError(Exception):
    pass


def split_segments(data):
    """The segments of an X12 file as lists of elements, plus the component separator."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    if not text.startswith("ISA") or len(text) < 106:
        raise EnvelopeError("The file is not an X12 interchange (it does not start with an ISA segment)")
    element = text[3]
    if element.isalnum() or element.isspace():
        raise EnvelopeError("ISA element separator %r is not valid" % element)
    # ISA16 is the character after the 16th element separator; the terminator follows it.
    index = 0
    for _ in range(16):
        index = text.find(element, index + 1)
        if index < 0:
            raise EnvelopeError("The ISA segment has fewer than 16 elements")
    if index + 2 >= len(text):
        raise EnvelopeError("The ISA segment is truncated")
    component = text[index + 1]
    terminator = text[index + 2]
    if terminator.isalnum() or terminator in (element, component):
        raise EnvelopeError("ISA segment terminator %r is not valid" % terminator)
    segments = []
    for raw in text.split(terminator):
        raw = raw.lstrip("\r\n\t ")
        if raw:
            segments.append(raw.rstrip("\r\n").split(element))
    return segments, component


def same_control(left, right):
    left, right = (left or "").strip(), (right or "").strip()
    if left.isdigit() and right.isdigit():
        return int(left) == int(right)
    return left == right


def element_at(segment, index):
    return segment[index].strip() if len(segment) > index else ""


def transactions(segments):
    """Checks the ISA/GS/ST envelopes and returns each transaction set's segments (ST…SE)."""
    found = []
    interchange = group = transaction = None
    for segment in segments:
        tag = segment[0].strip()
        if tag == "ISA":
            if interchange is not None:
                raise EnvelopeError(
                    "ISA %s starts before IEA closes ISA %s" % (element_at(segment, 13), interchange["control"]))
            if len(segment) < 17:
                raise EnvelopeError("The ISA segment has %d elements, not 16" % (len(segment) - 1))
            interchange = {"control": element_at(segment, 13), "groups": 0}
        elif tag == "GS":
            if interchange is None or group is not None:
                raise EnvelopeError("GS outside an interchange or inside another group")
            interchange["groups"] += 1
            group = {"control": element_at(segment, 6), "sets": 0, "functional": element_at(segment, 1)}
        elif tag == "ST":
            if group is None or transaction is not None:
                raise EnvelopeError("ST outside a functional group or inside another transaction set")
            group["sets"] += 1
            transaction = {"control": element_at(segment, 2), "type": element_at(segment, 1), "segments": [segment]}
        elif tag == "SE":
            if transaction is None:
                raise EnvelopeError("SE without ST")
            transaction["segments"].append(segment)
            count = len(transaction["segments"])
            if not same_control(element_at(segment, 1), str(count)):
                raise EnvelopeError(
                    "SE01 is %s but transaction set %s has %d segments (ST and SE included)"
                    % (element_at(segment, 1) or "empty", transaction["control"], count))
            if element_at(segment, 2) != transaction["control"]:
                raise EnvelopeError("SE02 %s does not match ST02 %s" % (element_at(segment, 2), transaction["control"]))
            found.append(transaction)
            transaction = None
        elif tag == "GE":
            if group is None or transaction is not None:
                raise EnvelopeError("GE outside a functional group, or before SE")
            if not same_control(element_at(segment, 1), str(group["sets"])):
                raise EnvelopeError(
                    "GE01 is %s but the group has %d transaction sets" % (element_at(segment, 1), group["sets"]))
            if not same_control(element_at(segment, 2), group["control"]):
                raise EnvelopeError("GE02 %s does not match GS06 %s" % (element_at(segment, 2), group["control"]))
            group = None
        elif tag == "IEA":
            if interchange is None or group is not None:
                raise EnvelopeError("IEA outside an interchange, or before GE")
            if not same_control(element_at(segment, 1), str(interchange["groups"])):
                raise EnvelopeError(
                    "IEA01 is %s but the interchange has %d functional groups"
                    % (element_at(segment, 1), interchange["groups"]))
            if element_at(segment, 2) != interchange["control"]:
                raise EnvelopeError(
                    "IEA02 %s does not match ISA13 %s" % (element_at(segment, 2), interchange["control"]))
            interchange = None
        else:
            if transaction is None:
                raise EnvelopeError("Segment %s is outside a transaction set" % tag)
            transaction["segments"].append(segment)
    if transaction is not None:
        raise EnvelopeError("Transaction set %s has no SE" % transaction["control"])
    if group is not None:
        raise EnvelopeError("Functional group %s has no GE" % group["control"])
    if interchange is not None:
        raise EnvelopeError("Interchange %s has no IEA" % interchange["control"])
    if not found:
        raise EnvelopeError("The interchange holds no transaction set")
    for transaction in found:
        if transaction["type"] != "837":
            raise EnvelopeError(
                "Transaction set %s is a %s, not an 837" % (transaction["control"], transaction["type"] or "?"))
    return found


def parse_date(segment):
    """DTP03 as CCYYMMDD (the first date of an RD8 range)."""
    return element_at(segment, 3).split("-")[0]


def parse_amount(text):
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def claims_in(transaction, component):
    """The claims of one 837 transaction set, each a dict of what the edits and responses need."""
    claims = []
    billing = {}
    subscriber = {}
    patient = {}
    entity = None  # the NM101 of the last NM1 seen
    claim = None
    line = None

    def finish():
        nonlocal claim, line
        if claim is not None:
            claims.append(claim)
        claim = None
        line = None

    for segment in transaction["segments"]:
        tag = segment[0].strip()
        if tag == "HL":
            finish()
            level = element_at(segment, 3)
            if level == "20":
                billing = {"npi": "", "taxid": "", "name": ""}
                subscriber = {}
                patient = {}
            elif level == "22":
                subscriber = {"ins_number": "", "payerid": "", "payer_name": "", "last": "", "first": "", "filing": ""}
                patient = {}
            elif level == "23":
                patient = {"last": "", "first": ""}
            entity = None
        elif tag == "SBR" and claim is None:
            subscriber["filing"] = element_at(segment, 9)
        elif tag == "NM1":
            entity = element_at(segment, 1)
            if claim is None:
                if entity == "85":
                    billing["npi"] = element_at(segment, 9)
                    names = (element_at(segment, 4), element_at(segment, 3))
                    billing["name"] = " ".join(part for part in names if part)
                elif entity == "IL":
                    subscriber["ins_number"] = element_at(segment, 9)
                    subscriber["last"] = element_at(segment, 3)
                    subscriber["first"] = element_at(segment, 4)
                elif entity == "PR":
                    subscriber["payerid"] = element_at(segment, 9)
                    subscriber["payer_name"] = element_at(segment, 3)
                elif entity == "QC":
                    patient["last"] = element_at(segment, 3)
                    patient["first"] = element_at(segment, 4)
            else:
                claim["claim_loops"] = True
        elif tag == "REF":
            qualifier = element_at(segment, 1)
            if claim is None and entity == "85" and qualifier in ("EI", "SY") and not billing.get("taxid"):
                billing["taxid"] = element_at(segment, 2)
            elif claim is not None and qualifier == "D9" and line is None and not claim["claim_loops"]:
                claim["remote_claimid"] = element_at(segment, 2)
            elif claim is not None and qualifier == "F8" and line is None and not claim["claim_loops"]:
                claim["original_ref"] = element_at(segment, 2)
        elif tag == "CLM":
            finish()
            facility = element_at(segment, 5).split(component)
            claim = {
                "pcn": element_at(segment, 1),
                "charge_text": element_at(segment, 2),
                "place_of_service": facility[0] if facility else "",
                "frequency": facility[2] if len(facility) > 2 else "1",
                "payerid": subscriber.get("payerid", ""),
                "payer_name": subscriber.get("payer_name", ""),
                "ins_number": subscriber.get("ins_number", ""),
                "filing": subscriber.get("filing", ""),
                "bill_npi": billing.get("npi", ""),
                "bill_taxid": billing.get("taxid", ""),
                "bill_name": billing.get("name", ""),
                "pat_last": patient.get("last") or subscriber.get("last", ""),
                "pat_first": patient.get("first") or subscriber.get("first", ""),
                "remote_claimid": "",
                "original_ref": "",
                "fdos": "",
                "diagnoses": [],
                "lines": [],
                "claim_loops": False,
            }
        elif claim is None:
            continue
        elif tag == "HI":
            for composite in segment[1:]:
                parts = composite.strip().split(component)
                if len(parts) >= 2 and parts[1].strip():
                    claim["diagnoses"].append((parts[0], parts[1].strip()))
        elif tag == "LX":
            line = {"procedure": "", "charge": None, "charge_text": "", "units": "1", "date": ""}
            claim["lines"].append(line)
        elif tag == "SV1":
            if line is None:
                line = {"procedure": "", "charge": None, "charge_text": "", "units": "1", "date": ""}
                claim["lines"].append(line)
            line["procedure"] = element_at(segment, 1)
            line["charge_text"] = element_at(segment, 2)
            line["charge"] = parse_amount(element_at(segment, 2))
            line["units"] = element_at(segment, 4) or "1"
        elif tag == "DTP" and element_at(segment, 1) == "472":
            date = parse_date(segment)
            if not claim["fdos"]:
                claim["fdos"] = date
            if line is not None and not line["date"]:
                line["date"] = date
        elif tag == "SE":
            finish()
    finish()
    return claims


def claim_edits(claim):
    """Claim.MD-style front-end edits: (message, fields) for each problem; empty when the claim passes."""
    problems = []
    if not claim["ins_number"]:
        problems.append(("Subscriber ID (insured's ID number) is missing", "ins_number"))
    total = parse_amount(claim["charge_text"])
    line_total = sum((line["charge"] or Decimal(0)) for line in claim["lines"])
    if not claim["lines"]:
        problems.append(("The claim has no service lines", "charge"))
    elif total is None or any(line["charge"] is None for line in claim["lines"]):
        problems.append(("A charge amount is not a number", "total_charge"))
    elif total != line_total:
        problems.append((
            "Total charge %s does not equal the sum of the service line charges %s" % (money(total), money(line_total)),
            "total_charge"))
    if not npi_is_valid(claim["bill_npi"]):
        problems.append(
            ("Billing provider NPI %s is invalid (check digit)" % (claim["bill_npi"] or "(missing)"), "bill_npi"))
    if claim["payerid"] not in PAYER_BY_ID:
        problems.append(("Payer ID %s is not a valid Claim.MD payer ID" % (claim["payerid"] or "(missing)"), "payerid"))
    if not claim["diagnoses"]:
        problems.append(("At least one diagnosis code is required", "diag_1"))
    return problems


# --- state ---------------------------------------------------------------------------------------------


class Account:
    """Everything Claim.MD keeps for one account."""

    def __init__(self, key):
        self.key = key
        self.claims = []  # dicts, see State.upload
        self.files = []
        self.entries = []  # /response/ entries: {"responseid", "claim", "status", "sender_name", …}
        self.eras = []
        self.enrollments = []  # {"enrollid", "payerid", "enroll_type", "prov_taxid", "prov_npi", "status"}
        self.pcn_counts = {}
        self.received_files = []


class Fault:
    def __init__(self, endpoint, mode, count, probability, delay_seconds):
        self.endpoint = endpoint
        self.mode = mode
        self.count = count
        self.probability = probability
        self.delay_seconds = delay_seconds


class State:
    """What the stand-in remembers, shared by the request threads (every method takes the lock)."""

    def __init__(self, keys, ack_seconds, process_seconds, rate_limit, seed):
        self.lock = threading.RLock()
        self.keys = list(keys)
        self.ack_seconds = ack_seconds
        self.process_seconds = process_seconds
        self.rate_limit = rate_limit
        self.random = random.Random(seed)
        self.counters = {"claimmd_id": 48213764, "fileid": 310000, "batchid": 52000, "responseid": 1000,
                         "mesgid": 700000, "eraid": 9100, "check": 100000, "icn": 762839104000}
        self.reset()

    def reset(self):
        with self.lock:
            self.accounts = {key: Account(key) for key in self.keys}
            self.pending = []  # timed steps: (due, sequence, account, claim, step)
            self.sequence = 0
            self.faults = []
            self.request_log = {}  # key → endpoint → [epoch seconds]
            self.windows = {}  # key → deque of admitted request times

    def next_id(self, name):
        self.counters[name] += 1
        return str(self.counters[name])

    # requests and the rate limit

    def admit(self, key, endpoint, moment):
        """Logs the request; returns the seconds to wait when it is over the rate limit, else None."""
        with self.lock:
            self.request_log.setdefault(key, {}).setdefault(endpoint, []).append(moment)
            if self.rate_limit <= 0:
                return None
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= moment - RATE_WINDOW_SECONDS:
                window.popleft()
            if len(window) >= self.rate_limit:
                return max(1, int(window[0] + RATE_WINDOW_SECONDS - moment + 0.999))
            window.append(moment)
            return None

    def take_fault(self, endpoint):
        with self.lock:
            for fault in self.faults:
                if fault.endpoint not in ("*", endpoint):
                    continue
                if fault.count is not None:
                    if fault.count <= 0:
                        continue
                    fault.count -= 1
                    return fault
                if self.random.random() < fault.probability:
                    return fault
            return None

    # the lifecycle

    def add_entry(self, account, claim, status, sender_name, senderid, messages, moment):
        """Appends one /response/ entry; `messages` are (status, message, fields)."""
        responseid = int(self.next_id("responseid"))
        entry = {
            "responseid": responseid,
            "claim": claim,
            "status": status,
            "sender_name": sender_name,
            "senderid": senderid,
            "sender_icn": claim["sender_icn"] if senderid != CLAIMMD_SENDER_ID else "",
            "response_time": now_text(moment),
            "messages": [
                {"responseid": str(responseid), "mesgid": self.next_id("mesgid"), "status": message_status,
                 "message": text, "fields": fields}
                for message_status, text, fields in messages
            ],
        }
        account.entries.append(entry)
        return entry

    def schedule(self, due, account, claim, step):
        self.sequence += 1
        self.pending.append((due, self.sequence, account, claim, step))

    def fire_due(self, moment, everything=False):
        """Runs the timed steps that are due (all of them with `everything`); returns how many ran."""
        with self.lock:
            due = sorted(step for step in self.pending if everything or step[0] <= moment)
            if not due:
                return 0
            self.pending = [step for step in self.pending if not (everything or step[0] <= moment)]
            for when, _, account, claim, step in due:
                self.run_step(account, claim, step, min(when, moment) if not everything else moment)
            return len(due)

    def run_step(self, account, claim, step, moment):
        payer_name = claim["payer_name_list"]
        if step == "ack":
            if claim["ins_number"].upper().startswith("REJ"):
                claim["stage"] = "payer_rejected"
                claim["status"] = "R"
                self.add_entry(account, claim, "R", payer_name, claim["payerid"],
                               [("R", "Subscriber not found", "ins_number")], moment)
            else:
                claim["stage"] = "received"
                self.add_entry(account, claim, "A", payer_name, claim["payerid"],
                               [("A", "Accepted by payer", "")], moment)
        elif step == "process" and claim["stage"] == "received":
            claim["stage"] = "in_process"
            self.add_entry(account, claim, "A", payer_name, claim["payerid"],
                           [("A", "Claim pended for adjudication - in process", "")], moment)

    # services

    def upload(self, account, filename, data, moment):
        """Processes one 837 file; returns the response Node."""
        with self.lock:
            try:
                segments, component = split_segments(data)
                sets = transactions(segments)
                parsed = [claim for transaction in sets for claim in claims_in(transaction, component)]
            except EnvelopeError as problem:
                account.received_files.append({"filename": filename, "accountKey": mask(account.key), "claims": 0,
                                               "at": moment, "error": str(problem)})
                return result_with_error(ERROR_ENVELOPE, str(problem))
            if not parsed or len(parsed) > MAX_CLAIMS_PER_FILE:
                message = ("The file holds no claims" if not parsed else
                           "The file holds %d claims; at most %d are accepted per file"
                           % (len(parsed), MAX_CLAIMS_PER_FILE))
                account.received_files.append({"filename": filename, "accountKey": mask(account.key), "claims": 0,
                                               "at": moment, "error": message})
                return result_with_error(ERROR_CLAIM_COUNT, message)

            fileid = self.next_id("fileid")
            batchid = self.next_id("batchid")
            total = Decimal(0)
            children = []
            for parsed_claim in parsed:
                account.pcn_counts[parsed_claim["pcn"]] = account.pcn_counts.get(parsed_claim["pcn"], 0) + 1
                total += parse_amount(parsed_claim["charge_text"]) or Decimal(0)
                problems = claim_edits(parsed_claim)
                claim = dict(parsed_claim)
                payer = PAYER_BY_ID.get(claim["payerid"])
                claim.update({
                    "account": account.key,
                    "claimmd_id": self.next_id("claimmd_id"),
                    "fileid": fileid,
                    "batchid": batchid,
                    "filename": filename,
                    "total_charge": money(parse_amount(claim["charge_text"]) or 0),
                    "status": "R" if problems else "A",
                    "stage": "rejected" if problems else "accepted",
                    "sender_icn": "" if problems else self.next_id("icn"),
                    "payer_name_list": payer[1] if payer else claim["payer_name"],
                    "uploaded_at": moment,
                })
                account.claims.append(claim)
                if problems:
                    messages = [("R", text, fields) for text, fields in problems]
                    entry = self.add_entry(account, claim, "R", CLAIMMD_SENDER_NAME, CLAIMMD_SENDER_ID, messages,
                                           moment)
                else:
                    entry = self.add_entry(account, claim, "A", CLAIMMD_SENDER_NAME, CLAIMMD_SENDER_ID,
                                           [("A", "Claim accepted for processing", "")], moment)
                    ack_due = moment + self.ack_seconds
                    self.schedule(ack_due, account, claim, "ack")
                    self.schedule(max(ack_due, moment + self.process_seconds), account, claim, "process")
                children.append(claim_node(claim, entry, with_response_fields=False))
            account.files.append({"fileid": fileid, "filename": filename, "upload_date": now_text(moment)[:10],
                                  "claim_count": str(len(parsed)), "total_charge": money(total)})
            account.received_files.append({"filename": filename, "accountKey": mask(account.key), "claims": len(parsed),
                                           "at": moment})
            return Node("result", {"messages": str(len(children))}, children)

    def responses(self, account, after, claim_filter):
        with self.lock:
            entries = [entry for entry in account.entries if entry["responseid"] > after
                       and (not claim_filter or entry["claim"]["claimmd_id"] == claim_filter)]
            entries.sort(key=lambda entry: entry["responseid"])
            entries = entries[:MAX_RESPONSE_RESULTS]
            last = entries[-1]["responseid"] if entries else after
            return Node("result", {"last_responseid": str(last)},
                        [claim_node(entry["claim"], entry, with_response_fields=True) for entry in entries])

    def upload_list(self, account, upload_date, page):
        with self.lock:
            files = [file for file in account.files if not upload_date or file["upload_date"] == upload_date]
            start = (page - 1) * UPLOADLIST_PAGE_SIZE
            return Node("result", children=[Node("file", file) for file in files[start:start + UPLOADLIST_PAGE_SIZE]])

    def pay(self, pcns, moment, adjudication=None):
        """Pays in-process claims (all, or those whose PCN is listed): one ERA per account, payer and NPI.
        `adjudication` (see the module docstring) shapes what the payer allows, leaves to the patient or denies."""
        with self.lock:
            paid, skipped = [], []
            wanted = set(pcns) if pcns is not None else None
            for account in self.accounts.values():
                groups = {}
                for claim in account.claims:
                    if wanted is not None and claim["pcn"] not in wanted:
                        continue
                    if claim["stage"] != "in_process":
                        if wanted is not None:
                            skipped.append({"pcn": claim["pcn"], "stage": claim["stage"]})
                        continue
                    groups.setdefault((claim["payerid"], claim["bill_npi"]), []).append(claim)
                for (payerid, npi), claims in groups.items():
                    for claim in claims:
                        claim["adjudication"] = adjudicate(claim, adjudication or {})
                    era = build_era(self.next_id("eraid"), self.next_id("check"), account, payerid, npi, claims, moment)
                    account.eras.append(era)
                    for claim in claims:
                        claim["stage"] = "denied" if (adjudication or {}).get("deny") else "paid"
                        claim["eraid"] = era["eraid"]
                        paid.append(claim["pcn"])
            return {"paid": paid, "skipped": skipped}


def claim_node(claim, entry, with_response_fields):
    """The `claim` element of an upload or /response/ answer, for one response entry."""
    attributes = {
        "claimmd_id": claim["claimmd_id"],
        "claimid": claim["claimmd_id"],  # [G] the doc cannot tell claimid from claimmd_id
        "remote_claimid": claim["remote_claimid"],
        "batchid": claim["batchid"],
        "fileid": claim["fileid"],
        "filename": claim["filename"],
        "pcn": claim["pcn"],
        "payerid": claim["payerid"],
        "ins_number": claim["ins_number"],
        "bill_npi": claim["bill_npi"],
        "bill_taxid": claim["bill_taxid"],
        "fdos": claim["fdos"],
        "total_charge": claim["total_charge"],
        "sender_name": entry["sender_name"],
        "senderid": entry["senderid"],
        "sender_icn": entry["sender_icn"],
        "status": entry["status"],
    }
    if with_response_fields:
        attributes["response_time"] = entry["response_time"]
    messages = []
    for message in entry["messages"]:
        fields = dict(message)
        if not with_response_fields:
            fields.pop("responseid")
        messages.append(Node("messages", fields))
    return Node("claim", attributes, messages)


# --- ERA (835) --------------------------------------------------------------------------------------------


def adjudicate(claim, options):
    """What the payer decides for one claim: per line (charge, paid, [(group, reason, amount)]) and totals."""
    lines = [line for line in claim["lines"] if line["charge"] is not None]
    deny = str(options.get("deny") or "")
    percent = Decimal(str(options.get("allowedPercent", 100)))
    responsibility = Decimal(str(options.get("patientResponsibility", "0")))
    pr_reason = str(options.get("prReason") or "3")
    decided = []
    for line in lines:
        charge = line["charge"]
        if deny:
            decided.append((line, Decimal("0.00"), [("CO", deny, charge)]))
            continue
        allowed = (charge * percent / 100).quantize(Decimal("0.01"))
        patient = min(responsibility, allowed)
        responsibility -= patient
        adjustments = []
        if charge - allowed > 0:
            adjustments.append(("CO", "45", charge - allowed))
        if patient > 0:
            adjustments.append(("PR", pr_reason, patient))
        decided.append((line, allowed - patient, adjustments))
    paid = sum((item[1] for item in decided), Decimal("0.00"))
    patient_total = sum((amount for item in decided for group, _, amount in item[2] if group == "PR"), Decimal("0.00"))
    return {"status": "4" if deny else "1", "paid": paid, "patient": patient_total, "lines": decided}


def build_era(eraid, check_number, account, payerid, npi, claims, moment):
    payer = PAYER_BY_ID.get(payerid)
    payer_name = payer[1] if payer else claims[0]["payer_name"]
    stamp = datetime.fromtimestamp(moment, timezone.utc)
    date = stamp.strftime("%Y%m%d")
    total = sum(claim["adjudication"]["paid"] for claim in claims)
    era = {
        "eraid": eraid,
        "check_number": "EFT" + check_number,
        "check_type": "ACH",
        "payment_method": "ACH",
        "paid_amount": money(total),
        "paid_date": stamp.strftime("%Y-%m-%d"),
        "check_date": stamp.strftime("%Y-%m-%d"),
        "payerid": payerid,
        "payer_name": payer_name,
        "prov_npi": npi,
        "prov_taxid": claims[0]["bill_taxid"],
        "prov_name": claims[0]["bill_name"],
        "received_time": now_text(moment),
        "download_time": "",
        "claims": claims,
    }
    era["data"] = render_835(era, date, stamp.strftime("%H%M"))
    return era


def x12_text(value, limit=None):
    """A value safe inside an X12 element written with * : ~ ^ delimiters."""
    cleaned = re.sub(r"[*:~^\r\n]", " ", value or "").strip()
    return cleaned[:limit] if limit else cleaned


# CLP06 codes of the 835 (005010X221A1); 837 SBR09 codes outside this set (CI, BL, …) become 12 (PPO).
ERA_FILING_CODES = {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF", "TV",
                    "VA", "WC", "ZZ"}


def era_filing_code(filing):
    return filing if filing in ERA_FILING_CODES else "12"


def render_835(era, date, hhmm):
    control = era["eraid"].rjust(9, "0")[-9:]
    segments = []
    body = []
    body.append(["BPR", "I", era["paid_amount"], "C", "ACH", "CCP", "01", "999999992", "DA", "123456789",
                 "1512345678", "", "01", "999988880", "DA", "98765", date])
    body.append(["TRN", "1", era["check_number"], "1512345678"])
    body.append(["DTM", "405", date])
    body.append(["N1", "PR", x12_text(era["payer_name"], 60)])
    body.append(["N3", "PO BOX 1000"])
    body.append(["N4", "CHICAGO", "IL", "606010000"])
    body.append(["PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"])
    body.append(["N1", "PE", x12_text(era["prov_name"], 60) or "PROVIDER", "XX", era["prov_npi"]])
    if era["prov_taxid"]:
        body.append(["REF", "TJ", re.sub(r"[^0-9A-Za-z]", "", era["prov_taxid"])])
    body.append(["LX", "1"])
    for claim in era["claims"]:
        decided = claim["adjudication"]
        body.append(["CLP", x12_text(claim["pcn"], 38), decided["status"], claim["total_charge"], money(decided["paid"]),
                     money(decided["patient"]) if decided["patient"] else "",
                     era_filing_code(claim["filing"]), claim["sender_icn"], x12_text(claim["place_of_service"]) or "11",
                     x12_text(claim["frequency"]) or "1"])
        body.append(["NM1", "QC", "1", x12_text(claim["pat_last"], 60) or "UNKNOWN", x12_text(claim["pat_first"], 35),
                     "", "", "", "MI", x12_text(claim["ins_number"], 80)])
        if claim["fdos"]:
            body.append(["DTM", "232", claim["fdos"]])
        for line, line_paid, adjustments in decided["lines"]:
            procedure = [x12_text(part) for part in re.split(r"[:>^|]", line["procedure"]) if part.strip()]
            if procedure and procedure[0] not in ("HC", "ER", "IV", "WK"):
                procedure.insert(0, "HC")
            body.append(["SVC", ":".join(procedure or ["HC", "99499"]), money(line["charge"]), money(line_paid), "",
                         line["units"]])
            if line["date"]:
                body.append(["DTM", "472", line["date"]])
            for group, reason, amount in adjustments:
                body.append(["CAS", group, reason, money(amount)])
    segments.append(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CLAIMMD".ljust(15), "ZZ",
                     x12_text(era["prov_npi"]).ljust(15)[:15], date[2:], hhmm, "^", "00501", control, "0", "P", ":"])
    segments.append(["GS", "HP", "CLAIMMD", x12_text(era["prov_npi"]) or "PROVIDER", date, hhmm, str(int(control)), "X",
                     "005010X221A1"])
    segments.append(["ST", "835", "0001"])
    segments.extend(body)
    segments.append(["SE", str(len(body) + 2), "0001"])
    segments.append(["GE", "1", str(int(control))])
    segments.append(["IEA", "1", control])
    return "~\n".join("*".join(segment) for segment in segments) + "~\n"


def era_list_node(era):
    names = ("eraid", "check_number", "check_type", "check_date", "paid_amount", "paid_date", "payerid", "payer_name",
             "prov_npi", "prov_taxid", "prov_name", "received_time", "download_time")
    return Node("era", {name: era[name] for name in names})


def era_data_node(era):
    header = {name: era[name] for name in ("eraid", "check_number", "paid_amount", "paid_date", "payment_method",
                                            "payerid", "payer_name", "prov_name", "prov_npi", "prov_taxid")}
    claims = []
    for claim in era["claims"]:
        decided = claim["adjudication"]
        charges = []
        for line, line_paid, adjustments in decided["lines"]:
            parts = re.split(r"[:>^|]", line["procedure"])
            if parts and parts[0] in ("HC", "ER", "IV", "WK"):
                parts = parts[1:]
            written_off = sum((amount for group, _, amount in adjustments if group != "PR"), Decimal("0.00"))
            charge = {"proc_code": parts[0] if parts else "", "units": line["units"], "from_dos": line["date"],
                      "thru_dos": line["date"], "charge": money(line["charge"]),
                      "allowed": money(line["charge"] - written_off), "paid": money(line_paid)}
            for index, modifier in enumerate(parts[1:5], start=1):
                charge["mod%d" % index] = modifier
            charges.append(Node("charge", charge))
        claims.append(Node("claim", {
            "pcn": claim["pcn"], "status_code": decided["status"], "total_charge": claim["total_charge"],
            "total_paid": money(decided["paid"]), "patient_responsibility": money(decided["patient"]), "payer_icn": claim["sender_icn"],
            "filing_code": claim["filing"], "frequency_code": claim["frequency"], "from_dos": claim["fdos"],
            "place_of_service": claim["place_of_service"], "ins_number": claim["ins_number"],
            "prov_npi": claim["bill_npi"], "pat_name_l": claim["pat_last"], "pat_name_f": claim["pat_first"],
        }, charges))
    return Node("result", header, claims)


# --- HTTP ------------------------------------------------------------------------------------------------


class DropConnection(Exception):
    """Close the connection without an answer."""


class Handler(BaseHTTPRequestHandler):
    server_version = "ClaimMDStandIn/1.0"
    # HTTP/1.1: keep-alive like the real service, and "Expect: 100-continue" (curl sends it for
    # bodies over 1 KiB) is answered at once instead of after the client's one-second wait.
    protocol_version = "HTTP/1.1"
    state = None  # set by main()
    single_object_quirk = False

    def log_message(self, format, *args):
        # Method, path and status only: never bodies or account keys.
        sys.stderr.write("claimmd-standin: %s\n" % (format % args))

    # plumbing

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_bytes(self, status, data, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_admin(self, status, payload):
        self.send_bytes(status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8")

    def wants_json(self):
        accept = (self.headers.get("Accept") or "").lower()
        json_at = accept.find("application/json")
        if json_at < 0:
            return False
        xml_at = accept.find("xml")
        return xml_at < 0 or json_at < xml_at

    def send_result(self, node, status=200, headers=None):
        if self.wants_json():
            data = json.dumps(node.to_json(self.single_object_quirk)).encode("utf-8")
            self.send_bytes(status, data, "application/json; charset=utf-8", headers)
        else:
            data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(node.to_xml(), encoding="utf-8",
                                                                              xml_declaration=False)
            self.send_bytes(status, data, "text/xml; charset=utf-8", headers)

    def parse_form(self, body):
        """Fields and files of a form-urlencoded or multipart body."""
        content_type, parameters = header_parameters(self.headers.get("Content-Type") or "")
        if content_type == "multipart/form-data":
            boundary = parameters.get("boundary")
            if not boundary:
                raise ValueError("multipart/form-data without a boundary")
            return parse_multipart(body, boundary)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in form.items()}, {}

    def drop(self):
        self.close_connection = True
        raise DropConnection()

    # routes

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except DropConnection:
            self.close_connection = True

    def do_GET(self):
        url = urlsplit(self.path)
        state = self.state
        state.fire_due(time.time())
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        if url.path == "/_admin/received":
            self.send_admin(200, admin_received(state, query.get("accountKey")))
        elif url.path == "/_admin/claims":
            self.send_admin(200, admin_claims(state, query.get("accountKey")))
        elif url.path == "/_admin/enrollments":
            with state.lock:
                self.send_admin(200, [dict(item, accountKey=mask(account.key)) for account in state.accounts.values()
                                      for item in account.enrollments])
        elif url.path == "/_admin/requests":
            self.send_admin(200, admin_requests(state, query.get("accountKey")))
        elif SERVICE_PATH.match(url.path):
            self.send_result(result_with_error(ERROR_METHOD, "Use POST"), status=405, headers={"Allow": "POST"})
        else:
            self.send_admin(404, {"error": "no such path %s" % url.path})

    def do_POST(self):
        url = urlsplit(self.path)
        body = self.read_body()
        if url.path.startswith("/_admin/"):
            self.admin_post(url.path, body)
            return
        match = SERVICE_PATH.match(url.path)
        if not match:
            self.send_result(result_with_error(ERROR_UNKNOWN_SERVICE, "No such service %s" % url.path), status=404)
            return
        self.service(match.group(1).lower(), body)

    def admin_post(self, path, body):
        state = self.state
        moment = time.time()
        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            self.send_admin(400, {"error": "the body is not JSON"})
            return
        if path == "/_admin/advance":
            state.fire_due(moment, everything=True)
            self.send_admin(200, {"advanced": True})
        elif path == "/_admin/pay":
            state.fire_due(moment)
            pcns = payload.get("pcns") if isinstance(payload, dict) else None
            options = {key: payload[key] for key in ("allowedPercent", "patientResponsibility", "prReason", "deny")
                       if isinstance(payload, dict) and key in payload}
            self.send_admin(200, state.pay(pcns, moment, options))
        elif path == "/_admin/faults":
            fault = parse_fault(payload)
            if isinstance(fault, str):
                self.send_admin(400, {"error": fault})
                return
            with state.lock:
                state.faults.append(fault)
                count = len(state.faults)
            self.send_admin(200, {"faults": count})
        elif path == "/_admin/faults/clear":
            with state.lock:
                state.faults.clear()
            self.send_admin(200, {"faults": 0})
        elif path == "/_admin/reset":
            state.reset()
            self.send_admin(200, {"reset": True})
        else:
            self.send_admin(404, {"error": "no such path %s" % path})

    def service(self, name, body):
        state = self.state
        moment = time.time()
        try:
            fields, files = self.parse_form(body)
        except ValueError as problem:
            fields, files = {}, {}
            parse_problem = str(problem)
        else:
            parse_problem = None
        key = fields.get("AccountKey", "")
        endpoint = name if name in SERVICES else "unknown"
        retry_after = state.admit(key, endpoint, moment)
        if retry_after is not None:
            self.send_result(
                result_with_error(ERROR_RATE_LIMIT,
                                  "Rate limit exceeded: more than %d requests in 60 seconds" % state.rate_limit),
                status=429, headers={"Retry-After": str(retry_after)})
            return
        fault = state.take_fault(endpoint)
        if fault is not None and fault.mode == "503":
            self.send_bytes(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>\n", "text/html",
                            {"Retry-After": "1"})
            return
        if fault is not None and fault.mode == "timeout":
            time.sleep(fault.delay_seconds)
            self.drop()
        state.fire_due(moment)

        node = self.answer(name, key, fields, files, parse_problem, moment)

        if fault is not None and fault.mode == "drop":
            self.drop()
        if fault is not None and fault.mode == "slow":
            time.sleep(fault.delay_seconds)
        self.send_result(node)

    def answer(self, name, key, fields, files, parse_problem, moment):
        state = self.state
        if name not in SERVICES:
            return result_with_error(ERROR_UNKNOWN_SERVICE, "No such service: %s" % name)
        if parse_problem is not None:
            return result_with_error(ERROR_PARAMETER, "The request body could not be read: %s" % parse_problem)
        account = state.accounts.get(key)
        if account is None:
            return result_with_error(ERROR_ACCOUNT_KEY, "Invalid AccountKey" if key else "AccountKey is required")
        if name == "upload":
            upload = files.get("File")
            if upload is None:
                return result_with_error(ERROR_FILE, "File is required")
            filename = fields.get("Filename") or upload.filename or "upload.837"
            return state.upload(account, filename, upload.data, moment)
        if name == "response":
            raw = fields.get("ResponseID", "").strip()
            if not raw.isdigit():
                return result_with_error(ERROR_PARAMETER, "ResponseID is required (0 for the first request)")
            return state.responses(account, int(raw), fields.get("ClaimID", "").strip())
        if name == "uploadlist":
            upload_date = fields.get("UploadDate", "").strip()
            if upload_date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", upload_date):
                return result_with_error(ERROR_PARAMETER, "UploadDate must be yyyy-mm-dd")
            page = fields.get("Page", "").strip()
            return state.upload_list(account, upload_date, int(page) if page.isdigit() and int(page) > 0 else 1)
        if name == "payerlist":
            return payer_list(fields.get("payerid", "").strip(), fields.get("payer_name", "").strip())
        if name == "enroll":
            return enroll(state, account, fields, self.headers.get("Host", "127.0.0.1"))
        if name == "eralist":
            return era_list(state, account, fields)
        eraid = (fields.get("eraid") or "").strip()
        if not eraid:
            return result_with_error(ERROR_PARAMETER, "eraid is required")
        with state.lock:
            era = next((era for era in account.eras if era["eraid"] == eraid), None)
            if era is None:
                return result_with_error(ERROR_ERA, "ERA %s not found" % eraid)
            if not era["download_time"]:
                era["download_time"] = now_text(moment)
            if name == "era835":
                return Node("result", {"eraid": eraid}, [Node("data", text=era["data"])])
            return era_data_node(era)


def parse_fault(payload):
    """A Fault from the admin JSON, or a message saying what is wrong with it."""
    if not isinstance(payload, dict):
        return "the fault must be a JSON object"
    endpoint = str(payload.get("endpoint", "*"))
    if endpoint != "*" and endpoint not in SERVICES:
        return "endpoint must be * or one of %s" % ", ".join(SERVICES)
    mode = str(payload.get("mode", ""))
    if mode not in ("503", "timeout", "drop", "slow"):
        return "mode must be 503, timeout, drop or slow"
    count = payload.get("count")
    probability = payload.get("probability")
    if count is None and probability is None:
        count = 1
    try:
        count = int(count) if count is not None else None
        probability = float(probability) if probability is not None else None
        delay = float(payload.get("delaySeconds", 5 if mode in ("timeout", "slow") else 0))
    except (TypeError, ValueError):
        return "count, probability and delaySeconds must be numbers"
    return Fault(endpoint, mode, count, probability, delay)


ENROLL_TYPES = ("era", "1500", "ub", "elig", "attach")


def enroll(state, account, fields, host):
    payerid = (fields.get("payerid") or "").strip()
    enroll_type = (fields.get("enroll_type") or "").strip()
    taxid = re.sub(r"[^0-9]", "", fields.get("prov_taxid") or "")
    npi = (fields.get("prov_npi") or "").strip()
    if not payerid or payerid.upper() not in {payer[0].upper() for payer in PAYERS}:
        return result_with_error(ERROR_PARAMETER, "payerid is required and must be a known payer")
    if enroll_type not in ENROLL_TYPES:
        return result_with_error(ERROR_PARAMETER, "enroll_type must be one of %s" % ", ".join(ENROLL_TYPES))
    if len(taxid) != 9:
        return result_with_error(ERROR_PARAMETER, "prov_taxid is required (9 digits)")
    if npi and not npi_is_valid(npi):
        return result_with_error(ERROR_PARAMETER, "prov_npi is not a valid NPI")
    with state.lock:
        found = next((item for item in account.enrollments
                      if (item["payerid"], item["enroll_type"], item["prov_taxid"], item["prov_npi"])
                      == (payerid, enroll_type, taxid, npi)), None)
        if found is None:
            found = {"enrollid": str(state.next_id("mesgid")), "payerid": payerid, "enroll_type": enroll_type,
                     "prov_taxid": taxid, "prov_npi": npi, "status": "new"}
            account.enrollments.append(found)
        link = "http://%s/enrollment-form/%s" % (host, found["enrollid"])
        return Node("result", {"success": "1", "link": link, "enrollid": found["enrollid"], "status": found["status"]})


def payer_list(payerid, name):
    children = []
    for payer in PAYERS:
        if payerid and payer[0].upper() != payerid.upper():
            continue
        if name and name.lower() not in payer[1].lower():
            continue
        children.append(Node("payer", {
            "payerid": payer[0], "payer_name": payer[1], "payer_type": payer[2], "payer_state": payer[3],
            "1500_claims": payer[4], "era": payer[5], "eligibility": payer[6], "avg_era_enroll_days": payer[7],
        }))
    return Node("result", children=children)


def era_list(state, account, fields):
    raw = (fields.get("ERAID") or "0").strip()
    after = int(raw) if raw.isdigit() else 0
    new_only = (fields.get("NewOnly") or "1").strip() != "0"
    payerid = (fields.get("PayerID") or "").strip()
    check_number = (fields.get("CheckNumber") or "").strip()
    check_date = (fields.get("CheckDate") or "").strip()
    with state.lock:
        eras = []
        for era in account.eras:
            if int(era["eraid"]) <= after or (new_only and era["download_time"]):
                continue
            if payerid and era["payerid"] != payerid:
                continue
            if check_number and era["check_number"] != check_number:
                continue
            if check_date and datetime.strptime(era["check_date"], "%Y-%m-%d").strftime("%m-%d-%Y") != check_date:
                continue
            eras.append(era)
        last = max([int(era["eraid"]) for era in eras] + [after])
        return Node("result", {"last_eraid": str(last)}, [era_list_node(era) for era in eras])


def admin_received(state, key):
    with state.lock:
        pcns = {}
        files = []
        for account in state.accounts.values():
            if key and account.key != key:
                continue
            for pcn, count in account.pcn_counts.items():
                pcns[pcn] = pcns.get(pcn, 0) + count
            files.extend(account.received_files)
        files.sort(key=lambda file: file["at"])
        return {"pcns": pcns, "files": files}


def admin_claims(state, key):
    with state.lock:
        names = ("claimmd_id", "pcn", "status", "stage", "payerid", "ins_number", "bill_npi", "total_charge",
                 "remote_claimid", "fileid", "filename", "sender_icn", "frequency", "original_ref")
        claims = []
        for account in state.accounts.values():
            if key and account.key != key:
                continue
            for claim in account.claims:
                item = {name: claim[name] for name in names}
                item["accountKey"] = mask(account.key)
                item["eraid"] = claim.get("eraid", "")
                claims.append(item)
        return claims


def admin_requests(state, key):
    with state.lock:
        if key is not None:
            return {endpoint: list(times) for endpoint, times in state.request_log.get(key, {}).items()}
        return {mask(name): {endpoint: list(times) for endpoint, times in endpoints.items()}
                for name, endpoints in state.request_log.items()}


def main():
    parser = argparse.ArgumentParser(description="Claim.MD API stand-in for tests.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: pick one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--account-key", action="append", default=[], required=True,
                        help="a served AccountKey (repeatable)")
    parser.add_argument("--ack-seconds", type=float, default=5.0, help="upload → payer acknowledgement")
    parser.add_argument("--process-seconds", type=float, default=10.0, help="upload → in process")
    parser.add_argument("--rate-limit", type=int, default=100, help="requests per 60 s per AccountKey (0: off)")
    parser.add_argument("--single-object-quirk", action="store_true", help="one-element JSON lists as objects")
    parser.add_argument("--seed", type=int, default=None, help="seed for probabilistic faults")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes")
    arguments = parser.parse_args()

    Handler.state = State(arguments.account_key, arguments.ack_seconds, arguments.process_seconds,
                          arguments.rate_limit, arguments.seed)
    Handler.single_object_quirk = arguments.single_object_quirk
    server = ThreadingHTTPServer((arguments.host, arguments.port), Handler)
    server.daemon_threads = True

    def stop(*_):
        # shutdown() waits for serve_forever to return, so it cannot run on the serving thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if arguments.exit_on_stdin_eof:

        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            stop()

        threading.Thread(target=watch_stdin, daemon=True).start()

    sys.stdout.write("READY %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
