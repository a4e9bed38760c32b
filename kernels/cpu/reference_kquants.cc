// Reference kernels of the 256-value K-quant formats: Q2_K, Q3_K, Q4_K, Q5_K,
// Q6_K dequantisation, and Q8_K both ways. Each value is computed from its
// index by the formula written above its struct in blocks.h; the float
// operations (d * scale, then * q, then - dmin * min) are ggml's, in ggml's
// order, so results are bit-identical to ggml's dequantize_row_*.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/cpu/internal/reference_blocks.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu::internal {
namespace {

template <typename Block>
Block Load(const void* p) {
  Block b;
  std::memcpy(&b, p, sizeof(b));  // blocks may sit at any byte offset
  return b;
}

// 2-bit value i of a Q2_K/Q3_K super-block: each 128-value half uses 32
// bytes, four 2-bit planes of 32 values each.
int TwoBits(const uint8_t* qs, int i) {
  return (qs[32 * (i / 128) + i % 32] >> (2 * ((i / 32) % 4))) & 3;
}

// 6-bit scale k (0..15) of Q3_K, still biased by +32.
int Q3Scale(const uint8_t* scales, int k) {
  const int low = k < 8 ? scales[k] & 0xF : scales[k - 8] >> 4;
  const int high = (scales[8 + k % 4] >> (2 * (k / 4))) & 3;
  return low | high << 4;
}

// Low nibble of value i of Q4_K/Q5_K: 64-value groups of 32 bytes, the first
// 32 values in the low nibbles, the next 32 in the high nibbles.
int Q4Nibble(const uint8_t* qs, int i) {
  const uint8_t byte = qs[32 * (i / 64) + i % 32];
  return (i % 64) < 32 ? byte & 0xF : byte >> 4;
}

}  // namespace

void DequantizeBlockQ2_K(const void* block, float* y) {
  const auto b = Load<BlockQ2_K>(block);
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
  const auto b = Load<BlockQ3_K>(block);
  const float d = F16ToF32(b.d);
  for (int i = 0; i < kQK_K; ++i) {
    const float dl = d * static_cast<float>(Q3Scale(b.scales, i / 16) - 32);
    // A set high bit means "no offset": q in [-4, 3].
    const int high = (b.hmask[i % 32] >> (i / 32)) & 1;
    const int q = TwoBits(b.qs, i) - (high ? 0 : 4);
    y[i] = dl * static_cast<float>(q);
  }
}

void DequantizeBlockQ4_K(const void* block, float* y) {
  const auto b = Load<BlockQ4_K>(block);
  const float d = F16ToF32(b.d);
  const float dmin = F16ToF32(b.dmin);
  uint8_t scales[8], mins[8];
  UnpackScalesMinsK4(b.scales, scales, mins);
  for (int i = 0; i < kQK_K; ++i) {
    const float dl = d * static_cast<float>(scales[i / 32]);
    const float ml = dmin * static_cast<float>(mins[i / 32]);
    y[i] = dl * static_cast<float>(Q4Nibble(b.qs, i)) - ml;
  }
}

void DequantizeBlockQ5_K(const void* block, float* y) {
  const auto b = Load<BlockQ5_K>(block);
  const float d = F16ToF32(b.d);
  const float dmin = F16ToF32(b.dmin);
  uint8_t scales[8], mins[8];
  UnpackScalesMinsK4(b.scales, scales, mins);
  for (int i = 0; i < kQK_K; ++i) {
    const float dl = d * static_cast<float>(scales[i / 32]);
    const float ml = dmin * static_cast<float>(mins[i / 32]);
    const int high = (b.qh[i % 32] >> (i / 32)) & 1;
    y[i] = dl * static_cast<float>(Q4Nibble(b.qs, i) | high << 4) - ml;
  }
}

void DequantizeBlockQ6_K(const void* block, float* y) {
  const auto b = Load<BlockQ6_K>(block);
  const float d = F16ToF32(b.d);
  for (int i = 0; i < kQK_K; ++i) {
    const int h = i / 128;  // which 128-value half
    const int j = i % 128;
    const uint8_t lbyte = b.ql[64 * h + j % 64];
    const int low = j < 64 ? lbyte & 0xF : lbyte >> 4;
    const int high = (b.qh[32 * h + j % 32] >> (2 * (j / 32))) & 3;
    const int q = (low | high << 4) - 32;
    y[i] = d * static_cast<float>(b.scales[i / 16]) * static_cast<float>(q);
  }
}

void DequantizeBlockQ8_K(const void* block, float* y) {
  const auto b = Load<BlockQ8_K>(block);
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
