#!/usr/bin/env python3
"""Compares Kiln's executor with references on the real models and writes the
fixtures CI checks without them.

Chat models: llama.cpp (through llama-cpp-python; run this script with the
python of bench/llm/setup_generic_reference.sh for the no-SIMD build whose
arithmetic Kiln's reference follows, or of setup_reference.sh for the
SIMD build) and Kiln's model_tool run the same
prompt token ids; reported: whether 64 greedy tokens match token for token
(and where they first differ), and the max abs difference of the first
step's logits. Embeddings: an independent numpy BERT forward over the
original safetensors (tokenized by the original tokenizer.json) against
`kiln embed` (cosine per text).

  bench/llm/compare_reference.py [--write-fixtures]
Prints one JSON report. Run with the bench venv's python.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("KILN_CACHE", pathlib.Path.home() / ".cache" / "kiln"))
MODELS = CACHE / "models"
BUILD = pathlib.Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
FIXTURES = ROOT / "tests" / "engine" / "model" / "fixtures"
N_GREEDY = 64
TOP_N = 32

CHAT_MODELS = {
    "smollm2": {
        "file": "smollm2-135m-instruct-q4_1.gguf",
        "prompt": "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
                  "Hugging Face<|im_end|>\n<|im_start|>user\nWrite a short story about a robot "
                  "who learns to paint.<|im_end|>\n<|im_start|>assistant\n",
    },
    "gemma3": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "prompt": "<start_of_turn>user\nWrite a short story about a robot who learns to paint."
                  "<end_of_turn>\n<start_of_turn>model\n",
    },
}

EMBED_TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Kiln runs small language models on ordinary CPUs.",
    "向量数据库用于语义检索。",
    "What is the capital of France?",
    "Paris is the capital and largest city of France.",
    "  Leading and trailing spaces, UPPER case, and café accents.  ",
]


def model_tool(*args):
    tool = BUILD / "tests" / "engine" / "model" / "model_tool"
    out = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"model_tool {args[0]} failed: {out.stderr}")
    return out.stdout


def llama_cpp_run(path, prompt):
    from llama_cpp import Llama, llama_cpp
    # logits_all: llama-cpp-python keeps logits only then (scores is [n_ctx, n_vocab],
    # so the context is kept just large enough).
    probe = Llama(model_path=str(path), n_ctx=64, vocab_only=True, verbose=False)
    tokens = probe.tokenize(prompt.encode(), add_bos=True, special=True)
    llm = Llama(model_path=str(path), n_ctx=len(tokens) + N_GREEDY + 8, n_threads=2, n_batch=512,
                logits_all=True, verbose=False)
    llm.eval(tokens)
    first = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    logits = first
    greedy = []
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    for _ in range(N_GREEDY):
        token = int(np.argmax(logits))
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        greedy.append(token)
        llm.eval([token])
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    return tokens, first, greedy


def compare_chat(name, spec, write):
    path = MODELS / spec["file"]
    tokens, ref_logits, ref_greedy = llama_cpp_run(path, spec["prompt"])
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        model_tool("logits", path, f.name, *tokens)
        ours = np.fromfile(f.name, dtype=np.float32)
    our_greedy = [int(t) for t in model_tool("greedy", path, N_GREEDY, *tokens).split()]
    diff = np.abs(ours - ref_logits)
    first_divergence = next((i for i, (a, b) in enumerate(zip(our_greedy, ref_greedy))
                             if a != b), None)
    if first_divergence is None and len(our_greedy) != len(ref_greedy):
        first_divergence = min(len(our_greedy), len(ref_greedy))
    top = np.argsort(-ref_logits)[:TOP_N]
    report = {
        "model": spec["file"],
        "prompt_tokens": len(tokens),
        "greedy_tokens": {"kiln": len(our_greedy), "llama_cpp": len(ref_greedy)},
        "greedy_match": our_greedy == ref_greedy,
        "first_divergence": first_divergence,
        "first_step_logits": {
            "max_abs_diff": float(diff.max()),
            "mean_abs_diff": float(diff.mean()),
            "argmax_equal": int(np.argmax(ours)) == int(np.argmax(ref_logits)),
            "top_max_abs_diff": float(diff[top].max()),
        },
    }
    if write:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        fixture = {
            "comment": "Made by bench/llm/compare_reference.py from llama.cpp (llama-cpp-python, "
                       "built without SIMD by bench/llm/setup_generic_reference.sh); "
                       "checked by tests/engine/model/reference_test.cc.",
            "model": spec["file"],
            "prompt": spec["prompt"],
            "prompt_tokens": [int(t) for t in tokens],
            "greedy_tokens": ref_greedy,
            "top_logits": [[int(i), float(ref_logits[i])] for i in top],
        }
        (FIXTURES / f"{name}.json").write_text(json.dumps(fixture, ensure_ascii=False, indent=1))
    return report


def numpy_minilm(texts):
    """A plain numpy BERT forward over the original weights (independent of the GGUF
    converter and of Kiln's kernels): mean pooling over tokens, L2-normalised."""
    from tokenizers import Tokenizer
    d = MODELS / "all-minilm-l6-v2"
    tok = Tokenizer.from_file(str(d / "tokenizer.json"))
    tok.no_padding()  # the file pads to 128; padding must not enter the mean pooling
    raw = (d / "model.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]

    def t(name):
        for key in (name, "bert." + name):
            if key in header:
                info = header[key]
                a, b = info["data_offsets"]
                assert info["dtype"] == "F32"
                return np.frombuffer(data[a:b], dtype=np.float32).reshape(info["shape"])
        raise KeyError(name)

    def ln(x, w, b, eps=1e-12):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + eps) * w + b

    from math import erf, sqrt
    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / sqrt(2))))
    out, ids_all = [], []
    for text in texts:
        ids = tok.encode(text).ids
        ids_all.append(ids)
        x = (t("embeddings.word_embeddings.weight")[ids] +
             t("embeddings.position_embeddings.weight")[:len(ids)] +
             t("embeddings.token_type_embeddings.weight")[0])
        x = ln(x, t("embeddings.LayerNorm.weight"), t("embeddings.LayerNorm.bias"))
        for i in range(6):
            p = f"encoder.layer.{i}."
            lin = lambda h, name: h @ t(p + name + ".weight").T + t(p + name + ".bias")
            q, k, v = (lin(x, f"attention.self.{n}").reshape(len(ids), 12, 32).transpose(1, 0, 2)
                       for n in ("query", "key", "value"))
            s = q @ k.transpose(0, 2, 1) / np.sqrt(32)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(1, 0, 2).reshape(len(ids), 384)
            x = ln(x + lin(a, "attention.output.dense"), t(p + "attention.output.LayerNorm.weight"),
                   t(p + "attention.output.LayerNorm.bias"))
            h = gelu(lin(x, "intermediate.dense"))
            x = ln(x + lin(h, "output.dense"), t(p + "output.LayerNorm.weight"),
                   t(p + "output.LayerNorm.bias"))
        e = x.mean(0)
        out.append(e / np.linalg.norm(e))
    return np.array(out, dtype=np.float32), ids_all


