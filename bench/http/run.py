#!/usr/bin/env python3
"""bench/http: drives GET /v1/bots/{id} on a real kiln server with wrk and
prints requests/s and latency percentiles as JSON.

GET /healthz (no auth, no database) runs in the same session as a baseline, so
the cost of auth + SQLite + JSON per request shows as a ratio. Each figure is
the median of --runs runs. The machine is shared and noisy: compare medians.
"""
import argparse
import json
import os
import pathlib
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ADMIN_KEY = "kiln_bench_admin_key_0123456789abcdefghij"


def start_server(binary, root, threads):
    port_file = root / "port"
    env = dict(os.environ, KILN_ADMIN_KEY=ADMIN_KEY)
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--data", str(root / "data"),
                             "--threads", str(threads), "--port-file", str(port_file),
                             "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(750):
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text())
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("kiln did not start")


def request(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def wrk(url, seconds, connections, threads, auth):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
           "--latency", "-s", str(HERE / "report.lua"), url]
    if auth:
        cmd[1:1] = ["-H", f"Authorization: Bearer {ADMIN_KEY}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median_of(runs):
    keys = ["requests_per_s"]
    result = {"requests_per_s": statistics.median(r["requests_per_s"] for r in runs)}
    result["latency_ms"] = {k: statistics.median(r["latency_ms"][k] for r in runs)
                            for k in runs[0]["latency_ms"]}
    result["errors"] = sum(r["errors"] for r in runs)
    result["non_2xx"] = sum(r["non_2xx"] for r in runs)
    result["runs"] = [round(r["requests_per_s"]) for r in runs]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", default=os.environ.get("KILN_BIN", "build/app/kiln"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--server-threads", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/setup installs it)")

    root = pathlib.Path(tempfile.mkdtemp(prefix="kiln-bench-"))
    proc, port = start_server(args.bin, root, args.server_threads)
    try:
        bot = request(port, "POST", "/v1/bots", {
            "name": "Bench bot", "persona": "你是一个乐于助人的助手。" * 20,
            "suggested_questions": ["What can you do?", "你能做什么？"],
            "variables": [{"name": "city", "default": "上海"}]})
        for i in range(200):  # a database that is not empty
            request(port, "POST", "/v1/bots", {"name": f"filler {i}"})
        target = f"http://127.0.0.1:{port}/v1/bots/{bot['id']}"
        wrk(target, 1, args.connections, args.wrk_threads, True)  # warm-up
        results = {}
        for name, url, auth in [("get_bot", target, True),
                                ("healthz", f"http://127.0.0.1:{port}/healthz", False)]:
            runs = [wrk(url, args.seconds, args.connections, args.wrk_threads, auth)
                    for _ in range(args.runs)]
            results[name] = median_of(runs)
        report = {
            "benchmark": "http",
            "route": "GET /v1/bots/{id}",
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "settings": {"seconds": args.seconds, "runs": args.runs,
                         "connections": args.connections, "wrk_threads": args.wrk_threads,
                         "server_io_threads": args.server_threads},
            "results": results,
            "get_bot_vs_healthz": round(results["get_bot"]["requests_per_s"] /
                                        results["healthz"]["requests_per_s"], 3),
            "target": {"requests_per_s": 20000, "p99_ms": 5},
        }
        print(json.dumps(report, indent=2))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
