// The integer codes of the block formats (blocks.h describes each layout),
// shared by the scalar reference kernels: dequantisation (reference_*.cc)
// and the quantized-activation dots (quant_dot_ref*.cc). Integer work only,
// so no float order is at stake. Internal to kernels/cpu; included by
// baseline files only (never by the SIMD ones: see CMakeLists.txt).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"

namespace kiln::kernels::cpu::internal {

// Block i of an array of blocks that may sit at any byte offset.
template <typename Block>
Block LoadBlock(const void* blocks, int64_t i = 0) {
  Block b;
  std::memcpy(&b, static_cast<const uint8_t*>(blocks) + i * sizeof(Block), sizeof(b));
  return b;
}

// Low 2 bits of value i of a Q2_K/Q3_K super-block: each 128-value half
// uses 32 bytes, four 2-bit planes of 32 values each.
inline int TwoBits(const uint8_t* qs, int i) {
  return (qs[32 * (i / 128) + i % 32] >> (2 * ((i / 32) % 4))) & 3;
}

// 6-bit scale k (0..15) of Q3_K, still biased by +32.
inline int Q3Scale(const uint8_t* scales, int k) {
  const int low = k < 8 ? scales[k] & 0xF : scales[k - 8] >> 4;
  const int high = (scales[8 + k % 4] >> (2 * (k / 4))) & 3;
  return low | high << 4;
}

// Value i of Q3_K: low 2 bits, minus 4 unless its high bit is set (q in [-4, 3]).
inline int Q3Code(const BlockQ3_K& b, int i) {
  const int high = (b.hmask[i % 32] >> (i / 32)) & 1;
  return TwoBits(b.qs, i) - (high ? 0 : 4);
}

// Low nibble of value i of Q4_K/Q5_K: 64-value groups of 32 bytes, the first
// 32 values in the low nibbles, the next 32 in the high nibbles.
inline int Q4Nibble(const uint8_t* qs, int i) {
  const uint8_t byte = qs[32 * (i / 64) + i % 32];
  return (i % 64) < 32 ? byte & 0xF : byte >> 4;
}

// Value i of Q5_K: the nibble plus bit (i / 32) of qh[i % 32] as 16.
inline int Q5KCode(const BlockQ5_K& b, int i) {
  return Q4Nibble(b.qs, i) | ((b.qh[i % 32] >> (i / 32)) & 1) << 4;
}

// Value i of Q6_K: 6 bits, minus 32.
inline int Q6Code(const BlockQ6_K& b, int i) {
  const int h = i / 128;  // which 128-value half
  const int j = i % 128;
  const uint8_t lbyte = b.ql[64 * h + j % 64];
  const int low = j < 64 ? lbyte & 0xF : lbyte >> 4;
  const int high = (b.qh[32 * h + j % 32] >> (2 * (j / 32))) & 3;
  return (low | high << 4) - 32;
}

}  // namespace kiln::kernels::cpu::internal
