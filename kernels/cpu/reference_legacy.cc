// Reference kernels of the 32-value block formats: Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, and the activation format Q8_1. Quantizers follow ggml's
// quantize_row_*_ref step for step (same float operations in the same order)
// so that their bytes match ggml's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/blocks.h"
#include "kernels/cpu/internal/block_codes.h"
#include "kernels/cpu/internal/reference_blocks.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu::internal {
namespace {

template <typename Block>
void Store(const Block& b, void* p) {
  std::memcpy(p, &b, sizeof(b));
}

// The 4-bit value j (0..31) of a block's qs: value j in the low nibble of
// byte j, value j + 16 in the high nibble of byte j.
int Nibble(const uint8_t* qs, int j) { return j < kQK / 2 ? qs[j] & 0xF : qs[j - kQK / 2] >> 4; }

int HighBit(const uint8_t qh[4], int j) { return (qh[j / 8] >> (j % 8)) & 1; }

void PackNibbles(const uint8_t q[kQK], uint8_t* qs) {
  for (int j = 0; j < kQK / 2; ++j)
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | (q[j + kQK / 2] & 0xF) << 4);
}

void PackHighBits(const uint8_t q[kQK], uint8_t qh[4]) {
  std::memset(qh, 0, 4);
  for (int j = 0; j < kQK; ++j) qh[j / 8] |= static_cast<uint8_t>(((q[j] >> 4) & 1) << (j % 8));
}

// The value of largest magnitude, with its sign (the first one on ties).
float SignedAbsMax(const float* x) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

// The code j of a 4-bit (kFifth: 5-bit) block.
template <bool kFifth, typename Block>
int Code(const Block& b, int j) {
  if constexpr (kFifth) {
    return Nibble(b.qs, j) | HighBit(b.qh, j) << 4;
  } else {
    return Nibble(b.qs, j);
  }
}

// Q4_0 / Q5_0: y = (q - 8) * d or (q - 16) * d.
template <typename Block, bool kFifth>
void DequantizeSymmetric(const void* block, float* y) {
  const auto b = LoadBlock<Block>(block);
  const float d = F16ToF32(b.d);
  constexpr int kOffset = kFifth ? 16 : 8;
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(Code<kFifth>(b, j) - kOffset) * d;
}

// Q4_1 / Q5_1: y = q * d + m.
template <typename Block, bool kFifth>
void DequantizeMinMax(const void* block, float* y) {
  const auto b = LoadBlock<Block>(block);
  const float d = F16ToF32(b.d);
  const float m = F16ToF32(b.m);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(Code<kFifth>(b, j)) * d + m;
}

// Q8_0 / Q8_1: y = q * d.
template <typename Block>
void DequantizeQ8(const void* block, float* y) {
  const auto b = LoadBlock<Block>(block);
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

// The scale maps the block's extreme value onto the end of the code range; the
// codes are computed from the float scale, not from its f16 rounding (as ggml).

// Q4_0 / Q5_0. d = max / -8 (-16) puts the largest-magnitude value at code 0
// (q - 8 = -8), which uses the one extra negative code of the asymmetric range
// [-8, 7] ([-16, 15]).
template <typename Block, bool kFifth>
void QuantizeSymmetric(const float* x, void* block) {
  constexpr float kHalfRange = kFifth ? 16.0f : 8.0f;
  constexpr int kMaxCode = kFifth ? 31 : 15;
  const float d = SignedAbsMax(x) / -kHalfRange;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    // x * id is in [-8, 8]; + 8.5 and truncation round to nearest (half up).
    q[j] =
        static_cast<uint8_t>(std::min(kMaxCode, static_cast<int>(x[j] * id + (kHalfRange + 0.5f))));
  }
  Block b;
  b.d = F32ToF16(d);
  if constexpr (kFifth) PackHighBits(q, b.qh);
  PackNibbles(q, b.qs);
  Store(b, block);
}

// Q4_1 / Q5_1: d = (max - min) / 15 (31), codes from the minimum up.
template <typename Block, bool kFifth>
void QuantizeMinMax(const float* x, void* block) {
  constexpr int kMaxCode = kFifth ? 31 : 15;
  const float min = *std::min_element(x, x + kQK);
  const float max = *std::max_element(x, x + kQK);
  const float d = (max - min) / static_cast<float>(kMaxCode);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    q[j] = static_cast<uint8_t>(std::min(kMaxCode, static_cast<int>((x[j] - min) * id + 0.5f)));
  }
  Block b;
  b.d = F32ToF16(d);
  b.m = F32ToF16(min);
  if constexpr (kFifth) PackHighBits(q, b.qh);
  PackNibbles(q, b.qs);
  Store(b, block);
}

// Q8_0, and Q8_1 with s = f16(float(sum of the codes) * d), d the float scale
// before its f16 rounding (ggml's quantize_row_q8_1_ref).
template <typename Block>
void QuantizeQ8(const float* x, void* block) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  Block b;
  b.d = F32ToF16(d);
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    b.qs[j] = static_cast<int8_t>(std::round(x[j] * id));  // halves away from zero, as ggml
    sum += b.qs[j];
  }
  if constexpr (std::is_same_v<Block, BlockQ8_1>) b.s = F32ToF16(static_cast<float>(sum) * d);
  Store(b, block);
}

}  // namespace

void DequantizeBlockQ4_0(const void* block, float* y) {
  DequantizeSymmetric<BlockQ4_0, false>(block, y);
}
void DequantizeBlockQ5_0(const void* block, float* y) {
  DequantizeSymmetric<BlockQ5_0, true>(block, y);
}
void DequantizeBlockQ4_1(const void* block, float* y) {
  DequantizeMinMax<BlockQ4_1, false>(block, y);
}
void DequantizeBlockQ5_1(const void* block, float* y) {
  DequantizeMinMax<BlockQ5_1, true>(block, y);
}
void DequantizeBlockQ8_0(const void* block, float* y) { DequantizeQ8<BlockQ8_0>(block, y); }
void DequantizeBlockQ8_1(const void* block, float* y) { DequantizeQ8<BlockQ8_1>(block, y); }

void QuantizeBlockQ4_0(const float* x, void* block) {
  QuantizeSymmetric<BlockQ4_0, false>(x, block);
}
void QuantizeBlockQ5_0(const float* x, void* block) {
  QuantizeSymmetric<BlockQ5_0, true>(x, block);
}
void QuantizeBlockQ4_1(const float* x, void* block) { QuantizeMinMax<BlockQ4_1, false>(x, block); }
void QuantizeBlockQ5_1(const float* x, void* block) { QuantizeMinMax<BlockQ5_1, true>(x, block); }
void QuantizeBlockQ8_0(const float* x, void* block) { QuantizeQ8<BlockQ8_0>(x, block); }
void QuantizeBlockQ8_1(const float* x, void* block) { QuantizeQ8<BlockQ8_1>(x, block); }

}  // namespace kiln::kernels::cpu::internal
