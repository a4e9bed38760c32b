"""Cross-checks Kiln's GGUF reader and writer against the Python gguf package.

gguf_dump (built next to the C++ tests) prints what our reader sees; the
reference is gguf.GGUFReader. Arrays and tensor data are compared by the CRC-32
of a canonical encoding, described at the top of gguf_dump.cc.
"""
import json
import os
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

ROOT = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("KILN_BUILD_DIR", "build"))
if not BUILD.is_absolute():
    BUILD = ROOT / BUILD
DUMP = BUILD / "tests" / "engine" / "gguf" / "gguf_dump"
CACHE = Path(os.environ.get("KILN_CACHE", Path.home() / ".cache" / "kiln"))
MODELS = ["smollm2-135m-instruct-q4_1.gguf", "gemma-3-270m-q4_k_m.gguf", "all-minilm-l6-v2-f32.gguf"]

INT_TYPES = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "bool"}


def dump(path):
    if not DUMP.exists():
        pytest.skip(f"{DUMP} not built")
    out = subprocess.run([str(DUMP), str(path)], check=True, capture_output=True).stdout
    return json.loads(out.decode("utf-8", errors="surrogateescape"))


def array_crc(field):
    elem = field.types[-1].name.lower()
    parts = [field.parts[i] for i in field.data]
    if elem == "string":
        return zlib.crc32(b"".join(len(p.tobytes()).to_bytes(8, "little") + p.tobytes() for p in parts))
    values = np.concatenate(parts) if parts else np.zeros(0)
    if elem in ("float32", "float64"):
        return zlib.crc32(values.astype("<f8").tobytes())
    if elem == "uint64":
        return zlib.crc32(values.astype("<u8").tobytes())
    return zlib.crc32(values.astype("<i8").tobytes())


def compare(path):
    ours = dump(path)
    ref = gguf.GGUFReader(path)
    fields = [f for name, f in ref.fields.items() if not name.startswith("GGUF.")]
    assert [m["key"] for m in ours["metadata"]] == [f.name for f in fields]
    assert ours["alignment"] == ref.alignment
    for m, f in zip(ours["metadata"], fields):
        assert m["type"] == f.types[0].name.lower(), m["key"]
        if m["type"] == "array":
            assert m["element_type"] == f.types[-1].name.lower(), m["key"]
            assert m["count"] == len(f.data), m["key"]
            assert m["crc32"] == array_crc(f), m["key"]
        elif m["type"] in INT_TYPES:
            assert m["value"] == f.contents(), m["key"]
        elif m["type"] in ("float32", "float64"):
            assert m["value"] == pytest.approx(float(f.contents()), rel=0, abs=0), m["key"]
        else:
            assert m["value"] == f.contents(), m["key"]
    assert len(ours["tensors"]) == len(ref.tensors)
    for t, r in zip(ours["tensors"], ref.tensors):
        assert t["name"] == r.name
        assert t["type"] == r.tensor_type.name, t["name"]
        assert t["dims"] == [int(d) for d in r.field.parts[3]], t["name"]
        assert t["offset"] == r.data_offset - ref.data_offset, t["name"]
        assert t["nbytes"] == r.n_bytes, t["name"]
        data = ref.data[r.data_offset:r.data_offset + r.n_bytes]
        assert t["crc32"] == zlib.crc32(data), t["name"]
    return ours


@pytest.mark.parametrize("name", MODELS)
def test_reader_matches_python_gguf_on_real_models(name):
    path = CACHE / "models" / name
    if not path.exists():
        pytest.skip(f"{path} not present (scripts/setup fetches or converts it)")
    compare(path)


def test_python_gguf_reads_our_writer(tmp_path):
    if not DUMP.exists():
        pytest.skip(f"{DUMP} not built")
    path = tmp_path / "sample.gguf"
    subprocess.run([str(DUMP), "--write-sample", str(path)], check=True)
    ref = gguf.GGUFReader(path)
    get = lambda key: ref.fields[key].contents()  # noqa: E731
    assert int(ref.fields["GGUF.version"].parts[0][0]) == 3
    assert get("general.architecture") == "sample"
    assert get("general.name") == "小模型 · test"
    assert (get("test.u8"), get("test.i8"), get("test.u16"), get("test.i16")) == (200, -100, 60000, -30000)
    assert (get("test.u32"), get("test.i32")) == (4000000000, -2000000000)
    assert (get("test.u64"), get("test.i64")) == (18000000000000000000, -9000000000000000000)
    assert (get("test.f32"), get("test.f64"), get("test.bool")) == (0.25, -1.5e300, True)
    assert get("test.strings") == ["你好", "世界", "", 'tab\tand "quote"']
    assert get("test.floats") == [1.5, -2.0, 3.25]
    assert get("test.ints") == [-1, 0, 2147483647]
    tensors = {t.name: t for t in ref.tensors}
    assert [t.name for t in ref.tensors] == ["w.f32", "w.f16", "w.q80", "w.q4k"]
    expect = {"w.f32": ("F32", [4, 3], 48, 1), "w.f16": ("F16", [8], 16, 2),
              "w.q80": ("Q8_0", [32, 2], 68, 3), "w.q4k": ("Q4_K", [256], 144, 4)}
    for name, (type_name, dims, nbytes, seed) in expect.items():
        t = tensors[name]
        assert t.tensor_type.name == type_name
        assert [int(d) for d in t.shape] == dims
        assert t.n_bytes == nbytes
        raw = bytes(ref.data[t.data_offset:t.data_offset + nbytes])
        assert raw == bytes((i * 37 + seed) % 251 for i in range(nbytes))
    # And our own reader agrees with itself through the same tool.
    assert len(compare(path)["tensors"]) == 4
