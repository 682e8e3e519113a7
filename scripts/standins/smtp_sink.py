#!/usr/bin/env python3
"""A real SMTP server for tests: accepts mail with aiosmtpd and writes each message to a folder.

    smtp_sink.py --port 0 --dir DIR [--tls-cert CERT --tls-key KEY [--require-starttls]]
                 [--auth USER:PASSWORD] [--refuse-recipient ADDRESS ...]

Each accepted message becomes DIR/<n>.eml (the bytes received after DATA) and DIR/<n>.json
({"mail_from", "rcpt_tos", "peer", "auth_user", "helo"}), both written to a temporary name and renamed,
so a reader never sees half a file. Listed recipients are refused with 550 at RCPT. With --auth,
AUTH PLAIN and LOGIN are offered (only after STARTTLS when TLS is configured) and required.
Prints "READY <port>" once listening (port 0 picks a free port) and exits on SIGTERM or SIGINT,
or when the process that started it goes away.
"""

import argparse
import itertools
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SinkHandler:
    """Stores every message; refuses the configured recipients."""

    def __init__(self, directory, refused):
        self.directory = directory
        self.refused = {address.lower() for address in refused}
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = next(self.counter)
        auth_user = None
        if isinstance(session.auth_data, LoginPassword):
            auth_user = session.auth_data.login.decode("utf-8", "replace")
        metadata = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": list(session.peer) if isinstance(session.peer, tuple) else session.peer,
            "auth_user": auth_user,
            "helo": session.host_name,
        }
        content = envelope.original_content or b""
        self._write_atomically(f"{number}.eml", content)
        self._write_atomically(f"{number}.json", json.dumps(metadata).encode("utf-8"))
        return f"250 2.0.0 OK queued as {number}"

    def _write_atomically(self, name, data):
        temporary = os.path.join(self.directory, f".{name}.tmp")
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.rename(temporary, os.path.join(self.directory, name))


class PasswordAuthenticator:
    """Accepts exactly one user name and password."""

    def __init__(self, user, password):
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if auth_data.login == self.user and auth_data.password == self.password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class SinkController(Controller):
    """aiosmtpd's threaded Controller, but bound to the port the OS picks when asked for port 0."""

    def _create_server(self):
        async def create():
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--auth", help="USER:PASSWORD that AUTH must present")
    parser.add_argument("--refuse-recipient", action="append", default=[])
    arguments = parser.parse_args()

    os.makedirs(arguments.dir, exist_ok=True)
    options = {"server_hostname": "sink.ledgerline.test", "ident": "Ledgerline SMTP sink"}
    if arguments.tls_cert and arguments.tls_key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.tls_cert, arguments.tls_key)
        options["tls_context"] = context
        options["require_starttls"] = arguments.require_starttls
    if arguments.auth:
        user, _, password = arguments.auth.partition(":")
        options["authenticator"] = PasswordAuthenticator(user, password)
        options["auth_required"] = True
        options["auth_require_tls"] = "tls_context" in options

    controller = SinkController(
        SinkHandler(arguments.dir, arguments.refuse_recipient),
        hostname="127.0.0.1",
        port=arguments.port,
        **options,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    parent = os.getppid()
    controller.start()
    print(f"READY {controller.port}", flush=True)
    try:
        # A bounded wait keeps the main thread responsive to signals, and lets the sink notice
        # that the test process that started it died without stopping it.
        while not stopped.wait(0.5):
            if os.getppid() != parent:
                break
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
