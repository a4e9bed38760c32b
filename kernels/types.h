// Tensor element types, with the numeric ids GGUF files use (ggml's type
// enum), and what each one's storage looks like: a block of `block_size`
// values stored in `type_size` bytes. Block layouts are in blocks.h.
//
// Row-major throughout: a matrix [rows, cols] stores each row of `cols`
// values contiguously; GGUF lists dimensions innermost first (ne0 = cols).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kiln::kernels {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct TypeTraits {
  GgmlType type;
  std::string_view name;  // GGUF's own name: "Q4_K", "F16", ...
  int64_t block_size;     // values per block (1 for plain types)
  size_t type_size;       // bytes per block
  bool supported;         // Kiln can compute with it (dequantise and dot)
};

// Traits of a raw type id from a file, or nullptr if the id is unknown.
const TypeTraits* FindTypeTraits(uint32_t raw_type);
// Traits of a known type (never null).
const TypeTraits& Traits(GgmlType type);
inline std::string_view TypeName(GgmlType type) { return Traits(type).name; }

// Bytes that `n` values take; `n` must be a multiple of the block size
// (callers check with IsWholeBlocks first).
size_t RowBytes(GgmlType type, int64_t n);
inline bool IsWholeBlocks(GgmlType type, int64_t n) { return n % Traits(type).block_size == 0; }

// F32, F16 and BF16: one value per element, no blocks.
inline bool IsPlainFloat(GgmlType type) {
  return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

}  // namespace kiln::kernels
