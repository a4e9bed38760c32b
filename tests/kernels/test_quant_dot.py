"""Cross-check of the quantized-activation dots (kernels/cpu/quant_dot_ref*.cc)
against an independent numpy form of ggml's generic vec_dot path:

  * activations quantized as ggml's quantize_row_q8_0_ref / _q8_1_ref /
    _q8_K_ref (and f32 -> f16 / bf16 rounding to nearest even);
  * weight codes decoded from the raw bytes (layouts as kernels/blocks.h);
  * per block integer sums, then the float32 steps of ggml-cpu/quants.c
    ggml_vec_dot_*_generic in ggml's operand order, accumulated over blocks
    sequentially (np.add.accumulate), the K-quants' 8 lanes included;
    F32/F16/BF16 as ggml-cpu/vec.cpp without GGML_SIMD (float products summed
    in double).

The C++ side is `kernels_tool qdot` (and `kernels_tool quant` for the
activation bytes), found as in test_formats_vs_gguf.py.

Expected agreement: bit-exact. Both sides do the same IEEE float32 operations
in the same order (the C++ reference is compiled with -ffp-contract=off, numpy
never fuses), and integer sums are exact; so the assertion is equality, with
the relative difference reported if it ever fails.
"""
import pathlib
import subprocess

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

MODELS = pathlib.Path.home() / ".cache" / "kiln" / "models"
F32 = np.float32

# Byte offsets of the f16 scale fields in one block (kernels/blocks.h).
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
ACTIVATION = {
    T.Q4_0: T.Q8_0, T.Q5_0: T.Q8_0, T.Q8_0: T.Q8_0, T.Q4_1: T.Q8_1, T.Q5_1: T.Q8_1,
    T.Q2_K: T.Q8_K, T.Q3_K: T.Q8_K, T.Q4_K: T.Q8_K, T.Q5_K: T.Q8_K, T.Q6_K: T.Q8_K,
    T.F32: T.F32, T.F16: T.F16, T.BF16: T.BF16,
}


