#!/usr/bin/env python3
"""Converts the packaged all-MiniLM-L6-v2 (safetensors) into a GGUF file.

Reads $KILN_CACHE/models/all-minilm-l6-v2/{model.safetensors, config.json,
vocab.txt, tokenizer_config.json} (KILN_CACHE defaults to ~/.cache/kiln) and
writes two GGUF files into $KILN_CACHE/models with the gguf package's
GGUFWriter, following llama.cpp's BERT conventions (architecture "bert",
its tensor names, "tokenizer.ggml.seperator_token_id" spelled as llama.cpp
spells it):
  all-minilm-l6-v2-f32.gguf   every weight F32 (the exactness reference);
  all-minilm-l6-v2-q8_0.gguf  the six linear layers of each block in Q8_0
                              (ggml's rounding, gguf.quants), embeddings,
                              norms and biases F32: what the server embeds
                              with, on the int8 kernels (AMX tiles where the
                              CPU has them), several times faster than F32
                              at a cosine of >= 0.99 to it
                              (tests/engine/model/minilm_q8_0_test.cc).
Safetensors are parsed here from their JSON header, so no torch is needed.

Idempotent: an output newer than every input (and this script) is left alone.
Deterministic: the same inputs give the same bytes. Prints the output path.
Unlike llama.cpp, the token list is vocab.txt verbatim (no phantom-space
rewrite of "##" pieces); Kiln's WordPiece tokenizer reads it as it is.
"""
import json
import mmap
import os
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

N_LAYERS = 6
INPUTS = ("model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json")
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}

# Hugging Face BERT names -> llama.cpp GGUF names ({} is the layer).
GLOBAL_NAMES = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
LAYER_NAMES = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}

# gguf.TokenType values.
NORMAL, UNKNOWN, CONTROL = 1, 2, 3


def read_safetensors(path: Path):
    """Returns {name: numpy array view} over a read-only mapping of `path`."""
    f = open(path, "rb")
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (header_len,) = struct.unpack("<Q", mm[:8])
    header = json.loads(mm[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
        count = (end - begin) // dtype.itemsize
        arr = np.frombuffer(mm, dtype=dtype, count=count, offset=base + begin)
        tensors[name] = arr.reshape(info["shape"])
    return tensors


def gguf_name(hf_name: str):
    name = hf_name.removeprefix("bert.")
    if name in GLOBAL_NAMES:
        return GLOBAL_NAMES[name]
    parts = name.split(".")
    if parts[:2] != ["encoder", "layer"]:
        return None  # position_ids, pooler: not used
    layer, rest = parts[2], ".".join(parts[3:])
    stem, _, kind = rest.rpartition(".")
    return f"blk.{layer}.{LAYER_NAMES[stem]}.{kind}" if stem in LAYER_NAMES else None


# Layers whose weights the Q8_0 file quantizes (their biases stay F32).
QUANTIZED = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_up", "ffn_down")


def convert(src: Path, out: Path, q8_0: bool) -> None:
    config = json.loads((src / "config.json").read_text())
    tok_config = json.loads((src / "tokenizer_config.json").read_text())
    tokens = (src / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    ids = {t: i for i, t in enumerate(tokens)}
    special = {k: ids[tok_config[k]] for k in
               ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token")}
    types = [NORMAL] * len(tokens)
    for key, i in special.items():
        types[i] = UNKNOWN if key == "unk_token" else CONTROL

    tmp = out.with_name(out.name + ".tmp")
    w = gguf.GGUFWriter(str(tmp), "bert")
    w.add_name("all-MiniLM-L6-v2")
    w.add_context_length(config["max_position_embeddings"])
    w.add_embedding_length(config["hidden_size"])
    w.add_feed_forward_length(config["intermediate_size"])
    w.add_block_count(config["num_hidden_layers"])
    w.add_head_count(config["num_attention_heads"])
    w.add_layer_norm_eps(config["layer_norm_eps"])
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_tokenizer_model("bert")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_type_count(config["type_vocab_size"])
    w.add_uint32("tokenizer.ggml.cls_token_id", special["cls_token"])
    w.add_bos_token_id(special["cls_token"])  # llama.cpp reads [CLS] as BOS
    w.add_sep_token_id(special["sep_token"])
    w.add_pad_token_id(special["pad_token"])
    w.add_unk_token_id(special["unk_token"])
    w.add_mask_token_id(special["mask_token"])

    weights = read_safetensors(src / "model.safetensors")
    named = {}
    for hf_name, arr in weights.items():
        name = gguf_name(hf_name)
        if name is not None:
            named[name] = np.ascontiguousarray(arr, dtype=np.float32)
    expected = len(GLOBAL_NAMES) + N_LAYERS * 2 * len(LAYER_NAMES)
    if len(named) != expected:
        sys.exit(f"convert_minilm: found {len(named)} tensors, expected {expected}")
    # A fixed order (embeddings, then layer by layer) keeps the file deterministic.
    order = list(GLOBAL_NAMES.values()) + [
        f"blk.{i}.{stem}.{kind}" for i in range(N_LAYERS)
        for stem in LAYER_NAMES.values() for kind in ("weight", "bias")]
    for name in order:
        arr = named[name]
        if q8_0 and name.startswith("blk.") and name.split(".")[2] in QUANTIZED \
                and name.endswith(".weight"):
            qt = gguf.GGMLQuantizationType.Q8_0
            w.add_tensor(name, gguf.quants.quantize(arr, qt), raw_dtype=qt)
        else:
            w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, out)


def main() -> None:
    cache = Path(os.environ.get("KILN_CACHE", Path.home() / ".cache" / "kiln"))
    src = cache / "models" / "all-minilm-l6-v2"
    inputs = [src / name for name in INPUTS] + [Path(__file__)]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        sys.exit("convert_minilm: missing " + ", ".join(missing))
    newest = max(p.stat().st_mtime for p in inputs)
    for kind in ("f32", "q8_0"):
        out = cache / "models" / f"all-minilm-l6-v2-{kind}.gguf"
        if not (out.exists() and out.stat().st_mtime > newest):
            convert(src, out, q8_0=(kind == "q8_0"))
        print(out)


if __name__ == "__main__":
    main()
