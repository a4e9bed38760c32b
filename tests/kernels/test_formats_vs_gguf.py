"""Cross-check of Kiln's reference kernels (kernels/cpu/reference*.cc) against
an independent implementation: gguf-py's numpy (de)quantizers, on random valid
blocks and on real tensors of the cached models.

The C++ side is reached through the `kernels_tool` binary
($KILN_BUILD_DIR/tests/kernels/kernels_tool, KILN_BUILD_DIR defaulting to
`build` under the repository root).

Expected agreement: bit-exact everywhere. gguf-py computes in float32 with
the same operations in the same order as ggml (d * q, then - m or + m), and
the reference is compiled with -ffp-contract=off, so no rounding differs;
NaN values (only possible in the plain F16/BF16/F32 rows, which use random
bit patterns) are compared as NaN-ness. Q8_K has no gguf-py implementation
and is covered by the C++ tests only.
"""
import pathlib
import subprocess

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

MODELS = pathlib.Path.home() / ".cache" / "kiln" / "models"

# Byte offsets of the f16 scale fields in one block (kernels/blocks.h).
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
PLAIN = [T.F32, T.F16, T.BF16]
DEQUANT_TYPES = PLAIN + list(F16_FIELDS)
# Types for which gguf-py has a quantizer to compare bytes with.
QUANT_TYPES = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]


