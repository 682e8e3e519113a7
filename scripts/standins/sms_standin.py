#!/usr/bin/env python3
"""A stand-in for Twilio's Programmable Messaging REST API (2010-04-01), for tests.

It speaks Twilio's documented wire format for the two calls the SMS plugin makes:

  POST /2010-04-01/Accounts/{AccountSid}/Messages.json   form-encoded To, From | MessagingServiceSid, Body
       201 with a Message resource (sid "SM" + 32 hex, status "queued", or "accepted" through a
       Messaging Service), or a Twilio error object {"code", "message", "more_info", "status"}:
       401/20003 wrong credentials, 400/21604 To missing, 400/21211 To not E.164, 400/21603 From
       missing, 400/21212 From invalid, 400/21266 To equals From, 400/21602 Body missing,
       400/21617 Body over 1600 characters, 400/21610 recipient unsubscribed (--unsubscribed).
  GET  /2010-04-01/Accounts/{AccountSid}.json            200 Account resource, 401/20003, 404/20404

One deliberate difference: Twilio answers 401 for an Account SID it does not know, because it
cannot tell an unknown account from a wrong token. The stand-in knows which account it serves,
so it answers 404/20404 ("The requested resource ... was not found") for any other Account SID,
letting tests tell the two settings apart; a client must handle both answers anyway.

Admin endpoints for tests (not part of Twilio):

  GET  /_admin/messages                 every accepted message, in order:
                                        [{"to", "from", "messaging_service_sid", "body", "sid", "received_at"}]
  POST /_admin/fail?status=503&count=N  the next N message requests answer that status with a
                                        Twilio-style error (429 → 20429, 500 → 20500, 503 → 20503)
  POST /_admin/reset                    forgets messages and pending failures

Usage: sms_standin.py --port 0 --account-sid AC… --auth-token T [--unsubscribed +1555…]…
       [--exit-on-stdin-eof]
Prints "READY <port>" on stdout once listening (nothing else goes to stdout; the request log goes
to stderr). Exits on SIGTERM or SIGINT, and with --exit-on-stdin-eof when its stdin closes (so a
test process that dies never leaves it running).
"""

import argparse
import base64
import binascii
import json
import re
import secrets
import signal
import sys
import threading
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)\.json$")
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
BODY_LIMIT = 1600

# The GSM 03.38 basic character set: a body made only of these is sent in 7-bit segments.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")

STATUS_ERROR_CODES = {429: 20429, 500: 20500, 502: 20502, 503: 20503, 504: 20504}
STATUS_ERROR_MESSAGES = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def rfc2822_now():
    """The current time as Twilio writes it: `Tue, 26 Jul 2016 12:50:07 +0000`."""
    return format_datetime(datetime.now(timezone.utc).replace(microsecond=0)).replace("-0000", "+0000")