def compare_embeddings(write):
    ref, ids = numpy_minilm(EMBED_TEXTS)
    args = [str(BUILD / "app" / "kiln"), "embed", "--model", str(MODELS / "all-minilm-l6-v2-f32.gguf")]
    for text in EMBED_TEXTS:
        args += ["--text", text]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"kiln embed failed: {out.stderr}")
    ours = np.array([json.loads(line) for line in out.stdout.splitlines()], dtype=np.float32)
    cosines = [float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(ours, ref)]
    if write:
        fixture = {
            "comment": "Made by bench/llm/compare_reference.py: a numpy BERT forward over the "
                       "original all-MiniLM-L6-v2 safetensors; checked by reference_test.cc.",
            "texts": EMBED_TEXTS,
            "token_ids": ids,
            "embeddings": [[round(float(v), 7) for v in e] for e in ref],
        }
        FIXTURES.mkdir(parents=True, exist_ok=True)
        (FIXTURES / "minilm.json").write_text(json.dumps(fixture, ensure_ascii=False))
    return {"model": "all-minilm-l6-v2", "cosine_min": min(cosines), "cosines": cosines}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-fixtures", action="store_true")
    parser.add_argument("--only", choices=["smollm2", "gemma3", "minilm"], action="append")
    args = parser.parse_args()
    report = {}
    for name, spec in CHAT_MODELS.items():
        if not args.only or name in args.only:
            report[name] = compare_chat(name, spec, args.write_fixtures)
    if not args.only or "minilm" in args.only:
        report["minilm"] = compare_embeddings(args.write_fixtures)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
