#!/usr/bin/env python3
"""A process harness for operational suites (multi-instance faults, load, fuzz): a throwaway
PostgreSQL cluster, the stand-ins of scripts/standins/, `ledgerline serve` instances, JSON-RPC
helpers and a claim-ready practice seeder. Python 3.11 standard library only.

Every process it starts runs in its own process group and is registered; all of them are
stopped at interpreter exit, on an exception that ends the program, and on SIGINT/SIGTERM
(`install_signal_handlers()` is called on import), so a crashed run leaves nothing behind. The
stand-ins also get `--exit-on-stdin-eof` (or watch their parent), so even a SIGKILLed harness
leaves at most the PostgreSQL cluster, which `Postgres.stop` (or scripts/test-postgres.sh stop
DIR) removes.

    pg = Postgres("/tmp/x/db"); pg.start(); pg.setup_roles_and_migrate(bin_dir)
    standins = StandIns("/tmp/x/standins", "acct-key"); standins.start()
    plugins = standins.plugins_json(bin_dir)
    node = Instance(bin_dir, "/tmp/x", "a", pg.app_url, plugins, operator_key, new_secret_key())
    node.start(); node.wait_ready()
    practice = seed_practice(node.url, operator_key, "Riverbend", clients=10, standins=standins)
"""

import atexit
import base64
import datetime
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STANDINS_DIR = os.path.join(ROOT, "scripts", "standins")
TEST_POSTGRES = os.path.join(ROOT, "scripts", "test-postgres.sh")
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
PLUGIN_EXT = "dylib" if sys.platform == "darwin" else "so"

BATCH = 100  # the server's default LEDGERLINE_MAX_BATCH


class HarnessError(Exception):
    """Something the harness could not set up."""


class TransportError(Exception):
    """A POST /rpc whose answer never arrived (connection refused or reset, timeout, non-200).
    The call may or may not have been applied by the server."""


def log(message):
    print(message, flush=True)


# --- process registry and cleanup ------------------------------------------------------------------

_registry_lock = threading.Lock()
_processes = {}  # pid → (Popen, label)
_cleanups = []  # callables run at exit, newest first (e.g. Postgres.stop)
_cleaned = False


def _register(process, label):
    with _registry_lock:
        _processes[process.pid] = (process, label)


def _unregister(process):
    with _registry_lock:
        _processes.pop(process.pid, None)


def register_cleanup(function):
    with _registry_lock:
        _cleanups.append(function)


def _killpg(process, sig):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            process.send_signal(sig)
        except (ProcessLookupError, OSError):
            pass