def run_tool(tool, tmp_path, command, qtype, data: bytes) -> bytes:
    src, dst = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(data)
    result = subprocess.run([str(tool), command, qtype.name, str(src), str(dst)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return dst.read_bytes()


def dequant_ours(tool, tmp_path, qtype, raw: np.ndarray) -> np.ndarray:
    out = run_tool(tool, tmp_path, "dequant", qtype, raw.tobytes())
    return np.frombuffer(out, dtype=np.float32)


def assert_same_floats(ours: np.ndarray, theirs: np.ndarray, what: str):
    theirs = np.asarray(theirs, dtype=np.float32).reshape(-1)
    assert ours.shape == theirs.shape, what
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan), f"{what}: NaN positions differ"
    bad = np.nonzero(ours[~nan].view(np.uint32) != theirs[~nan].view(np.uint32))[0]
    assert bad.size == 0, (f"{what}: {bad.size} of {ours.size} values differ, first at {bad[0]}: "
                           f"ours {ours[~nan][bad[0]]!r} gguf {theirs[~nan][bad[0]]!r}")


def random_blocks(qtype, n_blocks, rng) -> np.ndarray:
    """Random bytes, with every f16 scale replaced by a finite value of modest
    size (|s| in [2^-8, 2^2), either sign). Plain types keep random bits (so
    NaN, inf and subnormals are exercised too)."""
    _, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for offset in F16_FIELDS.get(qtype, []):
        s = np.exp2(rng.uniform(-8, 2, n_blocks)) * rng.choice([-1.0, 1.0], n_blocks)
        raw[:, offset:offset + 2] = s.astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(-1)


@pytest.mark.parametrize("qtype", DEQUANT_TYPES, ids=lambda t: t.name)
def test_dequantize_random_blocks_matches_gguf(tool, tmp_path, qtype):
    rng = np.random.default_rng(int(qtype))
    raw = random_blocks(qtype, 997, rng)
    ours = dequant_ours(tool, tmp_path, qtype, raw)
    assert_same_floats(ours, gguf.quants.dequantize(raw, qtype), qtype.name)


def random_values(n, rng) -> np.ndarray:
    # Blocks of 32 with their own magnitude (2^-4 .. 2^6), as real weights vary.
    scale = np.repeat(np.exp2(rng.uniform(-4, 6, n // 32)), 32)
    return (rng.uniform(-1, 1, n) * scale).astype(np.float32)


@pytest.mark.parametrize("qtype", QUANT_TYPES, ids=lambda t: t.name)
def test_quantize_matches_gguf_bytes(tool, tmp_path, qtype):
    rng = np.random.default_rng(1000 + int(qtype))
    x = random_values(64 * 32, rng)
    # Ties and clipping edges: a block whose values sit exactly on code
    # boundaries for d = 1 (Q8_0: amax 127; Q4_0: max -8), plus an all-zero block.
    x[:32] = np.array([127, -63.5, 0.5, -0.5, 2.5, -8, 8, 7.5] * 4, dtype=np.float32)
    x[32:64] = 0
    ours = run_tool(tool, tmp_path, "quant", qtype, x.tobytes())
    theirs = gguf.quants.quantize(x, qtype)
    theirs = np.ascontiguousarray(theirs).view(np.uint8).tobytes()
    assert ours == theirs, f"{qtype.name}: quantized bytes differ from gguf-py"


# Round-trip bounds, per block (derivations in tests/kernels/reference_legacy_test.cc):
# code rounding (in units of d), plus f16 storage of d (|q|max * d * 2^-11)
# and of m (|min| * 2^-11), plus 8 float ulps of the block's magnitude.
ROUND_TRIP = {  # type: (divisor of amax or range, code error, |q|max, has min)
    T.Q8_0: (127, 0.5, 127, False), T.Q4_0: (8, 1.0, 8, False), T.Q5_0: (16, 1.0, 16, False),
    T.Q4_1: (15, 0.5, 15, True), T.Q5_1: (31, 0.5, 31, True),
}


@pytest.mark.parametrize("qtype", list(ROUND_TRIP), ids=lambda t: t.name)
def test_our_quantized_bytes_dequantize_close_by_gguf(tool, tmp_path, qtype):
    rng = np.random.default_rng(2000 + int(qtype))
    x = random_values(128 * 32, rng)
    raw = np.frombuffer(run_tool(tool, tmp_path, "quant", qtype, x.tobytes()), dtype=np.uint8)
    y = gguf.quants.dequantize(raw, qtype).reshape(-1, 32).astype(np.float64)
    xb = x.reshape(-1, 32).astype(np.float64)
    divisor, code_err, qmax, has_min = ROUND_TRIP[qtype]
    lo, hi = xb.min(axis=1, keepdims=True), xb.max(axis=1, keepdims=True)
    amax = np.maximum(abs(lo), abs(hi))
    d = (hi - lo) / divisor if has_min else amax / divisor
    f16 = 2.0**-11
    tol = code_err * d + qmax * d * f16 + (abs(lo) * f16 if has_min else 0) + 8 * amax * 2.0**-24
    assert np.all(abs(y - xb) <= tol), f"{qtype.name}: max excess {np.max(abs(y - xb) - tol)}"


def model_tensors(name, types, per_type=3, max_bytes=1 << 20):
    """Up to `per_type` tensors of each type in `types` from a cached model:
    (tensor name, type, raw bytes of its first rows, at most max_bytes)."""
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"model {path} not downloaded")
    reader = gguf.GGUFReader(str(path))
    found = {t: [] for t in types}
    for tensor in reader.tensors:
        qtype = T(tensor.tensor_type)
        if qtype in found and len(found[qtype]) < per_type:
            raw = np.ascontiguousarray(tensor.data).view(np.uint8).reshape(-1)
            _, type_size = GGML_QUANT_SIZES[qtype]
            keep = min(raw.size, max_bytes) // type_size * type_size
            found[qtype].append((tensor.name, qtype, raw[:keep].copy()))
    for qtype, items in found.items():
        assert items, f"{name} has no {qtype.name} tensor"
    return [item for items in found.values() for item in items]


@pytest.mark.parametrize("model,types", [
    ("smollm2-135m-instruct-q4_1.gguf", [T.Q4_1, T.Q8_0, T.F32]),
    ("gemma-3-270m-q4_k_m.gguf", [T.Q5_0, T.Q4_K, T.Q6_K, T.Q8_0]),
], ids=["smollm2", "gemma3"])
def test_real_tensors_match_gguf(tool, tmp_path, model, types):
    for name, qtype, raw in model_tensors(model, types):
        ours = dequant_ours(tool, tmp_path, qtype, raw)
        assert_same_floats(ours, gguf.quants.dequantize(raw, qtype), f"{model} {name} {qtype.name}")
