// Reference kernels of the 32-value block formats: Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, and the activation format Q8_1. Quantizers follow ggml's
// quantize_row_*_ref step for step (same float operations in the same order)
// so that their bytes match ggml's.
#include <algorithm>
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

}  // namespace

// ---- dequantize ------------------------------------------------------------

void DequantizeBlockQ4_0(const void* block, float* y) {
  const auto b = Load<BlockQ4_0>(block);
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(Nibble(b.qs, j) - 8) * d;
}

void DequantizeBlockQ4_1(const void* block, float* y) {
  const auto b = Load<BlockQ4_1>(block);
  const float d = F16ToF32(b.d);
  const float m = F16ToF32(b.m);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(Nibble(b.qs, j)) * d + m;
}

void DequantizeBlockQ5_0(const void* block, float* y) {
  const auto b = Load<BlockQ5_0>(block);
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK; ++j) {
    const int q = Nibble(b.qs, j) | HighBit(b.qh, j) << 4;
    y[j] = static_cast<float>(q - 16) * d;
  }
}

void DequantizeBlockQ5_1(const void* block, float* y) {
  const auto b = Load<BlockQ5_1>(block);
  const float d = F16ToF32(b.d);
  const float m = F16ToF32(b.m);
  for (int j = 0; j < kQK; ++j) {
    const int q = Nibble(b.qs, j) | HighBit(b.qh, j) << 4;
    y[j] = static_cast<float>(q) * d + m;
  }
}

void DequantizeBlockQ8_0(const void* block, float* y) {
  const auto b = Load<BlockQ8_0>(block);
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

void DequantizeBlockQ8_1(const void* block, float* y) {
  const auto b = Load<BlockQ8_1>(block);
  const float d = F16ToF32(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

// ---- quantize --------------------------------------------------------------
// The scale maps the block's extreme value onto the end of the code range; the
// codes are computed from the float scale, not from its f16 rounding (as ggml).

void QuantizeBlockQ4_0(const float* x, void* block) {
  // d = max / -8 puts the largest-magnitude value at code 0 (q - 8 = -8),
  // which uses the one extra negative code of the asymmetric range [-8, 7].
  const float d = SignedAbsMax(x) / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    // x * id is in [-8, 8]; + 8.5 and truncation round to nearest (half up).
    q[j] = static_cast<uint8_t>(std::min(15, static_cast<int>(x[j] * id + 8.5f)));
  }
  BlockQ4_0 b;
  b.d = F32ToF16(d);
  PackNibbles(q, b.qs);
  Store(b, block);
}

void QuantizeBlockQ4_1(const float* x, void* block) {
  const float min = *std::min_element(x, x + kQK);
  const float max = *std::max_element(x, x + kQK);
  const float d = (max - min) / 15.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    q[j] = static_cast<uint8_t>(std::min(15, static_cast<int>((x[j] - min) * id + 0.5f)));
  }
  BlockQ4_1 b;
  b.d = F32ToF16(d);
  b.m = F32ToF16(min);
  PackNibbles(q, b.qs);
  Store(b, block);
}

void QuantizeBlockQ5_0(const float* x, void* block) {
  const float d = SignedAbsMax(x) / -16.0f;  // as Q4_0, range [-16, 15]
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    q[j] = static_cast<uint8_t>(std::min(31, static_cast<int>(x[j] * id + 16.5f)));
  }
  BlockQ5_0 b;
  b.d = F32ToF16(d);
  PackHighBits(q, b.qh);
  PackNibbles(q, b.qs);
  Store(b, block);
}

void QuantizeBlockQ5_1(const float* x, void* block) {
  const float min = *std::min_element(x, x + kQK);
  const float max = *std::max_element(x, x + kQK);
  const float d = (max - min) / 31.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  uint8_t q[kQK];
  for (int j = 0; j < kQK; ++j) {
    q[j] = static_cast<uint8_t>(std::min(31, static_cast<int>((x[j] - min) * id + 0.5f)));
  }
  BlockQ5_1 b;
  b.d = F32ToF16(d);
  b.m = F32ToF16(min);
  PackHighBits(q, b.qh);
  PackNibbles(q, b.qs);
  Store(b, block);
}

void QuantizeBlockQ8_0(const float* x, void* block) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  BlockQ8_0 b;
  b.d = F32ToF16(d);
  // roundf: halves away from zero, as ggml.
  for (int j = 0; j < kQK; ++j) b.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  Store(b, block);
}

// As Q8_0, plus s = f16(float(sum of the codes) * d), d the float scale before
// its f16 rounding (ggml's quantize_row_q8_1_ref).
void QuantizeBlockQ8_1(const float* x, void* block) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  BlockQ8_1 b;
  b.d = F32ToF16(d);
  int sum = 0;
  for (int j = 0; j < kQK; ++j) {
    b.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    sum += b.qs[j];
  }
  b.s = F32ToF16(static_cast<float>(sum) * d);
  Store(b, block);
}

}  // namespace kiln::kernels::cpu::internal
