// Conversions between float and the two 16-bit float formats of GGUF files:
// IEEE binary16 ("f16": 1 sign, 5 exponent, 10 mantissa bits) and bfloat16
// ("bf16": the top half of a binary32). Values travel as raw uint16_t bits.
//
// Widening (to float) is exact for every bit pattern, subnormals included;
// NaN keeps its sign and payload. Narrowing rounds to nearest, ties to even;
// overflow gives infinity; NaN stays NaN (quiet, top payload bits kept), as
// x86's F16C and ggml's bf16 conversion do. Pure bit arithmetic: the result
// never depends on the FPU's rounding mode or on the compiler's flags.
#pragma once

#include <bit>
#include <cstdint>

namespace kiln::kernels {

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000 | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal: mant * 2^-24. Shift the leading one up to the implicit bit
    // position; each shift lowers the exponent by one.
    int e = -14;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | static_cast<uint32_t>(e + 127) << 23 | ((mant & 0x3FF) << 13);
  }
  return std::bit_cast<float>(bits);
}

// Shifts `value` right by `shift` bits (1..31), rounding to nearest, ties to
// even. A carry out of the mantissa correctly bumps the exponent bits above.
inline uint32_t ShiftRightRoundEven(uint32_t value, int shift) {
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  return kept + ((rest > half || (rest == half && (kept & 1))) ? 1 : 0);
}

inline uint16_t F32ToF16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFF;
  if (abs > 0x7F800000) {  // NaN: quiet it, keep the top payload bits
    return sign | 0x7E00 | static_cast<uint16_t>((abs >> 13) & 0x3FF);
  }
  // 65520 = 0x477FF000 is halfway between the largest half (65504) and 2^16;
  // ties go to the even neighbour, which is 2^16, i.e. infinity.
  if (abs >= 0x477FF000) return sign | 0x7C00;
  if (abs >= 0x38800000) {  // >= 2^-14: a normal half
    // Rebias the exponent (127 -> 15) in place, then drop 13 mantissa bits.
    return sign | static_cast<uint16_t>(ShiftRightRoundEven(abs - ((127 - 15) << 23), 13));
  }
  // Subnormal half (or zero): the result is round(|f| * 2^24). With the
  // implicit bit restored, |f| = m * 2^(e - 150), so |f| * 2^24 = m >> (126 - e).
  const int e = static_cast<int>(abs >> 23);
  if (e < 102) return sign;  // |f| < 2^-25: below half the smallest subnormal
  const uint32_t m = (abs & 0x7FFFFF) | 0x800000;
  return sign | static_cast<uint16_t>(ShiftRightRoundEven(m, 126 - e));
}

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7FFFFFFF) > 0x7F800000) {  // NaN: quiet it, keep the top payload bits
    return static_cast<uint16_t>((x >> 16) | 0x0040);
  }
  // Rounding the bits rounds the value: a carry into the exponent is the
  // correct next binade, and past the largest finite value it gives infinity.
  return static_cast<uint16_t>(ShiftRightRoundEven(x, 16));
}

}  // namespace kiln::kernels
