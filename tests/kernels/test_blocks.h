// Test helpers: random but valid rows of every block type.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/types.h"

namespace kiln::kernels::testing {

// Byte offsets of the f16 scale fields inside one block of `type` (random
// bytes there could be inf/NaN, which no real file holds).
inline std::vector<size_t> F16FieldOffsets(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0:
      return {offsetof(BlockQ4_0, d)};
    case GgmlType::Q4_1:
      return {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)};
    case GgmlType::Q5_0:
      return {offsetof(BlockQ5_0, d)};
    case GgmlType::Q5_1:
      return {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)};
    case GgmlType::Q8_0:
      return {offsetof(BlockQ8_0, d)};
    case GgmlType::Q2_K:
      return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case GgmlType::Q3_K:
      return {offsetof(BlockQ3_K, d)};
    case GgmlType::Q4_K:
      return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case GgmlType::Q5_K:
      return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case GgmlType::Q6_K:
      return {offsetof(BlockQ6_K, d)};
    default:
      return {};
  }
}

// A row of `n` values of `type`: random bytes, then every scale set to a
// finite value of modest size (|scale| in [2^-8, 2^2), either sign). Plain
// float types get finite random values in [-4, 4).
inline std::vector<uint8_t> RandomRow(GgmlType type, int64_t n, std::mt19937& rng) {
  const TypeTraits& t = Traits(type);
  std::vector<uint8_t> row(RowBytes(type, n));
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : row) b = static_cast<uint8_t>(byte(rng));
  std::uniform_real_distribution<float> value(-4.0f, 4.0f);
  std::uniform_real_distribution<float> exponent(-8.0f, 2.0f);
  std::bernoulli_distribution negative(0.5);
  auto scale = [&] {
    const float s = std::exp2(exponent(rng));
    return negative(rng) ? -s : s;
  };
  for (int64_t i = 0; i < n / t.block_size; ++i) {
    uint8_t* block = row.data() + i * t.type_size;
    if (type == GgmlType::F32) {
      const float v = value(rng);
      std::memcpy(block, &v, 4);
    } else if (type == GgmlType::F16 || type == GgmlType::BF16) {
      const float v = value(rng);
      const uint16_t h = type == GgmlType::F16 ? F32ToF16(v) : F32ToBf16(v);
      std::memcpy(block, &h, 2);
    } else if (type == GgmlType::Q8_K) {
      const float d = scale();
      std::memcpy(block + offsetof(BlockQ8_K, d), &d, 4);
    }
    for (size_t offset : F16FieldOffsets(type)) {
      const uint16_t h = F32ToF16(scale());
      std::memcpy(block + offset, &h, 2);
    }
  }
  return row;
}

}  // namespace kiln::kernels::testing
