#!/usr/bin/env python3
"""bench/llm: prefill and decode tokens/s and peak memory of Kiln's executor,
with llama.cpp (llama-cpp-python, same GGUF file, same thread count) beside it
in the same run. Each engine runs in its own process so that peak memory is its
own. Prints JSON. Run with the bench venv's python (bench/llm/setup_reference.sh).

  bench/llm/run.py [--model smollm2|gemma3|PATH] [--prompt-tokens 64] [--gen-tokens 32] [--runs 3]
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

LLAMA_CPP = r'''
import json, resource, statistics, sys, time
from llama_cpp import Llama
path, n_prompt, n_gen, runs, threads = sys.argv[1], *map(int, sys.argv[2:6])
# logits_all: llama-cpp-python keeps logits only then; it costs llama.cpp a copy
# of each step's logits row, which its own generate loop pays too.
llm = Llama(model_path=path, n_ctx=n_prompt + n_gen + 8, n_threads=threads,
            n_threads_batch=threads, n_batch=512, logits_all=True, verbose=False)
text = ""
while len(llm.tokenize(text.encode(), add_bos=False)) < n_prompt:
    text += ("Small language models run well on ordinary CPUs when their kernels read each "
             "weight once per token. ")
prompt = llm.tokenize(text.encode(), add_bos=False)[:n_prompt]
prefill, decode = [], []
for _ in range(runs):
    llm.reset()
    t = time.perf_counter(); llm.eval(prompt); prefill.append(n_prompt / (time.perf_counter() - t))
    t = time.perf_counter()
    for _ in range(n_gen):
        token = int(llm.scores[llm.n_tokens - 1].argmax())
        llm.eval([token])
    decode.append(n_gen / (time.perf_counter() - t))
print(json.dumps({"engine": "llama.cpp", "prefill_tokens_per_s": statistics.median(prefill),
                  "decode_tokens_per_s": statistics.median(decode),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--prompt-tokens", type=int, default=64)
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    path = CACHE / "models" / NAMES[args.model] if args.model in NAMES else pathlib.Path(args.model)
    kiln = subprocess.run([str(BUILD / "bench" / "llm_bench"), str(path), "--prompt-tokens",
                           str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens),
                           "--runs", str(args.runs)], capture_output=True, text=True, check=True)
    kiln = json.loads(kiln.stdout)
    try:
        ref = subprocess.run([sys.executable, "-c", LLAMA_CPP, str(path), str(args.prompt_tokens),
                              str(args.gen_tokens), str(args.runs), str(args.threads)],
                             capture_output=True, text=True, check=True)
        ref = json.loads(ref.stdout)
    except (subprocess.CalledProcessError, json.JSONDecodeError) as e:
        ref = {"engine": "llama.cpp", "error": str(e)[:500]}
    report = {
        "benchmark": "llm",
        "model": path.name,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": {"prompt_tokens": args.prompt_tokens, "gen_tokens": args.gen_tokens,
                     "runs": args.runs, "threads": args.threads,
                     "kiln_threads": 1, "kiln_kernels": "scalar reference"},
        "kiln": kiln,
        "llama_cpp": ref,
    }
    if "decode_tokens_per_s" in ref:
        report["kiln_vs_llama_cpp"] = {
            "decode": round(kiln["decode_tokens_per_s"] / ref["decode_tokens_per_s"], 3),
            "prefill": round(kiln["prefill_tokens_per_s"] / ref["prefill_tokens_per_s"], 3),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
