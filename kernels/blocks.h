// Block layouts of ggml's quantized tensor types, bit-exact with the bytes
// of a GGUF file. Shared by every kernel level (reference, SIMD, CUDA): this
// is the one place a layout is written down.
//
// Every field is a byte array or a little-endian integer; f16 scales are
// kept as their raw uint16_t bits (convert with kernels/half.h). No padding
// anywhere: each struct's size is static_assert'ed against ggml's.
//
// Value i of a block is reconstructed as described above each struct;
// kernels/cpu/reference_*.cc is the executable form of these descriptions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::kernels {

inline constexpr int kQK = 32;          // values per block of the "legacy" formats
inline constexpr int kQK_K = 256;       // values per super-block of the K-quants
inline constexpr int kKScaleSize = 12;  // packed 6-bit scales/mins of Q4_K, Q5_K

// ---- 32-value blocks -------------------------------------------------------
// Nibble order in the 4-bit formats: qs[j] & 0xF is value j, qs[j] >> 4 is
// value j + 16 (j < 16).

// y = d * (q - 8), q the 4-bit value.
struct BlockQ4_0 {
  uint16_t d;           // f16 scale
  uint8_t qs[kQK / 2];  // nibbles
};
static_assert(sizeof(BlockQ4_0) == 2 + kQK / 2);

// y = d * q + m.
struct BlockQ4_1 {
  uint16_t d;           // f16 scale
  uint16_t m;           // f16 minimum
  uint8_t qs[kQK / 2];  // nibbles
};
static_assert(sizeof(BlockQ4_1) == 2 * 2 + kQK / 2);

// q = nibble | (bit j of qh) << 4; y = d * (q - 16).
// qh is a little-endian uint32 stored as bytes (the struct stays 2-aligned).
struct BlockQ5_0 {
  uint16_t d;           // f16 scale
  uint8_t qh[4];        // fifth bits, bit j for value j
  uint8_t qs[kQK / 2];  // low nibbles
};
static_assert(sizeof(BlockQ5_0) == 2 + 4 + kQK / 2);

// q as in Q5_0; y = d * q + m.
struct BlockQ5_1 {
  uint16_t d;           // f16 scale
  uint16_t m;           // f16 minimum
  uint8_t qh[4];        // fifth bits
  uint8_t qs[kQK / 2];  // low nibbles
};
static_assert(sizeof(BlockQ5_1) == 2 * 2 + 4 + kQK / 2);

// y = d * q.
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8_0) == 2 + kQK);

// y = d * q; s = d * sum(q) (an activation format: the sum serves the dots
// with Q4_1/Q5_1 weights).
struct BlockQ8_1 {
  uint16_t d;  // f16 scale
  uint16_t s;  // f16 d * sum(qs)
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8_1) == 2 * 2 + kQK);

// ---- 256-value super-blocks (K-quants) -------------------------------------

// 16 sub-blocks of 16. scales[k]: low nibble = 4-bit scale, high nibble =
// 4-bit min of sub-block k. Value i: 2 bits at qs[32 * (i / 128) + i % 32]
// >> (2 * ((i / 32) % 4)); y = d * (scale) * q - dmin * (min).
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // 4-bit scale | 4-bit min << 4
  uint8_t qs[kQK_K / 4];       // 2-bit quants
  uint16_t d;                  // f16 super-block scale of the scales
  uint16_t dmin;               // f16 super-block scale of the mins
};
static_assert(sizeof(BlockQ2_K) == 2 * 2 + kQK_K / 16 + kQK_K / 4);

// 16 sub-blocks of 16, 6-bit signed scales (stored + 32) packed in 12 bytes:
// scale k has low 4 bits in scales[k % 8] (low nibble for k < 8, high
// otherwise) and high 2 bits at scales[8 + k % 4] >> (2 * (k / 4)).
// Value i: low 2 bits as in Q2_K; high bit = hmask[i % 32] >> (i / 32);
// q = low - (high ? 0 : 4); y = d * (scale - 32) * q.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];  // high bits of the quants
  uint8_t qs[kQK_K / 4];     // low 2 bits
  uint8_t scales[12];        // 6-bit scales, packed
  uint16_t d;                // f16 super-block scale
};
static_assert(sizeof(BlockQ3_K) == 2 + kQK_K / 4 + kQK_K / 8 + 12);

// 8 sub-blocks of 32, 6-bit scale and 6-bit min each, packed in 12 bytes:
// for k < 4: scale = scales[k] & 63, min = scales[k + 4] & 63;
// for k >= 4: scale = (scales[k + 4] & 0xF) | (scales[k - 4] >> 6) << 4,
//             min   = (scales[k + 4] >> 4)  | (scales[k] >> 6) << 4.
// Value i: in the 32-byte group g = i / 64, qs[32 * g + i % 32] low nibble
// for the first 32, high nibble for the second; y = d*scale*q - dmin*min.
struct BlockQ4_K {
  uint16_t d;                   // f16 super-block scale of the scales
  uint16_t dmin;                // f16 super-block scale of the mins
  uint8_t scales[kKScaleSize];  // packed 6-bit scales and mins
  uint8_t qs[kQK_K / 2];        // nibbles
};
static_assert(sizeof(BlockQ4_K) == 2 * 2 + kKScaleSize + kQK_K / 2);

// The 6-bit scales and mins of the 8 sub-blocks of a Q4_K/Q5_K super-block,
// unpacked from `packed` (kKScaleSize bytes) as described above (blocks.cc;
// a plain function, callable from code built for any instruction set).
void UnpackScalesMinsK4(const uint8_t* packed, uint8_t scales[8], uint8_t mins[8]);

// As Q4_K plus a fifth bit: bit (i / 32) of qh[i % 32].
struct BlockQ5_K {
  uint16_t d;                   // f16 super-block scale of the scales
  uint16_t dmin;                // f16 super-block scale of the mins
  uint8_t scales[kKScaleSize];  // packed 6-bit scales and mins
  uint8_t qh[kQK_K / 8];        // fifth bits
  uint8_t qs[kQK_K / 2];        // low nibbles
};
static_assert(sizeof(BlockQ5_K) == 2 * 2 + kKScaleSize + kQK_K / 8 + kQK_K / 2);

// 16 sub-blocks of 16 with int8 scales. In each half h = i / 128 (j = i % 128):
// low 4 bits from ql[64 * h + j % 64] (low nibble for j < 64, high otherwise),
// high 2 bits at qh[32 * h + j % 32] >> (2 * (j / 32)); q = 6 bits - 32;
// y = d * scales[i / 16] * q.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // sub-block scales
  uint16_t d;                 // f16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 2 + kQK_K / 16 + 3 * kQK_K / 4);

// y = d * q (an activation format: the dots with K-quant weights use it; the
// bsums let them apply the weights' mins per 16 values).
struct BlockQ8_K {
  float d;  // f32 scale
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sum of qs over each group of 16
};
static_assert(sizeof(BlockQ8_K) == 4 + kQK_K + 2 * kQK_K / 16);

}  // namespace kiln::kernels
