#include "kernels/types.h"

#include <array>

#include "base/check.h"

namespace kiln::kernels {
namespace {

// Sizes as ggml defines them (see blocks.h for the layouts behind them).
constexpr std::array<TypeTraits, 20> kTraits = {{
    {GgmlType::F32, "F32", 1, 4, true},
    {GgmlType::F16, "F16", 1, 2, true},
    {GgmlType::Q4_0, "Q4_0", 32, 18, true},
    {GgmlType::Q4_1, "Q4_1", 32, 20, true},
    {GgmlType::Q5_0, "Q5_0", 32, 22, true},
    {GgmlType::Q5_1, "Q5_1", 32, 24, true},
    {GgmlType::Q8_0, "Q8_0", 32, 34, true},
    {GgmlType::Q8_1, "Q8_1", 32, 36, false},
    {GgmlType::Q2_K, "Q2_K", 256, 84, true},
    {GgmlType::Q3_K, "Q3_K", 256, 110, true},
    {GgmlType::Q4_K, "Q4_K", 256, 144, true},
    {GgmlType::Q5_K, "Q5_K", 256, 176, true},
    {GgmlType::Q6_K, "Q6_K", 256, 210, true},
    {GgmlType::Q8_K, "Q8_K", 256, 292, true},
    {GgmlType::I8, "I8", 1, 1, false},
    {GgmlType::I16, "I16", 1, 2, false},
    {GgmlType::I32, "I32", 1, 4, false},
    {GgmlType::I64, "I64", 1, 8, false},
    {GgmlType::F64, "F64", 1, 8, false},
    {GgmlType::BF16, "BF16", 1, 2, true},
}};

}  // namespace

const TypeTraits* FindTypeTraits(uint32_t raw_type) {
  for (const TypeTraits& t : kTraits) {
    if (static_cast<uint32_t>(t.type) == raw_type) return &t;
  }
  return nullptr;
}

const TypeTraits& Traits(GgmlType type) {
  const TypeTraits* t = FindTypeTraits(static_cast<uint32_t>(type));
  KILN_CHECK(t != nullptr) << "unknown type " << static_cast<uint32_t>(type);
  return *t;
}

size_t RowBytes(GgmlType type, int64_t n) {
  const TypeTraits& t = Traits(type);
  KILN_DCHECK(n % t.block_size == 0);
  return static_cast<size_t>(n / t.block_size) * t.type_size;
}

}  // namespace kiln::kernels
