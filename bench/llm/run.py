#!/usr/bin/env python3
"""bench/llm: Kiln's executor against llama.cpp on the same GGUF file, as the
issue's targets define the measurements. Run with the bench venv's python
(bench/llm/setup_reference.sh prints its path; llama.cpp comes from
llama-cpp-python built there for this CPU).

  bench/llm/run.py [--model smollm2|gemma3|all|PATH] [--runs 5] [--threads 2]
                   [--decode-prompt 16] [--decode-tokens 128] [--prefill-tokens 512]

Both engines, each in its own process (so that peak memory is its own), with
the same thread count and the same prompts (real text), median of --runs:
  decode   --decode-tokens greedy steps after an untimed --decode-prompt
           prompt; tokens/s of the steps alone;
  prefill  one --prefill-tokens prompt into a fresh KV cache, timed.
llama.cpp runs with n_threads = n_threads_batch = --threads, n_batch =
n_ubatch = 512 and logits for the last token only, as Kiln computes them.

Prints one JSON document for a model, or a JSON list of them for --model all.
Each has kiln{...} (llm_bench's output: ISA, threads, tokens/s, peak RSS, KV
cache size, weight bytes per token, the machine's read bandwidth) and
llama_cpp{...}, and:
  decode_ratio, prefill_ratio     Kiln / llama.cpp tokens/s;
  bandwidth_fraction              Kiln's decode weight traffic (tokens/s x
                                  weight_bytes_per_token) / DRAM read GB/s;
  llama_cpp_bandwidth_fraction    the same for llama.cpp (same file, same bytes);
  rss_budget_mb                   (model file + Kiln's KV cache) x 1.15;
  rss_within_budget               Kiln's peak RSS <= rss_budget_mb.
See llm_bench.cc for what dram/l3/working_set_read_gbps measure.
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("KILN_CACHE", pathlib.Path.home() / ".cache" / "kiln"))
BUILD = pathlib.Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
NAMES = {"smollm2": "smollm2-135m-instruct-q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}
RSS_HEADROOM = 1.15  # the budget: model file + KV cache + 15%

LLAMA_CPP = r'''
import ctypes, json, resource, statistics, sys, time
import numpy as np
from llama_cpp import Llama
path = sys.argv[1]
decode_prompt, decode_tokens, prefill_tokens, runs, threads = map(int, sys.argv[2:7])
n_ctx = max(prefill_tokens, decode_prompt + decode_tokens)
# logits_all=False: llama.cpp computes logits for the last token of each
# batch only, as Kiln does; they are read straight from the context.
llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
            n_batch=512, n_ubatch=512, logits_all=False, verbose=False)
n_vocab = llm.n_vocab()

def last_logits():
    ptr = llm._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(ptr, shape=(n_vocab,))

def prompt(n):
    text = ""
    while len(llm.tokenize(text.encode(), add_bos=False)) < n:
        text += ("Small language models run well on ordinary CPUs when their kernels read each "
                 "weight once per token. ")
    return llm.tokenize(text.encode(), add_bos=False)[:n]

def time_decode(tokens, steps):
    llm.reset()
    llm.eval(tokens)
    t = time.perf_counter()
    for _ in range(steps):
        llm.eval([int(last_logits().argmax())])
    return steps / (time.perf_counter() - t)

def time_prefill(tokens):
    llm.reset()
    t = time.perf_counter()
    llm.eval(tokens)
    return len(tokens) / (time.perf_counter() - t)

short, long = prompt(decode_prompt), prompt(prefill_tokens)
time_decode(short, 2)  # warm-up: faults the mapped weights in, starts the threads
prefill, decode = [], []
for _ in range(runs):
    prefill.append(time_prefill(long))
    decode.append(time_decode(short, decode_tokens))
print(json.dumps({"engine": "llama.cpp", "threads": threads, "n_batch": 512, "n_ubatch": 512,
                  "n_ctx": n_ctx, "decode_tokens_per_s": statistics.median(decode),
                  "prefill_tokens_per_s": statistics.median(prefill),
                  "decode_runs": decode, "prefill_runs": prefill,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def machine_info():
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "cores_usable": len(os.sched_getaffinity(0)), "platform": platform.platform()}
    try:
        cpuinfo = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            info["cpu"] = value.strip()
        elif key.strip() == "flags":
            flags = set(value.split())
            wanted = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                      "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8"]
            info["cpu_flags"] = [f for f in wanted if f in flags]
            break
    return info


def run_kiln(path, args):
    env = dict(os.environ, KILN_THREADS=str(args.threads))
    out = subprocess.run([str(BUILD / "bench" / "llm_bench"), str(path),
                          "--decode-prompt", str(args.decode_prompt),
                          "--decode-tokens", str(args.decode_tokens),
                          "--prefill-tokens", str(args.prefill_tokens),
                          "--runs", str(args.runs)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_llama_cpp(path, args):
    try:
        out = subprocess.run([sys.executable, "-c", LLAMA_CPP, str(path),
                              str(args.decode_prompt), str(args.decode_tokens),
                              str(args.prefill_tokens), str(args.runs), str(args.threads)],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    except (subprocess.CalledProcessError, json.JSONDecodeError) as e:
        stderr = getattr(e, "stderr", "") or ""
        return {"engine": "llama.cpp", "error": (str(e) + " " + stderr)[-800:]}


def bench_model(path, args, machine):
    kiln = run_kiln(path, args)
    ref = run_llama_cpp(path, args)
    machine = dict(machine, isa=kiln.get("isa"), dram_read_gbps=kiln.get("dram_read_gbps"),
                   l3_read_gbps=kiln.get("l3_read_gbps"))
    report = {
        "benchmark": "llm",
        "model": path.name,
        "machine": machine,
        "settings": {"decode_prompt_tokens": args.decode_prompt,
                     "decode_tokens": args.decode_tokens,
                     "prefill_tokens": args.prefill_tokens, "runs": args.runs,
                     "threads": args.threads, "statistic": "median"},
        "kiln": kiln,
        "llama_cpp": ref,
    }
    weight_bytes = kiln["weight_bytes_per_token"]
    dram = kiln.get("dram_read_gbps")
    if "decode_tokens_per_s" in ref:
        report["decode_ratio"] = round(kiln["decode_tokens_per_s"] / ref["decode_tokens_per_s"], 3)
        report["prefill_ratio"] = round(
            kiln["prefill_tokens_per_s"] / ref["prefill_tokens_per_s"], 3)
    if dram:
        report["bandwidth_fraction"] = round(kiln["bandwidth_fraction"], 3)
        if "decode_tokens_per_s" in ref:
            report["llama_cpp_bandwidth_fraction"] = round(
                ref["decode_tokens_per_s"] * weight_bytes / (dram * 1e9), 3)
    budget = (kiln["model_file_mb"] + kiln["kv_cache_mb"]) * RSS_HEADROOM
    report["rss_budget_mb"] = round(budget, 1)
    report["rss_within_budget"] = kiln["peak_rss_mb"] <= budget
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2",
                        help="smollm2, gemma3, all, or a GGUF path")
    parser.add_argument("--decode-prompt", type=int, default=16)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--prefill-tokens", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.model == "all":
        paths = [CACHE / "models" / name for name in NAMES.values()]
    elif args.model in NAMES:
        paths = [CACHE / "models" / NAMES[args.model]]
    else:
        paths = [pathlib.Path(args.model)]
    machine = machine_info()
    reports = [bench_model(path, args, machine) for path in paths]
    print(json.dumps(reports if args.model == "all" else reports[0], indent=2))


if __name__ == "__main__":
    main()