def stop_process(process, timeout=30, sig=signal.SIGTERM):
    """Signals the process group, waits up to `timeout`, then SIGKILLs it."""
    if process.poll() is None:
        _killpg(process, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _killpg(process, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    else:
        _killpg(process, signal.SIGKILL)  # stray children in its group
    _unregister(process)


def cleanup_all():
    """Stops every registered process (SIGTERM, then SIGKILL) and runs the registered cleanups."""
    global _cleaned
    with _registry_lock:
        if _cleaned:
            return
        _cleaned = True
        processes = list(_processes.values())
        cleanups = list(reversed(_cleanups))
    for process, _ in processes:
        if process.poll() is None:
            _killpg(process, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process, _ in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _killpg(process, signal.SIGKILL)
    for function in cleanups:
        try:
            function()
        except Exception as error:  # cleanup must go on
            print(f"harness: cleanup {function}: {error}", file=sys.stderr, flush=True)


def _on_signal(signum, frame):
    # SystemExit unwinds the main thread (finally blocks run), then atexit stops everything.
    signal.signal(signum, signal.SIG_DFL)
    raise SystemExit(128 + signum)


def install_signal_handlers():
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            try:
                signal.signal(sig, _on_signal)
            except (ValueError, OSError):
                pass


atexit.register(cleanup_all)
install_signal_handlers()


def spawn(arguments, label, log_path, env=None, stdin_pipe=False, cwd=None):
    """Starts a process in its own session (so killpg reaches its children), output to log_path."""
    if _cleaned:
        raise HarnessError(f"not starting {label}: the harness is shutting down")
    out = open(log_path, "ab")
    try:
        process = subprocess.Popen(arguments, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                   env=env, cwd=cwd, start_new_session=True)
    finally:
        out.close()
    _register(process, label)
    return process


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_secret_key(key_id="ops1"):
    """A LEDGERLINE_SECRET_KEY: `keyid:base64(32 random bytes)`."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def wait_for(predicate, timeout, interval=0.2, what="a condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _read_ready(stdout_path, process, label, timeout=30):
    def ready():
        if process.poll() is not None:
            raise HarnessError(f"{label} exited with {process.returncode} before READY (see {stdout_path})")
        try:
            with open(stdout_path) as file:
                for line in file:
                    if line.startswith("READY "):
                        return int(line.split()[1])
        except FileNotFoundError:
            pass
        return None
    return wait_for(ready, timeout, 0.05, f"{label} to say READY")


# --- PostgreSQL ------------------------------------------------------------------------------------


class Postgres:
    """A throwaway cluster through scripts/test-postgres.sh (as the user `ledgerline` when root).
    `dir` must be short: the Unix socket lives in it (~107 bytes at most)."""

    OWNER_PASSWORD = "ops-owner-pw"
    APP_PASSWORD = "ops-app-pw"

    def __init__(self, dir):
        self.dir = os.path.abspath(dir)
        self.admin_url = None
        self.owner_url = None
        self.app_url = None
        self._started = False

    def start(self):
        subprocess.run([TEST_POSTGRES, "stop", self.dir], check=False, capture_output=True)
        os.makedirs(os.path.dirname(self.dir), exist_ok=True)
        result = subprocess.run([TEST_POSTGRES, "start", self.dir], capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"test-postgres.sh start failed: {result.stdout}{result.stderr}")
        self.admin_url = result.stdout.strip().splitlines()[-1]
        self._started = True
        register_cleanup(self.stop)

    def _url(self, user, password, database):
        return f"postgres://{user}:{password}@/{database}?host={urllib.parse.quote(self.dir, safe='/')}"

    def setup_roles_and_migrate(self, bin_dir):
        """The roles and database of infra/sql/roles.sql, then `ledgerline migrate` as the owner."""
        self.psql_admin(f"""
            create role ledgerline_owner login password '{self.OWNER_PASSWORD}' nosuperuser bypassrls nocreatedb nocreaterole;
            create role ledgerline_app login password '{self.APP_PASSWORD}' nosuperuser nobypassrls nocreatedb nocreaterole;
            create database ledgerline owner ledgerline_owner;
            revoke all on database ledgerline from public;
            grant connect on database ledgerline to ledgerline_app;
            """, database="postgres")
        self.owner_url = self._url("ledgerline_owner", self.OWNER_PASSWORD, "ledgerline")
        self.app_url = self._url("ledgerline_app", self.APP_PASSWORD, "ledgerline")
        result = subprocess.run([os.path.join(bin_dir, "ledgerline"), "migrate", "--owner-url", self.owner_url],
                                capture_output=True, text=True, env=_clean_env())
        if result.returncode != 0:
            raise HarnessError(f"ledgerline migrate failed ({result.returncode}): {result.stdout[-3000:]}{result.stderr[-3000:]}")

    def _pg_ctl(self, *arguments):
        pg_bin = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin")
                                    for v in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else []))
                        if os.path.isdir(d))
        pg_ctl = os.path.join(pg_bin[-1], "pg_ctl") if pg_bin else "pg_ctl"
        command = [pg_ctl, *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", "ledgerline", "--", *command]
        return subprocess.run(command, capture_output=True, text=True)

    def restart(self, mode="fast"):
        """pg_ctl restart -m MODE (the options of the last start are kept); seconds it took."""
        started = time.monotonic()
        result = self._pg_ctl("restart", "-D", os.path.join(self.dir, "pg"), "-m", mode, "-w", "-t", "120",
                              "-l", os.path.join(self.dir, "pg.log"))
        if result.returncode != 0:
            raise HarnessError(f"pg_ctl restart failed: {result.stdout}{result.stderr}")
        return time.monotonic() - started

    def stop(self):
        if self._started:
            subprocess.run([TEST_POSTGRES, "stop", self.dir], check=False, capture_output=True)
            self._started = False

    def psql_admin(self, sql, database="postgres"):
        url = self.admin_url.replace("/postgres?", f"/{database}?", 1)
        # Through stdin, not -c: each statement its own transaction (create database needs that).
        result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-X", "-q", "-At", "-F", "\x1f"],
                                input=sql, capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(f"psql failed: {result.stderr.strip()[:2000]}\nSQL: {sql[:500]}")
        return result.stdout

    def psql(self, sql, as_owner=True):
        """Rows (tuples of strings; NULL → '') of `sql` run as the superuser — in the `ledgerline`
        database when as_owner (sees every practice: superusers bypass RLS), else in `postgres`."""
        text = self.psql_admin(sql, database="ledgerline" if as_owner else "postgres")
        return [tuple(line.split("\x1f")) for line in text.splitlines() if line != ""]

    def psql_json(self, sql):
        """`sql` must return one row, one json column (e.g. `select coalesce(json_agg(t), '[]') from (…) t`)."""
        text = self.psql_admin(sql, database="ledgerline").strip()
        return json.loads(text) if text else None


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERLINE_") and k != "DATABASE_URL"}
    env.update(extra or {})
    return env


# --- stand-ins -------------------------------------------------------------------------------------


class StandIns:
    """The Claim.MD stand-in, the SMTP sink (aiosmtpd from .venv) and the Twilio stand-in.
    `claimmd_account_key` is one AccountKey or a list of them (one account per practice)."""

    SMS_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
    SMS_AUTH_TOKEN = "ops-stand-in-auth-token"

    def __init__(self, dir, claimmd_account_key, claimmd_args=()):
        self.dir = os.path.abspath(dir)
        keys = [claimmd_account_key] if isinstance(claimmd_account_key, str) else list(claimmd_account_key)
        self.claimmd_account_keys = keys
        self.claimmd_account_key = keys[0]
        self.claimmd_args = list(claimmd_args)
        self.claimmd_port = self.smtp_port = self.sms_port = None
        self.mail_dir = os.path.join(self.dir, "mail")
        self._processes = []

    def start(self):
        os.makedirs(self.mail_dir, exist_ok=True)
        claimmd = [sys.executable, os.path.join(STANDINS_DIR, "claimmd_standin.py"), "--port", "0",
                   "--exit-on-stdin-eof"]
        for key in self.claimmd_account_keys:
            claimmd += ["--account-key", key]
        self.claimmd_port = self._start("claimmd", claimmd + self.claimmd_args, stdin_pipe=True)
        if not os.access(VENV_PYTHON, os.X_OK):
            raise HarnessError(f"{VENV_PYTHON} is missing: run scripts/deps.sh (aiosmtpd for the SMTP sink)")
        self.smtp_port = self._start("smtp", [VENV_PYTHON, os.path.join(STANDINS_DIR, "smtp_sink.py"), "--port", "0",
                                              "--dir", self.mail_dir])
        self.sms_port = self._start("sms", [sys.executable, os.path.join(STANDINS_DIR, "sms_standin.py"), "--port", "0",
                                            "--account-sid", self.SMS_ACCOUNT_SID, "--auth-token", self.SMS_AUTH_TOKEN,
                                            "--exit-on-stdin-eof"], stdin_pipe=True)

    def _start(self, name, arguments, stdin_pipe=False):
        out = os.path.join(self.dir, f"{name}.out")
        err = os.path.join(self.dir, f"{name}.log")
        with open(out, "wb") as stdout, open(err, "ab") as stderr:
            process = subprocess.Popen(arguments, stdout=stdout, stderr=stderr,
                                       stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                       start_new_session=True)
        _register(process, f"stand-in {name}")
        self._processes.append(process)
        return _read_ready(out, process, f"the {name} stand-in")

    def stop(self):
        for process in self._processes:
            stop_process(process, timeout=10)
        self._processes = []

    def plugins_json(self, bin_dir):
        """Writes DIR/plugins.json loading email, SMS and Claim.MD from bin_dir, pointed at the stand-ins."""
        entries = [
            {"name": "email", "path": os.path.join(bin_dir, f"libLedgerlineEmailPlugin.{PLUGIN_EXT}"),
             "settings": {"timeoutSeconds": 20}, "timeoutSeconds": 30},
            {"name": "sms", "path": os.path.join(bin_dir, f"libLedgerlineSMSPlugin.{PLUGIN_EXT}"),
             "settings": {"baseURL": f"http://127.0.0.1:{self.sms_port}"}, "allowedHosts": ["127.0.0.1"],
             "timeoutSeconds": 15},
            {"name": "claimmd", "path": os.path.join(bin_dir, f"libLedgerlineClaimMDPlugin.{PLUGIN_EXT}"),
             "settings": {"baseURL": f"http://127.0.0.1:{self.claimmd_port}/services"},
             "allowedHosts": ["127.0.0.1"], "timeoutSeconds": 120},
        ]
        for entry in entries:
            if not os.path.isfile(entry["path"]):
                raise HarnessError(f"plugin missing: {entry['path']}")
        path = os.path.join(self.dir, "plugins.json")
        with open(path, "w") as file:
            json.dump(entries, file, indent=2)
        os.chmod(path, 0o644)
        return path

    # Settings a practice gives integration.configure for each stand-in.
    def email_settings(self):
        return {"smtpURL": f"smtp://127.0.0.1:{self.smtp_port}", "fromAddress": "billing@practice.example",
                "fromName": "Ops Counseling", "security": "none"}

    def sms_settings(self, from_number="+12175550199"):
        return {"accountSid": self.SMS_ACCOUNT_SID, "authToken": self.SMS_AUTH_TOKEN, "fromNumber": from_number}

    def _get(self, port, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as answer:
            return json.load(answer)

    def claimmd_post(self, path, payload=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.claimmd_port}{path}",
                                         data=json.dumps(payload or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.load(answer)

    def claimmd_received(self, account_key=None):
        """GET /_admin/received: {"pcns": {PCN: count}, "files": [{"filename", "accountKey", "claims", "at", …}]}
        for one account, or (account_key=None) all of them."""
        query = "" if account_key is None else "?accountKey=" + urllib.parse.quote(account_key)
        return self._get(self.claimmd_port, "/_admin/received" + query)

    def claimmd_requests(self, account_key=None):
        query = "" if account_key is None else "?accountKey=" + urllib.parse.quote(account_key)
        return self._get(self.claimmd_port, "/_admin/requests" + query)

    def smtp_messages(self):
        """Every message the sink kept: [{"number", "message_id", "rcpt_tos", "subject"}], in arrival order."""
        import email.parser
        parser = email.parser.BytesHeaderParser()
        messages = []
        names = [name for name in os.listdir(self.mail_dir) if name.endswith(".eml") and not name.startswith(".")]
        for name in sorted(names, key=lambda n: int(n.split(".")[0])):
            number = int(name.split(".")[0])
            with open(os.path.join(self.mail_dir, name), "rb") as file:
                headers = parser.parse(file)
            meta = {}
            try:
                with open(os.path.join(self.mail_dir, f"{number}.json")) as file:
                    meta = json.load(file)
            except (FileNotFoundError, ValueError):
                pass
            messages.append({"number": number, "message_id": (headers.get("Message-ID") or "").strip(),
                             "subject": headers.get("Subject"), "rcpt_tos": meta.get("rcpt_tos", [])})
        return messages

    def sms_messages(self):
        """GET /_admin/messages: [{"to", "from", "messaging_service_sid", "body", "sid", "received_at"}]."""
        return self._get(self.sms_port, "/_admin/messages")


# --- ledgerline serve ------------------------------------------------------------------------------


class Instance:
    """One `ledgerline serve` process; start() again after kill() restarts it on the same port."""

    def __init__(self, bin_dir, workdir, name, database_url, plugins_file, operator_key, secret_key, port=None,
                 env=None):
        self.bin_dir = bin_dir
        self.workdir = os.path.abspath(workdir)
        self.name = name
        self.database_url = database_url
        self.plugins_file = plugins_file
        self.operator_key = operator_key
        self.secret_key = secret_key
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/rpc"
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra_env = dict(env or {})
        self.log_path = os.path.join(self.workdir, f"instance-{name}.log")
        self.process = None
        self.starts = 0

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        if self.running():
            raise HarnessError(f"instance {self.name} is already running (pid {self.pid})")
        os.makedirs(self.workdir, exist_ok=True)
        env = _clean_env({
            "DATABASE_URL": self.database_url, "LEDGERLINE_OPERATOR_KEY": self.operator_key,
            "LEDGERLINE_SECRET_KEY": self.secret_key, "LEDGERLINE_PLUGINS": self.plugins_file,
            "LEDGERLINE_DATA_DIR": os.path.join(self.workdir, f"data-{self.name}"),
        })
        env.update(self.extra_env)
        self.starts += 1
        with open(self.log_path, "ab") as file:
            file.write(f"\n===== start #{self.starts} at {datetime.datetime.now().isoformat()} =====\n".encode())
        self.process = spawn([os.path.join(self.bin_dir, "ledgerline"), "serve", "--port", str(self.port)],
                             f"instance {self.name}", self.log_path, env=env)

    def ready(self):
        try:
            with urllib.request.urlopen(self.base + "/health/ready", timeout=5) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout=120):
        def check():
            if not self.running():
                raise HarnessError(f"instance {self.name} exited with {self.process.returncode} during start; "
                                   f"see {self.log_path}:\n{tail(self.log_path, 30)}")
            return self.ready()
        wait_for(check, timeout, 0.1, f"instance {self.name} to be ready")

    def kill(self, sig=signal.SIGKILL):
        """Signals the server (SIGKILL by default) and waits for it to die."""
        if not self.running():
            return
        _killpg(self.process, sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _killpg(self.process, signal.SIGKILL)
            self.process.wait(timeout=10)
        _unregister(self.process)

    def terminate(self, timeout=60):
        """SIGTERM (graceful shutdown), SIGKILL after `timeout`; the exit status."""
        if self.process is None:
            return None
        stop_process(self.process, timeout=timeout)
        return self.process.returncode

    def rss_kb(self):
        try:
            with open(f"/proc/{self.pid}/status") as file:
                for line in file:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, TypeError, ProcessLookupError):
            pass
        return 0


def tail(path, lines=40):
    try:
        with open(path, "rb") as file:
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - 64 * 1024))
            return b"\n".join(file.read().splitlines()[-lines:]).decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


# --- JSON-RPC --------------------------------------------------------------------------------------

_ids = itertools.count(1)


def _post(url, payload, key, timeout):
    # A fresh connection per POST (urllib does not pool): a POST is never resent on a connection the
    # server closed, so a lost answer is seen as lost instead of silently applied twice.
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            if answer.status == 204:
                return None
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise TransportError(f"HTTP {error.code} from {url}: {error.read()[:500]!r}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise TransportError(f"POST {url}: {error}") from None


RATE_LIMITED = -32029


def _retry_after(response):
    """Seconds a −32029 answer asks to wait (a little more, so the token is surely there)."""
    data = (response.get("error") or {}).get("data") or {}
    try:
        return min(5.0, max(0.01, float(data.get("retryAfterSeconds", 0.1)))) + 0.01
    except (TypeError, ValueError):
        return 0.1


def _limited(response):
    return isinstance(response, dict) and (response.get("error") or {}).get("code") == RATE_LIMITED


def rpc(url, method, params, key, id=1, timeout=60, wait_rate_limited=True, limit_patience=300):
    """One JSON-RPC call on a fresh connection; the decoded response ({"result"} or {"error"}).
    Raises TransportError when no answer arrived (outcome unknown for a write). A −32029 answer
    (the practice is over its rate limit; the call did nothing) is waited out and the call sent
    again, as a well-behaved client does, unless wait_rate_limited is False."""
    payload = {"jsonrpc": "2.0", "id": id, "method": method, "params": params}
    deadline = time.monotonic() + limit_patience
    while True:
        answer = _post(url, payload, key, timeout)
        if not (wait_rate_limited and _limited(answer) and time.monotonic() < deadline):
            return answer
        time.sleep(_retry_after(answer))


def rpc_batch(url, calls, key, timeout=120, wait_rate_limited=True, limit_patience=300):
    """One batch POST; `calls` are (method, params) pairs; the responses in the calls' order
    (each element is its own transaction on the server, so a batch can partly apply). Elements
    answered −32029 did nothing: they are waited out and sent again alone (in one smaller batch),
    unless wait_rate_limited is False."""
    if not calls:
        return []
    responses = [None] * len(calls)
    pending = list(range(len(calls)))
    deadline = time.monotonic() + limit_patience
    while pending:
        payload = [{"jsonrpc": "2.0", "id": index, "method": calls[index][0], "params": calls[index][1]}
                   for index in pending]
        answer = _post(url, payload, key, timeout)
        if not isinstance(answer, list):
            raise TransportError(f"batch answered {json.dumps(answer)[:500]}")
        by_id = {item.get("id"): item for item in answer}
        still = []
        for index in pending:
            item = by_id.get(index, {"error": {"code": -1, "message": "no answer for this element"}})
            responses[index] = item
            if wait_rate_limited and _limited(item) and time.monotonic() < deadline:
                still.append(index)
        if still:
            time.sleep(max(_retry_after(responses[index]) for index in still))
        pending = still
    return responses


class RPCFailure(Exception):
    def __init__(self, method, error, params=None):
        self.method, self.error, self.params = method, error, params
        super().__init__(f"{method} failed: {json.dumps(error)[:1500]}"
                         + (f" (params {json.dumps(params)[:300]})" if params is not None else ""))

    @property
    def code(self):
        return self.error.get("code") if isinstance(self.error, dict) else None


def call(url, method, params, key, timeout=60):
    """rpc() that returns the result or raises RPCFailure."""
    answer = rpc(url, method, params, key, timeout=timeout)
    if "error" in answer:
        raise RPCFailure(method, answer["error"], params)
    return answer["result"]


def call_batch(url, method, params_list, key, timeout=120):
    """One batch of `method` (≤ BATCH params); results in order, RPCFailure on the first error."""
    results = []
    for response, params in zip(rpc_batch(url, [(method, p) for p in params_list], key, timeout), params_list):
        if "error" in response:
            raise RPCFailure(method, response["error"], params)
        results.append(response["result"])
    return results


def chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


# --- seeding ---------------------------------------------------------------------------------------

_phone_counter = itertools.count(0)
_phone_lock = threading.Lock()
_phone_base = secrets.randbelow(4000) * 1000


def next_phone():
    """A distinct E.164 mobile number per client in this process."""
    with _phone_lock:
        n = next(_phone_counter)
    return f"+1312{(_phone_base + n) % 10_000_000:07d}"


def seed_practice(url, operator_key, name, *, clients=10, with_integrations=True, standins=None, account_key=None,
                  practice_index=0):
    """A claim-ready practice through the API: practice.create (operator key), 90837 at $150, a
    location, a clinician with NPI/taxonomy and its own key, `clients` adults with email and mobile
    phone (both consented) and a primary Aetna policy each; with_integrations, the email, SMS and
    Claim.MD integrations pointed at `standins` (Claim.MD AccountKey `account_key`, default the
    stand-ins' first). Call it before any fault is injected: these writes carry no idempotency key."""
    tag = uuid.uuid4().hex[:8]
    created = call(url, "practice.create", {
        "legalName": f"{name} PLLC", "taxId": "12-3456789", "taxIdType": "ein",
        "npi": "1234567893", "taxonomyCode": "101YM0800X", "billingProviderType": "organization",
        "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701-1234"},
        "phone": "+12175550100", "timeZone": "America/Chicago",
        "owner": {"firstName": "Ana", "lastName": "Ruiz", "email": f"owner-{tag}@example.com"}}, operator_key)
    owner = created["apiKey"]["secret"]
    practice_id = created["practice"]["id"]

    imported = call(url, "service.importCommon", {}, owner)
    service = next((item for item in imported["items"] if item.get("code") == "90837"), None)
    if service is None:
        raise HarnessError(f"service.importCommon has no 90837: {json.dumps(imported)[:500]}")
    call(url, "service.update", {"id": service["id"], "version": service.get("version", 1), "defaultRateCents": 15000},
         owner)
    location = call(url, "location.create", {
        "name": "Main office", "placeOfService": "11",
        "address": {"line1": "12 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701-1234"}},
        owner)["location"]["id"]
    clinician = call(url, "member.create", {
        "firstName": "Sam", "lastName": "Lee", "email": f"sam-{tag}@example.com", "role": "clinician",
        "npi": "1245319599", "taxonomyCode": "101YM0800X", "credentials": "LCSW"}, owner)["member"]["id"]
    clinician_key = call(url, "apiKey.create", {"memberId": clinician, "name": "clinician"}, owner)["apiKey"]["secret"]
    payers = call(url, "payer.list", {"query": "aetna", "limit": 5}, owner)["items"]
    if not payers:
        raise HarnessError("payer.list found no Aetna")
    payer = payers[0]["id"]

    emails, phones, client_params = [], [], []
    for index in range(clients):
        email = f"c{index:04d}-{tag}@example.com"
        phone = next_phone()
        emails.append(email)
        phones.append(phone)
        client_params.append({
            "firstName": f"Client{index:04d}", "lastName": "Park", "dateOfBirth": f"19{60 + index % 40:02d}-04-12",
            "sex": "M" if index % 2 else "F",
            "address": {"line1": f"{index + 1} Elm St", "city": "Springfield", "state": "IL", "postalCode": "62704"},
            "email": email, "phone": phone, "consents": {"email": True, "sms": True},
            "assignedMemberIds": [clinician]})
    client_ids = []
    for part in chunks(client_params, BATCH):
        client_ids += [r["client"]["id"] for r in call_batch(url, "client.create", part, owner)]
    policy_params = [{
        "clientId": client, "payerId": payer, "order": "primary", "memberId": f"W{100000000 + index}",
        "groupNumber": "G-77", "relationshipToSubscriber": "self", "copayCents": 2500,
        "effectiveFrom": "2025-01-01"} for index, client in enumerate(client_ids)]
    policy_ids = []
    for part in chunks(policy_params, BATCH):
        policy_ids += [r["policy"]["id"] for r in call_batch(url, "policy.create", part, owner)]

    account_key = account_key or (standins.claimmd_account_key if standins else None)
    if with_integrations:
        if standins is None:
            raise HarnessError("seed_practice: with_integrations needs the stand-ins")
        call(url, "integration.configure", {"kind": "notificationChannel", "channel": "email", "plugin": "email",
                                            "settings": standins.email_settings()}, owner)
        call(url, "integration.configure", {"kind": "notificationChannel", "channel": "sms", "plugin": "sms",
                                            "settings": standins.sms_settings()}, owner)
        call(url, "integration.configure", {"kind": "clearinghouse", "plugin": "claimmd",
                                            "settings": {"accountKey": account_key}}, owner)
    return {"practiceId": practice_id, "name": name, "apiKey": owner, "ownerKey": owner, "clinicianId": clinician,
            "clinicianKey": clinician_key, "serviceId": service["id"], "locationId": location, "payerId": payer,
            "clientIds": client_ids, "policyIds": policy_ids, "emails": emails, "phones": phones,
            "accountKey": account_key}