def segments(body):
    """How many SMS segments `body` takes (GSM-7: 160, or 153 when split; UCS-2: 70, or 67)."""
    if all(character in GSM_BASIC or character in GSM_EXTENDED for character in body):
        units = sum(2 if character in GSM_EXTENDED else 1 for character in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units <= single:
        return 1
    return (units + part - 1) // part


class State:
    """What the stand-in remembers, shared by the request threads."""

    def __init__(self, account_sid, auth_token, unsubscribed):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.unsubscribed = set(unsubscribed)
        self.lock = threading.Lock()
        self.messages = []
        self.failures = []  # statuses for the next message requests

    def take_failure(self):
        with self.lock:
            return self.failures.pop(0) if self.failures else None


class Handler(BaseHTTPRequestHandler):
    server_version = "TwilioStandIn/1.0"
    state = None  # set by main()

    # --- plumbing -------------------------------------------------------------------------------

    def log_message(self, format, *args):
        # Method, path and status only: never bodies or credentials.
        sys.stderr.write("sms-standin: %s\n" % (format % args))

    def send_json(self, status, payload, headers=None):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_twilio_error(self, status, code, message, headers=None):
        self.send_json(
            status,
            {
                "code": code,
                "message": message,
                "more_info": "https://www.twilio.com/docs/errors/%d" % code,
                "status": status,
            },
            headers,
        )

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def authenticated(self):
        """Whether the request carries Basic credentials for the served account."""
        header = self.headers.get("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        state = self.state
        return secrets.compare_digest(username, state.account_sid) and secrets.compare_digest(
            password, state.auth_token
        )

    def refuse_credentials(self):
        self.send_twilio_error(
            401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        )

    def not_found(self, path):
        self.send_twilio_error(404, 20404, "The requested resource %s was not found" % path)

    # --- routes ---------------------------------------------------------------------------------

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/_admin/messages":
            with self.state.lock:
                self.send_json(200, list(self.state.messages))
            return
        match = ACCOUNT_PATH.match(url.path)
        if match:
            self.fetch_account(match.group(1), url.path)
            return
        self.not_found(url.path)

    def do_POST(self):
        url = urlsplit(self.path)
        body = self.read_body()
        if url.path == "/_admin/fail":
            query = parse_qs(url.query)
            try:
                status = int(query.get("status", ["503"])[0])
                count = int(query.get("count", ["1"])[0])
            except ValueError:
                self.send_json(400, {"error": "status and count must be integers"})
                return
            with self.state.lock:
                self.state.failures.extend([status] * max(count, 0))
                pending = len(self.state.failures)
            self.send_json(200, {"pending": pending})
            return
        if url.path == "/_admin/reset":
            with self.state.lock:
                self.state.messages.clear()
                self.state.failures.clear()
            self.send_json(200, {"reset": True})
            return
        match = MESSAGES_PATH.match(url.path)
        if match:
            self.create_message(match.group(1), url.path, body)
            return
        self.not_found(url.path)

    def fetch_account(self, account_sid, path):
        state = self.state
        if account_sid != state.account_sid:
            self.not_found(path)
            return
        if not self.authenticated():
            self.refuse_credentials()
            return
        now = rfc2822_now()
        base = "/2010-04-01/Accounts/%s" % account_sid
        self.send_json(
            200,
            {
                "sid": account_sid,
                "owner_account_sid": account_sid,
                "friendly_name": "Ledgerline stand-in account",
                "status": "active",
                "type": "Full",
                "date_created": now,
                "date_updated": now,
                "uri": base + ".json",
                "subresource_uris": {"messages": base + "/Messages.json"},
            },
        )

    def create_message(self, account_sid, path, raw_body):
        state = self.state
        failure = state.take_failure()
        if failure is not None:
            code = STATUS_ERROR_CODES.get(failure, 20000 + failure if 400 <= failure < 600 else 20500)
            message = STATUS_ERROR_MESSAGES.get(failure, "Injected failure")
            headers = {"Retry-After": "1"} if failure == 429 else None
            self.send_twilio_error(failure, code, message, headers)
            return
        if account_sid != state.account_sid:
            self.not_found(path)
            return
        if not self.authenticated():
            self.refuse_credentials()
            return
        try:
            form = parse_qs(raw_body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            self.send_twilio_error(400, 20001, "The request body is not valid UTF-8")
            return
        fields = {name: values[-1] for name, values in form.items()}
        to = fields.get("To", "")
        sender = fields.get("From", "")
        service = fields.get("MessagingServiceSid", "")
        body = fields.get("Body", "")

        if not to:
            self.send_twilio_error(400, 21604, "A 'To' phone number is required.")
            return
        if not E164.match(to):
            self.send_twilio_error(400, 21211, "The 'To' number %s is not a valid phone number." % to)
            return
        if not sender and not service:
            self.send_twilio_error(400, 21603, "A 'From' phone number is required.")
            return
        if sender and not E164.match(sender):
            self.send_twilio_error(
                400,
                21212,
                "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID." % sender,
            )
            return
        if service and not MESSAGING_SERVICE_SID.match(service):
            self.send_twilio_error(400, 21701, "The Messaging Service Sid %s is invalid." % service)
            return
        if sender and sender == to:
            self.send_twilio_error(400, 21266, "'To' and 'From' number cannot be the same: %s" % to)
            return
        if not body:
            self.send_twilio_error(400, 21602, "Message body is required.")
            return
        if len(body) > BODY_LIMIT:
            self.send_twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
            return
        if to in state.unsubscribed:
            self.send_twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
            return

        sid = "SM" + secrets.token_hex(16)
        now = rfc2822_now()
        uri = "/2010-04-01/Accounts/%s/Messages/%s.json" % (account_sid, sid)
        resource = {
            "sid": sid,
            "account_sid": account_sid,
            "messaging_service_sid": service or None,
            "to": to,
            "from": sender or None,
            "body": body,
            "status": "accepted" if service else "queued",
            "direction": "outbound-api",
            "num_segments": str(segments(body)),
            "num_media": "0",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "api_version": API_VERSION,
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }
        with state.lock:
            state.messages.append(
                {
                    "to": to,
                    "from": sender or None,
                    "messaging_service_sid": service or None,
                    "body": body,
                    "sid": sid,
                    "received_at": datetime.now(timezone.utc).isoformat(),
                }
            )
        self.send_json(201, resource)


def main():
    parser = argparse.ArgumentParser(description="Twilio Messages API stand-in for tests.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: pick one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--unsubscribed", action="append", default=[], help="an opted-out number (repeatable)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes")
    arguments = parser.parse_args()

    Handler.state = State(arguments.account_sid, arguments.auth_token, arguments.unsubscribed)
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
