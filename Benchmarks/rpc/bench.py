#!/usr/bin/env python3
"""RPC benchmark: wrk against practice.get (read) and member.update (write) on a release build
with its embedded PostgreSQL, then pgbench running the SQL each request runs (key lookup and
tenant setting via ll_authenticate, the statement, the audit insert) against the same database,
in the same run. Prints req/s, p50/p99 and the ratio RPC ÷ pgbench."""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def rpc(port, method, params, key):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/rpc", data=body,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(request))
    if "error" in answer:
        raise SystemExit(f"{method} failed: {answer['error']}")
    return answer["result"]


def wrk(port, script, seconds, connections, threads):
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-s", script, f"http://127.0.0.1:{port}/rpc"], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def percentile(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rate, "p50_ms": percentile(50), "p99_ms": percentile(99), "non2xx": int(errors.group(1)) if errors else 0,
            "raw": out}


def pgbench(socket_dir, script, seconds, clients, workdir):
    logdir = tempfile.mkdtemp(dir=workdir)
    out = subprocess.run(["pgbench", "-h", socket_dir, "-U", "ledgerline_app", "-n", "-c", str(clients), "-j", "2",
                          "-T", str(seconds), "-f", script, "-l", "--log-prefix", os.path.join(logdir, "tx"), "ledgerline"],
                         capture_output=True, text=True, cwd=logdir)
    if out.returncode != 0:
        raise SystemExit("pgbench failed:\n" + out.stdout + out.stderr)
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    latencies = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()
    pick = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))] / 1000.0
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {"rps": tps, "p50_ms": pick(0.50), "p99_ms": pick(0.99), "failed": int(failed.group(1)) if failed else 0}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "15")))
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="llbench.", dir="/tmp")
    os.chmod(workdir, 0o755)
    port = free_port()
    env = dict(os.environ, LEDGERLINE_OPERATOR_KEY="bench-operator", LEDGERLINE_DATA_DIR=os.path.join(workdir, "data"),
               LEDGERLINE_LOG_LEVEL="warning", LEDGERLINE_DB_CONNECTIONS=os.environ.get("BENCH_DB_CONNECTIONS", "20"))
    server = subprocess.Popen([args.bin, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(workdir, "server.log"), "w"))
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready"); break
            except Exception:
                time.sleep(0.25)
        with open(os.path.join(HERE, "practice.json")) as f:
            created = rpc(port, "practice.create", json.load(f), "bench-operator")
        key = created["apiKey"]["secret"]
        members = []
        for n in range(args.connections):
            m = rpc(port, "member.create", {"firstName": "Bench", "lastName": f"M{n}", "email": f"bench{n}@example.com",
                                            "role": "clinician"}, key)["member"]
            members.append(m["id"])
        with open(os.path.join(workdir, "members.txt"), "w") as f:
            f.write("\n".join(members) + "\n")
        read_lua = os.path.join(HERE, "read.lua"); write_lua = os.path.join(HERE, "write.lua")
        os.environ["BENCH_KEY"] = key
        os.environ["BENCH_MEMBERS"] = os.path.join(workdir, "members.txt")
        # Warm up the server's pool and plans.
        wrk(port, read_lua, 3, args.connections, 2)
        results = {}
        results["rpc_read"] = wrk(port, read_lua, args.seconds, args.connections, 2)
        results["rpc_write"] = wrk(port, write_lua, args.seconds, args.connections, args.connections)

        socket_dir = os.path.join(workdir, "data", "run")
        practice_id = created["practice"]["id"][4:]
        key_hash = __import__("hashlib").sha256(key.encode()).hexdigest()
        member_uuid = created["owner"]["id"][4:]
        key_uuid = created["apiKey"]["id"][4:]
        def uuid(h): return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        substitutions = {"HASH": key_hash, "PRACTICE": uuid(practice_id), "MEMBER": uuid(member_uuid), "KEY": "key_" + key_uuid,
                         "N": str(args.connections - 1)}
        scripts = {}
        for name in ("read", "write"):
            with open(os.path.join(HERE, f"pgbench-{name}.sql")) as f:
                text = f.read()
            for k, v in substitutions.items():
                text = text.replace("{" + k + "}", v)
            scripts[name] = os.path.join(workdir, f"pgbench-{name}.sql")
            with open(scripts[name], "w") as f:
                f.write(text)
        results["pg_read"] = pgbench(socket_dir, scripts["read"], args.seconds, args.connections, workdir)
        results["pg_write"] = pgbench(socket_dir, scripts["write"], args.seconds, args.connections, workdir)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"\nLedgerline RPC benchmark — {args.connections} connections, {args.seconds} s per run, release build, "
          f"embedded PostgreSQL, {os.cpu_count()} cores\n")
    print(f"{'workload':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, key_ in (("practice.get (RPC, wrk)", "rpc_read"), ("same SQL (pgbench)", "pg_read"),
                        ("member.update (RPC, wrk)", "rpc_write"), ("same SQL (pgbench)", "pg_write")):
        r = results[key_]
        print(f"{label:<28}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}")
    print(f"\nratio RPC ÷ pgbench: read {results['rpc_read']['rps'] / results['pg_read']['rps']:.2f}, "
          f"write {results['rpc_write']['rps'] / results['pg_write']['rps']:.2f}")
    print(f"non-2xx RPC responses: read {results['rpc_read']['non2xx']}, write {results['rpc_write']['non2xx']}; "
          f"failed pgbench transactions: read {results['pg_read']['failed']}, write {results['pg_write']['failed']}")
    with open(os.path.join(workdir, "results.json"), "w") as f:
        json.dump({k: {kk: vv for kk, vv in v.items() if kk != "raw"} for k, v in results.items()}, f, indent=2)
    print(f"results: {os.path.join(workdir, 'results.json')}")


if __name__ == "__main__":
    main()
