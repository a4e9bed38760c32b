// Reference kernels of the 256-value K-quant formats: Q2_K, Q3_K, Q4_K, Q5_K,
// Q6_K dequantisation, and Q8_K both ways. Each value is computed from its
// index by the formula written above its struct in blocks.h; the float
// operations (d * scale, then * q, then - dmin * min) are ggml's, in ggml's
// order, so results are bit-identical to ggml's dequantize_row_*.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/blocks.h"
#include "kernels/cpu/internal/block_codes.h"
#include "kernels/cpu/internal/reference_blocks.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu::internal {

void DequantizeBlockQ2_K(const void* block, float* y) {
  const auto b = LoadBlock<BlockQ2_K>(block);
  const float d = F16ToF32(b.d);
  const float dmin = F16ToF32(b.dmin);
  for (int i = 0; i < kQK_K; ++i) {
    const uint8_t sm = b.scales[i / 16];
    const float dl = d * static_cast<float>(sm & 0xF);
    const float ml = dmin * static_cast<float>(sm >> 4);
    y[i] = dl * static_cast<float>(TwoBits(b.qs, i)) - ml;
  }
}

void DequantizeBlockQ3_K(const void* block, float* y) {
  const auto b = LoadBlock<BlockQ3_K>(block);
  const float d = F16ToF32(b.d);
  for (int i = 0; i < kQK_K; ++i) {
    const float dl = d * static_cast<float>(Q3Scale(b.scales, i / 16) - 32);
    y[i] = dl * static_cast<float>(Q3Code(b, i));
  }
}

namespace {

// Q4_K and Q5_K: y = d * scale * q - dmin * min, per sub-block of 32.
template <typename Block>
void DequantizeQ45_K(const void* block, float* y) {
  const auto b = LoadBlock<Block>(block);
  const float d = F16ToF32(b.d);
  const float dmin = F16ToF32(b.dmin);
  uint8_t scales[8], mins[8];
  UnpackScalesMinsK4(b.scales, scales, mins);
  for (int i = 0; i < kQK_K; ++i) {
    const float dl = d * static_cast<float>(scales[i / 32]);
    const float ml = dmin * static_cast<float>(mins[i / 32]);
    int q;
    if constexpr (std::is_same_v<Block, BlockQ5_K>) {
      q = Q5KCode(b, i);
    } else {
      q = Q4Nibble(b.qs, i);
    }
    y[i] = dl * static_cast<float>(q) - ml;
  }
}

}  // namespace

void DequantizeBlockQ4_K(const void* block, float* y) { DequantizeQ45_K<BlockQ4_K>(block, y); }
void DequantizeBlockQ5_K(const void* block, float* y) { DequantizeQ45_K<BlockQ5_K>(block, y); }

void DequantizeBlockQ6_K(const void* block, float* y) {
  const auto b = LoadBlock<BlockQ6_K>(block);
  const float d = F16ToF32(b.d);
  for (int i = 0; i < kQK_K; ++i) {
    y[i] = d * static_cast<float>(b.scales[i / 16]) * static_cast<float>(Q6Code(b, i));
  }
}

void DequantizeBlockQ8_K(const void* block, float* y) {
  const auto b = LoadBlock<BlockQ8_K>(block);
  for (int i = 0; i < kQK_K; ++i) y[i] = b.d * static_cast<float>(b.qs[i]);
}

void QuantizeBlockQ8_K(const float* x, void* block) {
  BlockQ8_K b;
  std::memset(&b, 0, sizeof(b));
  float amax = 0.0f;
  float max = 0.0f;  // the largest-magnitude value, with its sign
  for (int i = 0; i < kQK_K; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax != 0.0f) {
    // As ggml: scale by -127 / max (so max maps to -127 and d may be
    // negative), round to nearest even, clamp the one code that can reach 128.
    const float iscale = -127.0f / max;
    for (int i = 0; i < kQK_K; ++i) {
      const int v = static_cast<int>(std::nearbyint(iscale * x[i]));
      b.qs[i] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += b.qs[16 * g + k];
      b.bsums[g] = static_cast<int16_t>(sum);
    }
    b.d = 1.0f / iscale;
  }
  std::memcpy(block, &b, sizeof(b));
}

}  // namespace kiln::kernels::cpu::internal
