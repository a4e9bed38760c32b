// A small GGUF file that uses every feature the writer has: metadata of each
// type (Chinese text included) and tensors of several types with padding.
// Shared by the reader tests, gguf_dump --write-sample (read back by the
// Python gguf package) and the fuzzer's seed. test_gguf_python.py repeats
// these values; change both together.
#pragma once

#include <cstdint>
#include <string>

#include "engine/gguf/gguf_writer.h"

namespace kiln::engine::testing {

// Deterministic bytes for a tensor: byte i is (i * 37 + seed) mod 251.
std::string PatternBytes(size_t n, uint8_t seed);

// Tensors, all five-character names: "w.f32" F32 [4, 3], "w.f16" F16 [8],
// "w.q80" Q8_0 [32, 2], "w.q4k" Q4_K [256] (144 bytes, so the file ends in padding).
GgufWriter SampleWriter();

}  // namespace kiln::engine::testing
