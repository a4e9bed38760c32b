#!/usr/bin/env python3
"""Writes the tokenizer reference fixtures in tests/engine/tokenizer/fixtures/.

Each fixture is a JSON list of {"text", "add_special", "parse_special", "ids"}.

  smollm2.json, gemma3.json: llama.cpp's tokenizer through llama-cpp-python
    (Llama(vocab_only=True).tokenize), the implementation Kiln matches. SmolLM2
    is cross-checked against Hugging Face `tokenizers` rebuilt from the GGUF
    (BPE + Digits(individual) + ByteLevel); disagreements are printed.
  minilm.json: Hugging Face `tokenizers` with the model's own tokenizer.json
    (truncation and padding off).

Usage (needs llama-cpp-python, gguf and tokenizers):
  /root/.cache/kiln/bench-venv/bin/python scripts/make_tokenizer_fixtures.py [--models DIR]
The script re-executes itself per model under the interpreter that has the
needed package (KILN_LLAMA_PY for llama_cpp, KILN_HF_PY for gguf/tokenizers).
"""
import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "engine", "tokenizer", "fixtures")
CACHE = os.environ.get("KILN_CACHE", os.path.expanduser("~/.cache/kiln"))
LLAMA_PY = os.environ.get("KILN_LLAMA_PY", os.path.join(CACHE, "bench-venv", "bin", "python"))
HF_PY = os.environ.get("KILN_HF_PY", os.path.join(CACHE, "venv", "bin", "python"))

TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "",
    " ",
    "   leading and trailing spaces   ",
    "multiple    spaces\tand\ttabs",
    "line one\nline two\n\nline four\r\n",
    "\n\n\n",
    "Numbers: 12345 and 3.14159, 1,000,000; 2024-05-13 v1.2.3",
    "I'm sure you'll see they've done it, didn't they? We'd go. IT'S",
    "CAPS LOCK AND MiXeD CaSe",
    "Emoji: 😀🎉👍🏽 👨‍👩‍👧‍👦 ❤️ 🇨🇳",
    "你好，世界！",
    "Mixed 中文 and English 混合 text 123",
    "日本語のテキストです。カタカナ",
    "안녕하세요 세계",
    "مرحبا بالعالم",
    "Привет, мир! Ёжик",
    "Café naïve résumé façade Ångström",
    "def foo(x):\n    return x ** 2  # square\n",
    'int main() { printf("%d\\n", a[i++]); return 0; }',
    '{"key": [1, 2, 3], "nested": {"a": null}}',
    "https://example.com/path?q=1&r=two#frag",
    "<table><tr><td>cell</td></tr></table>",
    "Tabs\t\t\tand    many     spaces          end",
    "∑ x² ≤ ½ · π ≈ 3.14 ①②③",
    "Ünïcödé ĦĒĹĹŎ ǅ ß ﬁ İstanbul ΣΑΣ",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a" * 120,
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "ctl\x01chars\x7fhere",
    "'s 's 'S 'll 'LL 're've'm'd",
    "   \n   \n  x  ",
    "Thai: สวัสดีครับ Hindi: नमस्ते दुनिया",
    "!!!??? ... --- *** ~~~",
    "A\u00a0non-breaking\u3000ideographic space",
    "U+FFFD: \ufffd literal",
    "unassigned \u0378, private \ue000, astral \U00020000 \U0001F9FF",
    "\t\tindented\n\n\n    code\n\t<b>bold</b>",
]
# Special-token texts, tokenized with and without parse_special.
SPECIAL_TEXTS = {
    "smollm2": ["<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
                "<|endoftext|>text<|im_end|>"],
    "gemma3": ["<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n",
               "<bos>text<eos><unk>"],
    "minilm": ["[CLS] hello [SEP] world [MASK]"],
}


def corpus_sentences():
    out = []
    for path in sorted(glob.glob("/work/shared/corpus/0*.txt"))[:3]:
        with open(path, encoding="utf-8") as f:
            lines = [l.strip() for l in f if len(l.strip()) > 20]
        out += [l[:120] for l in lines[2:4]]
    return out


def cases(model):
    result = [(t, True, True) for t in TEXTS + corpus_sentences()]
    result.append(("Hello world", False, True))
    for t in SPECIAL_TEXTS[model]:
        result.append((t, True, True))
        if model != "minilm":  # HF always splits on added tokens
            result.append((t, False, False))
    return result


def run_llama(model_path, model):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    return [{"text": t, "add_special": a, "parse_special": p,
             "ids": llm.tokenize(t.encode("utf-8"), add_bos=a, special=p)}
            for t, a, p in cases(model)]


def hf_from_smollm_gguf(model_path):
    import gguf
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers
    r = gguf.GGUFReader(model_path)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    types = r.fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ", 1)) for m in r.fields["tokenizer.ggml.merges"].contents()]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok


def run_hf(model, models_dir, reference):
    from tokenizers import Tokenizer
    if model == "minilm":
        tok = Tokenizer.from_file(os.path.join(models_dir, "all-minilm-l6-v2", "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
    else:
        tok = hf_from_smollm_gguf(os.path.join(models_dir, "smollm2-135m-instruct-q4_1.gguf"))
    out = []
    for t, a, p in cases(model):
        ids = tok.encode(t, add_special_tokens=a).ids
        out.append({"text": t, "add_special": a, "parse_special": p, "ids": ids})
    if reference:
        for mine, ref in zip(out, reference):
            if ref["parse_special"] and mine["ids"] != ref["ids"]:
                print("  HF differs from llama.cpp on %r:\n    llama %s\n    hf    %s"
                      % (ref["text"], ref["ids"], mine["ids"]), file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(CACHE, "models"))
    ap.add_argument("--worker", choices=["llama", "hf"])
    ap.add_argument("--model")
    ap.add_argument("--reference")
    args = ap.parse_args()
    if args.worker == "llama":
        path = {"smollm2": "smollm2-135m-instruct-q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}
        json.dump(run_llama(os.path.join(args.models, path[args.model]), args.model), sys.stdout)
        return
    if args.worker == "hf":
        reference = json.load(open(args.reference)) if args.reference else None
        json.dump(run_hf(args.model, args.models, reference), sys.stdout)
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    me = os.path.abspath(__file__)
    for model in ["smollm2", "gemma3", "minilm"]:
        if model == "minilm":
            data = subprocess.check_output([HF_PY, me, "--worker", "hf", "--model", model,
                                            "--models", args.models])
        else:
            data = subprocess.check_output([LLAMA_PY, me, "--worker", "llama", "--model", model,
                                            "--models", args.models])
        path = os.path.join(OUT_DIR, model + ".json")
        entries = json.loads(data)
        with open(path, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n]\n")
        print("%s: %d cases -> %s" % (model, len(entries), os.path.relpath(path, ROOT)))
        if model == "smollm2":
            subprocess.check_call([HF_PY, me, "--worker", "hf", "--model", model, "--models",
                                   args.models, "--reference", path], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
