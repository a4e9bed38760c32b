#!/usr/bin/env python3
"""bench/serve: Kiln's serving engine under concurrent chats, beside
llama.cpp's own OpenAI-compatible server (llama_cpp.server from
llama-cpp-python[server]) on the same GGUF file, same thread count, in one run.

  bench/serve/run.py [--model smollm2|PATH] [--streams 1,4,8,16] [--tokens 64]
                     [--runs 3] [--threads 2] [--no-peer]

Run it with the bench venv's python (bench/llm/setup_reference.sh prints it;
it also installs the server extras). Both servers get the same requests over
plain HTTP (streamed chat completions, temperature 0):

  concurrency  for each N in --streams, N chats at once, each asking for
               --tokens tokens: aggregate completion tokens/s (usage counts
               over the wall time of the whole round) and each stream's time
               to first token (median and p90), median over --runs rounds;
  persona      the first-token latency of a second turn after a 1,000-token
               system prompt (the persona): a first turn with persona A,
               then a second turn with A (Kiln: a prefix-cache hit) and a
               first turn with an unseen persona B (a miss), medians.

Prints one JSON document: kiln{...}, llama_cpp{...}, and
  scaling_8_vs_1      Kiln's 8-stream aggregate tokens/s / its 1-stream (target >= 3);
  second_turn_ms      Kiln's second-turn first token (target < 50 ms);
  constraint_cost     1 - Kiln's decode tokens/s under a JSON Schema (response_format)
                      / free text, one stream (target < 0.10);
  ratio_at_N          Kiln / llama.cpp aggregate tokens/s per concurrency.
"""
import argparse
import http.client
import json
import os
import pathlib
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("KILN_CACHE", pathlib.Path.home() / ".cache" / "kiln"))
BUILD = pathlib.Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
NAMES = {"smollm2": "smollm2-135m-instruct-q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}
KEY = "kiln_bench_admin_key_0123456789abcdefghij"
TOPICS = ["volcanoes", "the moon", "bread", "trains", "bees", "rain", "chess", "rivers", "salt",
          "owls", "glass", "maps", "tea", "clocks", "wind", "paper"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, headers, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path, headers=headers)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not come up")


def stream_chat(port, model, messages, max_tokens, headers, extra=None):
    """One streamed chat completion: (seconds to first token, completion tokens, total seconds)."""
    body = json.dumps({"model": model, "messages": messages, "max_tokens": max_tokens,
                       "temperature": 0, "stream": True,
                       "stream_options": {"include_usage": True}, **(extra or {})})
    start = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("POST", "/v1/chat/completions", body=body,
              headers={**headers, "Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {r.read()[:300]!r}")
    first, tokens, pieces = None, None, 0
    buf = b""
    while True:
        chunk = r.read1(65536) if hasattr(r, "read1") else r.read(65536)
        if not chunk:
            break
        buf += chunk
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            line = event.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                continue
            obj = json.loads(data)
            if obj.get("usage"):
                tokens = obj["usage"]["completion_tokens"]
            for ch in obj.get("choices") or []:
                if (ch.get("delta") or {}).get("content"):
                    pieces += 1
                    if first is None:
                        first = time.perf_counter() - start
    total = time.perf_counter() - start
    c.close()
    if tokens is None:  # a server that does not send usage: count content chunks
        tokens = pieces
    return (first if first is not None else total), tokens, total


def concurrency_round(port, model, n, max_tokens, headers, salt):
    results = [None] * n
    errors = []

    def one(i):
        topic = TOPICS[(i + salt) % len(TOPICS)]
        try:
            results[i] = stream_chat(port, model, [
                {"role": "user", "content": f"Write a few sentences about {topic}. ({salt}-{i})"}],
                max_tokens, headers)
        except Exception as ex:  # noqa: BLE001 - reported
            errors.append(repr(ex))

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(errors[0])
    tokens = sum(r[1] for r in results)
    ttfts = sorted(r[0] for r in results)
    return {"tokens_per_s": tokens / wall, "ttft_ms_median": 1000 * statistics.median(ttfts),
            "ttft_ms_p90": 1000 * ttfts[min(len(ttfts) - 1, int(0.9 * len(ttfts)))],
            "completion_tokens": tokens, "wall_s": wall}


def persona(seed, words=700):
    vocab = ["kind", "patient", "precise", "curious", "gardener", "librarian", "answers", "briefly",
             "always", "explains", "history", "recipes", "weather", "stories", "politely", "never",
             "guesses", "cites", "sources", "calm", "clear", "friendly", "expert", "in", "ceramics"]
    out = [f"You are assistant number {seed}."]
    for i in range(words):
        out.append(vocab[(i * 7 + seed * 13) % len(vocab)])
        if i % 12 == 11:
            out[-1] += "."
    return " ".join(out)


def persona_round(port, model, headers, salt):
    a, b = persona(2 * salt + 1), persona(2 * salt + 2)
    first, _, _ = stream_chat(port, model, [{"role": "system", "content": a},
                                            {"role": "user", "content": "Hello!"}], 8, headers)
    second, _, _ = stream_chat(port, model, [{"role": "system", "content": a},
                                             {"role": "user", "content": "Hello!"},
                                             {"role": "assistant", "content": "Hi! How can I help?"},
                                             {"role": "user", "content": "Tell me about tea."}],
                               8, headers)
    miss, _, _ = stream_chat(port, model, [{"role": "system", "content": b},
                                           {"role": "user", "content": "Tell me about tea."}],
                             8, headers)
    return first, second, miss


STORY_SCHEMA = {"type": "object",
                "properties": {"title": {"type": "string", "maxLength": 60},
                               "story": {"type": "string", "maxLength": 2000}},
                "required": ["title", "story"]}


def constrained_round(port, model, args, headers):
    """Decode tokens/s of one stream, free text vs constrained by a JSON Schema
    (response_format json_schema): what the token mask costs."""
    msgs = [{"role": "user", "content": "Write a short story about a lighthouse."}]
    out = {}
    for name, extra in [("free", None),
                        ("json_schema", {"response_format": {"type": "json_schema", "json_schema": {
                            "name": "story", "schema": STORY_SCHEMA}}})]:
        rates = []
        for _ in range(args.runs):
            first, tokens, total = stream_chat(port, model, msgs, 128, headers, extra)
            rates.append((tokens - 1) / max(total - first, 1e-9))
        out[name + "_decode_tokens_per_s"] = statistics.median(rates)
    out["constraint_cost"] = 1 - out["json_schema_decode_tokens_per_s"] / out["free_decode_tokens_per_s"]
    return out


def run_server_bench(port, model, args, headers):
    out = {"concurrency": {}}
    for n in args.streams:
        rounds = [concurrency_round(port, model, n, args.tokens, headers, salt)
                  for salt in range(args.runs)]
        out["concurrency"][str(n)] = {
            "tokens_per_s": statistics.median(r["tokens_per_s"] for r in rounds),
            "ttft_ms_median": statistics.median(r["ttft_ms_median"] for r in rounds),
            "ttft_ms_p90": statistics.median(r["ttft_ms_p90"] for r in rounds),
            "runs": rounds,
        }
    p = [persona_round(port, model, headers, 100 + i) for i in range(args.runs)]
    out["persona"] = {"first_turn_ms": 1000 * statistics.median(x[0] for x in p),
                      "second_turn_ms": 1000 * statistics.median(x[1] for x in p),
                      "miss_ms": 1000 * statistics.median(x[2] for x in p)}
    return out


def start(cmd, env=None):
    log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
    return proc, log.name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("--streams", default="1,4,8,16")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    args.streams = [int(x) for x in args.streams.split(",")]
    path = pathlib.Path(args.model) if args.model not in NAMES else CACHE / "models" / NAMES[args.model]
    if not path.exists():
        sys.exit(f"{path} is missing: run scripts/setup")
    result = {"model": path.name, "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "streams": args.streams, "tokens": args.tokens, "runs": args.runs}

    # Kiln
    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-serve-data-")
    env = dict(os.environ, KILN_ADMIN_KEY=KEY, KILN_THREADS=str(args.threads))
    proc, log = start([str(BUILD / "app" / "kiln"), "serve", "--port", str(port), "--data", data,
                       "--model", f"bench={path}", "--log-level", "warning",
                       "--max-running", str(max(args.streams))], env)
    headers = {"Authorization": f"Bearer {KEY}"}
    try:
        wait_http(port, "/v1/models", headers)
        result["kiln"] = run_server_bench(port, "bench", args, headers)
        result["kiln"]["constrained"] = constrained_round(port, "bench", args, headers)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    # llama.cpp's server, same file and threads
    if not args.no_peer:
        port = free_port()
        proc, log = start([sys.executable, "-m", "llama_cpp.server", "--model", str(path),
                           "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads),
                           "--n_ctx", "4096", "--host", "127.0.0.1", "--port", str(port),
                           "--model_alias", "bench",
                           # queue concurrent requests instead of cutting the running one off
                           "--interrupt_requests", "False"])
        try:
            wait_http(port, "/v1/models", {})
            result["llama_cpp"] = run_server_bench(port, "bench", args, {})
        except Exception as ex:  # noqa: BLE001 - recorded, Kiln's figures stand
            result["llama_cpp"] = {"error": repr(ex), "log": log}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    k = result["kiln"]["concurrency"]
    if "1" in k and "8" in k:
        result["scaling_8_vs_1"] = k["8"]["tokens_per_s"] / k["1"]["tokens_per_s"]
    result["second_turn_ms"] = result["kiln"]["persona"]["second_turn_ms"]
    result["constraint_cost"] = result["kiln"]["constrained"]["constraint_cost"]
    peer = result.get("llama_cpp", {}).get("concurrency")
    if peer:
        for n in k:
            if n in peer:
                result[f"ratio_at_{n}"] = k[n]["tokens_per_s"] / peer[n]["tokens_per_s"]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