def run(tool, *args):
    result = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def qdot_ours(tool, tmp_path, qtype, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    wp, xp, out = tmp_path / "w.bin", tmp_path / "x.f32", tmp_path / "y.f32"
    wp.write_bytes(np.ascontiguousarray(w).tobytes())
    xp.write_bytes(x.astype(F32).tobytes())
    run(tool, "qdot", qtype.name, wp, xp, out)
    return np.frombuffer(out.read_bytes(), dtype=F32)


def quant_ours(tool, tmp_path, qtype, x: np.ndarray) -> bytes:
    xp, out = tmp_path / "x.f32", tmp_path / "xq.bin"
    xp.write_bytes(x.astype(F32).tobytes())
    run(tool, "quant", qtype.name, xp, out)
    return out.read_bytes()


# ---- activation quantizers (ggml-quants.c *_ref) -----------------------------

def roundf(v):
    """C roundf: halves away from zero (float64 keeps |v| + 0.5 exact)."""
    return np.copysign(np.floor(np.abs(v).astype(np.float64) + 0.5), v)


def safe_inverse(d):
    with np.errstate(divide="ignore"):
        return np.where(d != 0, F32(1) / d, F32(0)).astype(F32)


def quantize_q8_0(x):
    """-> (d as float32 of the f16 scale, codes int8 [nb, 32], f16 s or None)."""
    xb = x.reshape(-1, 32)
    d = np.max(np.abs(xb), axis=1) / F32(127)
    q = roundf(xb * safe_inverse(d)[:, None]).astype(np.int8)
    return d.astype(np.float16), q, d


def quantize_q8_1(x):
    d16, q, d = quantize_q8_0(x)
    s = (q.astype(np.int32).sum(axis=1).astype(F32) * d).astype(np.float16)
    return d16, q, s


def quantize_q8_k(x):
    xb = x.reshape(-1, 256)
    nb = xb.shape[0]
    mx = xb[np.arange(nb), np.argmax(np.abs(xb), axis=1)]  # first largest |x|, signed
    with np.errstate(divide="ignore"):
        iscale = np.where(mx != 0, F32(-127) / mx, F32(0)).astype(F32)
    q = np.minimum(np.rint(iscale[:, None] * xb), 127).astype(np.int8)  # rint: halves to even
    d = safe_inverse(iscale)
    bsums = q.astype(np.int32).reshape(nb, 16, 16).sum(axis=2)
    return d, q, bsums


def q8_bytes(qtype, x) -> bytes:
    if qtype == T.Q8_0:
        d16, q, _ = quantize_q8_0(x)
        return b"".join(d16[i:i + 1].tobytes() + q[i].tobytes() for i in range(len(q)))
    if qtype == T.Q8_1:
        d16, q, s = quantize_q8_1(x)
        return b"".join(d16[i:i + 1].tobytes() + s[i:i + 1].tobytes() + q[i].tobytes()
                        for i in range(len(q)))
    d, q, bsums = quantize_q8_k(x)
    return b"".join(d[i:i + 1].tobytes() + q[i].tobytes() + bsums[i].astype(np.int16).tobytes()
                    for i in range(len(q)))


# ---- weight decoding (kernels/blocks.h) --------------------------------------

def f16_field(raw, offset):
    return np.ascontiguousarray(raw[..., offset:offset + 2]).view(np.float16)[..., 0].astype(F32)


def nibbles32(qs):
    """16 bytes -> 32 values: low nibbles are values 0..15, high 16..31."""
    return np.concatenate([qs & 0xF, qs >> 4], axis=-1).astype(np.int64)


def high_bits32(qh4):
    qh = np.ascontiguousarray(qh4).view("<u4")[..., 0].astype(np.int64)
    return (qh[..., None] >> np.arange(32)) & 1


def two_bits256(qs):
    """Q2_K/Q3_K low bits: value p at qs[32 * (p // 128) + p % 32] >> 2 * ((p // 32) % 4)."""
    p = np.arange(256)
    return (qs[..., 32 * (p // 128) + p % 32].astype(np.int64) >> (2 * ((p // 32) % 4))) & 3


def q4k_nibbles256(qs):
    p = np.arange(256)
    byte = qs[..., 32 * (p // 64) + p % 32].astype(np.int64)
    return np.where((p % 64) < 32, byte & 0xF, byte >> 4)


def q4k_scales_mins(packed):
    s = packed.astype(np.int64)
    scales = np.empty(packed.shape[:-1] + (8,), np.int64)
    mins = np.empty_like(scales)
    for k in range(8):
        if k < 4:
            scales[..., k] = s[..., k] & 63
            mins[..., k] = s[..., k + 4] & 63
        else:
            scales[..., k] = (s[..., k + 4] & 0xF) | (s[..., k - 4] >> 6) << 4
            mins[..., k] = (s[..., k + 4] >> 4) | (s[..., k] >> 6) << 4
    return scales, mins


def q3k_scales(packed):
    s = packed.astype(np.int64)
    out = np.empty(packed.shape[:-1] + (16,), np.int64)
    for k in range(16):
        low = s[..., k] & 0xF if k < 8 else s[..., k - 8] >> 4
        high = (s[..., 8 + k % 4] >> (2 * (k // 4))) & 3
        out[..., k] = (low | high << 4) - 32
    return out


def q6k_codes(ql, qh):
    p = np.arange(256)
    h, j = p // 128, p % 128
    lbyte = ql[..., 64 * h + j % 64].astype(np.int64)
    low = np.where(j < 64, lbyte & 0xF, lbyte >> 4)
    high = (qh[..., 32 * h + j % 32].astype(np.int64) >> (2 * (j // 32))) & 3
    return (low | high << 4) - 32


# ---- the dots (ggml-cpu/quants.c *_generic) -----------------------------------

def sequential_sum(terms, start=None):
    """sumf = start; for b: sumf += terms[:, b] -- in float32, in order."""
    rows = terms.shape[0]
    first = np.zeros((rows, 1), F32) if start is None else start.reshape(rows, 1).astype(F32)
    return np.add.accumulate(np.concatenate([first, terms.astype(F32)], axis=1), axis=1)[:, -1]


def lanes(a, scale, group, q8, d):
    """The 8-lane accumulation of the Q3_K..Q6_K dots: per super-block
    aux32[l] = sum over p % 8 == l of scale[p // group] * q8[p] * a[p]; then
    sums[l] += d * aux32[l] over super-blocks. -> sums [rows, 8] float32."""
    prod = np.repeat(scale, group, axis=-1) * (q8[None].astype(np.int64) * a)
    aux32 = prod.reshape(prod.shape[:2] + (32, 8)).sum(axis=2)  # [rows, nb, 8]
    sums = np.zeros((a.shape[0], 8), F32)
    for b in range(a.shape[1]):
        sums = sums + d[:, b:b + 1] * aux32[:, b].astype(F32)
    return sums


def finish_lanes(sumf, sums):
    for l in range(8):
        sumf = sumf + sums[:, l]
    return sumf


def dot_numpy(qtype, w_raw: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ggml's result for each row of w_raw (uint8 [rows, row_bytes]) with x."""
    rows, n = w_raw.shape[0], x.size
    if qtype in (T.F32, T.F16, T.BF16):
        if qtype == T.F32:
            w, xa = w_raw.view(F32), x
        elif qtype == T.F16:
            w, xa = w_raw.view(np.float16).astype(F32), x.astype(np.float16).astype(F32)
        else:
            def bf16(u16):
                return (u16.astype(np.uint32) << 16).view(F32)
            bits = x.view(np.uint32).astype(np.uint64)
            xa = bf16(((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16))
            w = bf16(w_raw.view(np.uint16))
        prods = (w * xa[None]).astype(np.float64)  # float32 products, then ggml_float
        return np.add.accumulate(prods, axis=1)[:, -1].astype(F32)

    block, type_size = GGML_QUANT_SIZES[qtype]
    nb = n // block
    wb = w_raw.reshape(rows, nb, type_size)
    act = ACTIVATION[qtype]
    if act in (T.Q8_0, T.Q8_1):
        if act == T.Q8_0:
            dx16, q8, _ = quantize_q8_0(x)
        else:
            dx16, q8, sx16 = quantize_q8_1(x)
        dx = dx16.astype(F32)[None]  # [1, nb]
        dw = f16_field(wb, 0)
        if qtype == T.Q4_0:
            codes = nibbles32(wb[..., 2:18]) - 8
        elif qtype == T.Q4_1:
            codes = nibbles32(wb[..., 4:20])
        elif qtype == T.Q5_0:
            codes = (nibbles32(wb[..., 6:22]) | high_bits32(wb[..., 2:6]) << 4) - 16
        elif qtype == T.Q5_1:
            codes = nibbles32(wb[..., 8:24]) | high_bits32(wb[..., 4:8]) << 4
        else:  # Q8_0
            codes = np.ascontiguousarray(wb[..., 2:34]).view(np.int8).astype(np.int64)
        sumi = (codes * q8[None].astype(np.int64)).sum(axis=-1).astype(F32)
        if qtype == T.Q4_0:
            terms = sumi * dw * dx  # (sumi * d_w) * d_x
        elif qtype in (T.Q4_1, T.Q5_1):
            terms = (dw * dx) * sumi + f16_field(wb, 2) * sx16.astype(F32)[None]
        elif qtype == T.Q5_0:
            terms = (dw * dx) * sumi
        else:
            terms = sumi * (dw * dx)
        return sequential_sum(terms)

    yd, q8, bsums = quantize_q8_k(x)
    if qtype == T.Q2_K:
        sc = wb[..., 0:16].astype(np.int64)
        a = two_bits256(wb[..., 16:80])
        isuml = (q8[None].astype(np.int64) * a).reshape(rows, nb, 16, 16).sum(axis=-1)
        isum = ((sc & 0xF) * isuml).sum(axis=-1).astype(F32)
        summs = (bsums[None] * (sc >> 4)).sum(axis=-1).astype(F32)
        dall = yd[None] * f16_field(wb, 80)
        dmin = yd[None] * f16_field(wb, 82)
        return sequential_sum(dall * isum - dmin * summs)
    d = f16_field(wb, {T.Q3_K: 108, T.Q4_K: 0, T.Q5_K: 0, T.Q6_K: 208}[qtype]) * yd[None]
    if qtype == T.Q3_K:
        high = (wb[..., 0:32].astype(np.int64)[..., np.arange(256) % 32] >> (np.arange(256) // 32)) & 1
        a = two_bits256(wb[..., 32:96]) - np.where(high == 1, 0, 4)
        return finish_lanes(np.zeros(rows, F32), lanes(a, q3k_scales(wb[..., 96:108]), 16, q8, d))
    if qtype == T.Q6_K:
        a = q6k_codes(wb[..., 0:128], wb[..., 128:192])
        scales = np.ascontiguousarray(wb[..., 192:208]).view(np.int8).astype(np.int64)
        return finish_lanes(np.zeros(rows, F32), lanes(a, scales, 16, q8, d))
    # Q4_K, Q5_K
    scales, mins = q4k_scales_mins(wb[..., 4:16])
    if qtype == T.Q4_K:
        a = q4k_nibbles256(wb[..., 16:144])
    else:
        high = (wb[..., 16:48].astype(np.int64)[..., np.arange(256) % 32] >> (np.arange(256) // 32)) & 1
        a = q4k_nibbles256(wb[..., 48:176]) + 16 * high
    sumi = (bsums[None] * np.repeat(mins, 2, axis=-1)).sum(axis=-1).astype(F32)
    dmin = f16_field(wb, 2) * yd[None]
    sumf = sequential_sum(-(dmin * sumi))  # sumf -= dmin * sumi, block by block
    return finish_lanes(sumf, lanes(a, scales, 32, q8, d))


# ---- inputs ------------------------------------------------------------------

def random_weights(qtype, rows, n, rng) -> np.ndarray:
    block, type_size = GGML_QUANT_SIZES[qtype]
    nb = rows * n // block
    if qtype == T.F32:
        return rng.uniform(-4, 4, rows * n).astype(F32).view(np.uint8).reshape(rows, -1)
    if qtype == T.F16:
        return rng.uniform(-4, 4, rows * n).astype(np.float16).view(np.uint8).reshape(rows, -1)
    if qtype == T.BF16:
        bits = rng.integers(0, 1 << 16, rows * n, dtype=np.uint16)
        bits = (bits & 0x807F) | 0x3F00  # finite, |v| in [0.5, 2)
        return bits.view(np.uint8).reshape(rows, -1)
    raw = rng.integers(0, 256, size=(nb, type_size), dtype=np.uint8)
    for offset in F16_FIELDS[qtype]:
        s = np.exp2(rng.uniform(-8, 2, nb)) * rng.choice([-1.0, 1.0], nb)
        raw[:, offset:offset + 2] = s.astype(np.float16).view(np.uint8).reshape(nb, 2)
    return raw.reshape(rows, -1)


def activations(n, rng) -> np.ndarray:
    """Activation-like: per-32 magnitudes from 2^-6 to 2^4, a few outliers,
    exact ties (x = k + 0.5 times a power of two) and an all-zero stretch."""
    x = rng.standard_normal(n) * np.repeat(np.exp2(rng.uniform(-6, 4, n // 32)), 32)
    x[rng.integers(0, n, max(1, n // 100))] *= 30
    x[:8] = [127, -63.5, 0.5, -0.5, 2.5, -2.5, 1.5, 3]
    x[32:64] = 0
    return x.astype(F32)


def assert_same(ours, theirs, what):
    theirs = np.asarray(theirs, dtype=F32)
    assert ours.shape == theirs.shape, what
    bad = np.nonzero(ours != theirs)[0]
    if bad.size:
        i = bad[0]
        rel = abs(float(ours[i]) - float(theirs[i])) / max(abs(float(theirs[i])), 1e-30)
        pytest.fail(f"{what}: {bad.size} of {ours.size} rows differ, first row {i}: ours "
                    f"{ours[i]!r} numpy {theirs[i]!r} (relative {rel:.3g})")


ALL_TYPES = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0,
             T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]


@pytest.mark.parametrize("act", [T.Q8_0, T.Q8_1, T.Q8_K], ids=lambda t: t.name)
def test_activation_bytes_match_numpy_quantizer(tool, tmp_path, act):
    rng = np.random.default_rng(100 + int(act))
    x = activations(8 * 256, rng)
    assert quant_ours(tool, tmp_path, act, x) == q8_bytes(act, x)


@pytest.mark.parametrize("qtype", ALL_TYPES, ids=lambda t: t.name)
def test_random_rows_match_numpy(tool, tmp_path, qtype):
    rng = np.random.default_rng(int(qtype))
    for blocks in (1, 2, 3, 7, 8, 9):
        n = blocks * 256 if ACTIVATION[qtype] == T.Q8_K else blocks * 32
        x = activations(n, rng)
        w = random_weights(qtype, 16, n, rng)
        assert_same(qdot_ours(tool, tmp_path, qtype, w, x), dot_numpy(qtype, w, x),
                    f"{qtype.name} n={n}")


def model_rows(name, types, per_type=3, max_rows=64):
    """Up to `per_type` 2-D tensors of each type: (name, type, uint8 [rows, row_bytes])."""
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"model {path} not downloaded")
    reader = gguf.GGUFReader(str(path))
    found = {t: [] for t in types}
    for tensor in reader.tensors:
        qtype = T(tensor.tensor_type)
        if qtype not in found or len(found[qtype]) >= per_type or len(tensor.shape) < 2:
            continue
        cols = int(tensor.shape[0])
        block, type_size = GGML_QUANT_SIZES[qtype]
        row_bytes = cols // block * type_size
        raw = np.ascontiguousarray(tensor.data).view(np.uint8).reshape(-1)
        rows = min(max_rows, raw.size // row_bytes)
        found[qtype].append((tensor.name, qtype, raw[:rows * row_bytes].reshape(rows, row_bytes)))
    for qtype, items in found.items():
        assert items, f"{name} has no 2-D {qtype.name} tensor"
    return [item for items in found.values() for item in items]


@pytest.mark.parametrize("model,types", [
    ("smollm2-135m-instruct-q4_1.gguf", [T.Q4_1, T.Q8_0]),
    ("gemma-3-270m-q4_k_m.gguf", [T.Q5_0, T.Q4_K, T.Q6_K, T.Q8_0]),
], ids=["smollm2", "gemma3"])
def test_real_rows_match_numpy(tool, tmp_path, model, types):
    rng = np.random.default_rng(7)
    for name, qtype, w in model_rows(model, types):
        block, type_size = GGML_QUANT_SIZES[qtype]
        n = w.shape[1] // type_size * block
        x = activations(n, rng)
        assert_same(qdot_ours(tool, tmp_path, qtype, w, x), dot_numpy(qtype, w, x),
                    f"{model} {name} {qtype.name}")


# Payload byte that makes every code extreme (Q4_0/Q5_0: -8/-16; Q4_1/Q5_1:
# 15/31; Q8_0: 127).
EXTREME_BYTE = {T.Q4_0: 0x00, T.Q5_0: 0x00, T.Q4_1: 0xFF, T.Q5_1: 0xFF, T.Q8_0: 0x7F}


@pytest.mark.parametrize("qtype", list(EXTREME_BYTE), ids=lambda t: t.name)
def test_large_block_sums_match_numpy(tool, tmp_path, qtype):
    """Same-signed activations and mostly extreme codes make |sumi| reach
    2^13..2^19, where sumi * d_w (or sumi * d_x) no longer fits 24 bits: only
    then do (sumi * d_w) * d_x and sumi * (d_w * d_x) round differently, so
    this is where ggml's operand order is actually checked."""
    rng = np.random.default_rng(500 + int(qtype))
    n = 9 * 32
    x = rng.uniform(0.5, 1.0, n).astype(F32)
    w = random_weights(qtype, 64, n, rng).reshape(-1, GGML_QUANT_SIZES[qtype][1])
    payload = np.ones(w.shape[1], bool)
    for offset in F16_FIELDS[qtype]:
        payload[offset:offset + 2] = False
    fill = (rng.uniform(size=w.shape) < 0.9) & payload
    w[fill] = EXTREME_BYTE[qtype]
    w = w.reshape(64, -1)
    assert_same(qdot_ours(tool, tmp_path, qtype, w, x), dot_numpy(qtype, w, x), qtype.name)
