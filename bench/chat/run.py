#!/usr/bin/env python3
"""bench/chat: a bot's turn end to end, as the agent issue defines it.

  bench/chat/run.py [--runs 7] [--max-tokens 48]

Starts the real server (default models), then, with streamed turns
(POST /v1/bots/{id}/chat, stream) timed from the request to the first
`delta` event (time to first token) and to `done` (total):

  knowledge  a bot over the five corpus documents answering a factual
             question (retrieval, prompt with passages, answer, citations);
  tool       a bot with the weather example plugin (examples/plugins/
             weather_cpp, over HTTP on loopback) answering a weather question
             (routing, arguments under the schema, the HTTP call, answer);
  plain      a bot with neither (the agent's own overhead);
  model      the same question straight to /v1/chat/completions (the
             model alone: the reference line the three above add to).

Each is run --runs times (each turn a new conversation, so no earlier turn
helps; the prefix cache keeps what any turn shares, as in real use) and
reported as median and p90 in ms, with the server's own timing of the turn.
Prints one JSON document.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from conftest import ADMIN_KEY, KilnServer  # noqa: E402

BUILD = pathlib.Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.exists():
    CORPUS = pathlib.Path("/work/shared/corpus")
H = {"Authorization": f"Bearer {ADMIN_KEY}"}


def stream_turn(url, bot, message):
    start = time.perf_counter()
    first = None
    done = None
    events = []
    with requests.post(f"{url}/v1/bots/{bot}/chat", headers=H, stream=True, timeout=300,
                       json={"message": message, "draft": True, "stream": True}) as r:
        r.raise_for_status()
        buffer = b""
        for piece in r.iter_content(chunk_size=None):
            buffer += piece
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                lines = block.decode("utf-8").split("\n")
                event = next((l[6:].strip() for l in lines if l.startswith("event:")), None)
                data = json.loads("\n".join(l[5:].strip() for l in lines if l.startswith("data:")))
                events.append(event)
                if event == "delta" and first is None:
                    first = time.perf_counter()
                if event == "done":
                    done = data
                if event == "error":
                    raise RuntimeError(data)
    total = time.perf_counter() - start
    return {"ttft_ms": (first - start) * 1000 if first else None, "total_ms": total * 1000,
            "server": done["timing"], "tool_calls": [c["name"] for c in done["tool_calls"]],
            "citations": len(done["citations"]), "tokens": done["usage"]["completion_tokens"]}


def model_turn(url, message, max_tokens):
    start = time.perf_counter()
    first = None
    with requests.post(f"{url}/v1/chat/completions", headers=H, stream=True, timeout=300, json={
            "model": "smollm2", "stream": True, "temperature": 0, "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": message}]}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith(b"data: {") and first is None and b'"content":"' in line \
                    and b'"content":""' not in line:
                first = time.perf_counter()
    total = time.perf_counter() - start
    return {"ttft_ms": (first - start) * 1000 if first else None, "total_ms": total * 1000}


def summary(samples, key):
    values = sorted(s[key] for s in samples if s[key] is not None)
    if not values:
        return None
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return {"median": round(statistics.median(values), 1), "p90": round(p90, 1), "n": len(values)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()

    weather = subprocess.Popen([str(BUILD / "examples/plugins/weather_cpp/weather_plugin"),
                                "--port", "0"], stdout=subprocess.PIPE, text=True)
    port = int(weather.stdout.readline().strip().rsplit(":", 1)[1])
    server = KilnServer(os.environ.get("KILN_BIN", str(BUILD / "app" / "kiln")),
                        ["--outbound-allow", f"127.0.0.1:{port}"])
    server.start()
    try:
        url = server.url
        params = {"temperature": 0, "max_tokens": args.max_tokens}
        kb = requests.post(f"{url}/v1/knowledge", headers=H, json={"name": "corpus"}).json()["id"]
        files = [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(CORPUS.glob("*.txt"))]
        requests.post(f"{url}/v1/knowledge/{kb}/documents", headers=H, files=files).raise_for_status()
        while any(d["status"] not in ("ready", "failed") for d in
                  requests.get(f"{url}/v1/knowledge/{kb}/documents", headers=H).json()["data"]):
            time.sleep(0.5)
        spec = requests.get(f"http://127.0.0.1:{port}/openapi.json").json()
        plugin = requests.post(f"{url}/v1/plugins", headers=H, timeout=60, json={
            "kind": "openapi", "name": "weather", "spec": spec}).json()["id"]
        bots = {
            "knowledge": requests.post(f"{url}/v1/bots", headers=H, json={
                "name": "k", "persona": "你根据知识库回答问题。", "knowledge_ids": [kb],
                "model_params": params}).json()["id"],
            "tool": requests.post(f"{url}/v1/bots", headers=H, json={
                "name": "t", "persona": "You tell people the weather.", "plugin_ids": [plugin],
                "model_params": params}).json()["id"],
            "plain": requests.post(f"{url}/v1/bots", headers=H, json={
                "name": "p", "model_params": params}).json()["id"],
        }
        questions = {"knowledge": "截至今年4月底国内推出了多少个大模型？",
                     "tool": "What's the weather in Paris?",
                     "plain": "What's the weather in Paris?"}
        results = {}
        for name, bot in bots.items():
            stream_turn(url, bot, questions[name])  # warm-up: models paged in, caches filled
            samples = [stream_turn(url, bot, questions[name]) for _ in range(args.runs)]
            results[name] = {"question": questions[name],
                             "ttft_ms": summary(samples, "ttft_ms"),
                             "total_ms": summary(samples, "total_ms"),
                             "server_first_token_ms": summary([s["server"] for s in samples],
                                                              "first_token_ms"),
                             "tool_calls": samples[-1]["tool_calls"],
                             "citations": samples[-1]["citations"],
                             "completion_tokens": samples[-1]["tokens"]}
        model_turn(url, questions["tool"], args.max_tokens)
        samples = [model_turn(url, questions["tool"], args.max_tokens) for _ in range(args.runs)]
        results["model"] = {"question": questions["tool"], "ttft_ms": summary(samples, "ttft_ms"),
                            "total_ms": summary(samples, "total_ms")}
        print(json.dumps({"bench": "chat", "machine": platform.processor() or platform.machine(),
                          "cpus": os.cpu_count(), "runs": args.runs,
                          "max_tokens": args.max_tokens, "results": results}, indent=2,
                         ensure_ascii=False))
    finally:
        server.close()
        weather.terminate()


if __name__ == "__main__":
    main()
