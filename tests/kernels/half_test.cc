// kernels/half.h against definitions written from the formats' bit layouts,
// independent of the implementation's shifting tricks: decoding goes through
// std::ldexp on the fields; encoding picks the nearer of the two neighbouring
// representable values by exact comparison in double.
#include "kernels/half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace kiln::kernels {
namespace {

// The value of f16 bits h: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals
// 2^-14 * (m/1024), e == 31 inf/NaN.
double F16Definition(uint16_t h) {
  const int s = h >> 15;
  const int e = (h >> 10) & 0x1F;
  const int m = h & 0x3FF;
  double v;
  if (e == 31) {
    v = m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (e == 0) {
    v = std::ldexp(m, -24);
  } else {
    v = std::ldexp(1024 + m, e - 25);
  }
  return s ? -v : v;
}

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }

TEST(HalfTest, F16ToF32ExhaustiveMatchesDefinition) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float got = F16ToF32(static_cast<uint16_t>(h));
    const double want = F16Definition(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << h;
      // Sign and payload travel unchanged into the top mantissa bits.
      ASSERT_EQ(Bits(got), (h & 0x8000u) << 16 | 0x7F800000u | (h & 0x3FFu) << 13) << h;
    } else {
      // Every f16 is exactly representable as a float: compare exactly,
      // signed zero included.
      ASSERT_EQ(static_cast<double>(got), want) << h;
      ASSERT_EQ(std::signbit(got), (h & 0x8000) != 0) << h;
    }
  }
}

TEST(HalfTest, F16RoundTripExhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint16_t back = F32ToF16(F16ToF32(static_cast<uint16_t>(h)));
    if ((h & 0x7FFF) > 0x7C00) {
      // NaN comes back quiet with the same sign and payload bits.
      ASSERT_EQ(back, h | 0x0200) << h;
    } else {
      ASSERT_EQ(back, h) << h;
    }
  }
}

// Round-to-nearest-even by search: among the non-negative f16 patterns
// (ordered like their values), find the two neighbours of |f| and take the
// nearer, the even one on a tie. Finite f only.
uint16_t F32ToF16Definition(float f) {
  const double a = std::fabs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  // Values from 65520 up round to infinity (65520 is the tie between 65504
  // and 2^16, and 2^16's pattern 0x7C00 is even).
  if (a >= 65520.0) return sign | 0x7C00;
  uint16_t lo = 0;  // largest pattern with value <= a
  uint16_t hi = 0x7BFF;
  while (lo < hi) {
    const uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (F16Definition(mid) <= a)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (F16Definition(lo) == a) return sign | lo;
  const double below = a - F16Definition(lo);
  const double above = F16Definition(lo + 1) - a;  // lo + 1 may be 0x7C00 (inf): not reached
  uint16_t pick;
  if (below < above)
    pick = lo;
  else if (above < below)
    pick = lo + 1;
  else
    pick = (lo & 1) ? lo + 1 : lo;
  return sign | pick;
}

TEST(HalfTest, F32ToF16AtEveryTieAndItsNeighbours) {
  // For each pair of adjacent f16 values: the exact midpoint (a float, as
  // f16 needs only 11 significant bits) and the floats 1 and 2 ulps either
  // side of it, both signs.
  for (uint16_t h = 0; h < 0x7BFF; ++h) {
    const float mid = static_cast<float>((F16Definition(h) + F16Definition(h + 1)) / 2);
    ASSERT_EQ(static_cast<double>(mid), (F16Definition(h) + F16Definition(h + 1)) / 2);
    float below = mid, above = mid;
    for (int k = 0; k < 3; ++k) {
      for (float f : {below, above, -below, -above}) {
        ASSERT_EQ(F32ToF16(f), F32ToF16Definition(f)) << f << " bits " << Bits(f);
      }
      below = std::nextafter(below, 0.0f);
      above = std::nextafter(above, 1e9f);
    }
  }
}

TEST(HalfTest, F32ToF16RandomAndSpecial) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> bits;
  // Random patterns concentrated on exponents around f16's range (2^-26 ..
  // 2^17), plus arbitrary ones.
  std::uniform_int_distribution<uint32_t> exp(127 - 26, 127 + 17);
  for (int i = 0; i < 2'000'000; ++i) {
    uint32_t x = bits(rng);
    if (i % 2 == 0) x = (x & 0x807FFFFF) | exp(rng) << 23;
    const float f = std::bit_cast<float>(x);
    if (std::isnan(f) || std::isinf(f)) continue;
    ASSERT_EQ(F32ToF16(f), F32ToF16Definition(f)) << f << " bits " << x;
  }
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(F32ToF16(inf), 0x7C00);
  EXPECT_EQ(F32ToF16(-inf), 0xFC00);
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(F32ToF16(65519.996f), 0x7BFF);  // just below the tie: stays finite
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(F32ToF16(-0.0f), 0x8000);
  // NaN: quiet, sign and top payload kept.
  EXPECT_EQ(F32ToF16(std::bit_cast<float>(0x7FC00000u)), 0x7E00);
  EXPECT_EQ(F32ToF16(std::bit_cast<float>(0xFF802000u)), 0xFE01);  // signalling -> quiet
}

TEST(HalfTest, Bf16ToF32ExhaustiveIsTheTopHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    // bf16 is defined as the top 16 bits of a binary32.
    ASSERT_EQ(Bits(Bf16ToF32(static_cast<uint16_t>(h))), h << 16) << h;
    if ((h & 0x7FFF) > 0x7F80) {
      ASSERT_EQ(F32ToBf16(Bf16ToF32(static_cast<uint16_t>(h))), h | 0x0040) << h;
    } else {
      ASSERT_EQ(F32ToBf16(Bf16ToF32(static_cast<uint16_t>(h))), h) << h;
    }
  }
}

// Nearest of the two bf16 neighbours of f (truncation and the next pattern
// up in magnitude) by exact comparison in double, the even one on ties.
uint16_t F32ToBf16Definition(float f) {
  const uint32_t x = Bits(f);
  const uint16_t lo = static_cast<uint16_t>(x >> 16);
  const uint16_t hi = static_cast<uint16_t>(lo + 1);
  const double a = std::fabs(static_cast<double>(f));
  const double vlo = std::fabs(static_cast<double>(Bf16ToF32(lo)));
  // The pattern past the largest finite value is infinity; for rounding it
  // stands for 2^128, where the exponent would go next.
  const double vhi = (hi & 0x7FFF) == 0x7F80 ? std::ldexp(1.0, 128)
                                             : std::fabs(static_cast<double>(Bf16ToF32(hi)));
  if (a - vlo < vhi - a) return lo;
  if (vhi - a < a - vlo) return hi;
  return (lo & 1) ? hi : lo;
}

TEST(HalfTest, F32ToBf16RandomAndTies) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 2'000'000; ++i) {
    uint32_t x = bits(rng);
    // Every fourth: force an exact tie (low half 0x8000), then its neighbours.
    if (i % 4 == 1) x = (x & 0xFFFF0000u) | 0x8000u;
    if (i % 4 == 2) x = (x & 0xFFFF0000u) | 0x7FFFu;
    if (i % 4 == 3) x = (x & 0xFFFF0000u) | 0x8001u;
    const float f = std::bit_cast<float>(x);
    if (std::isnan(f) || std::isinf(f)) continue;
    ASSERT_EQ(F32ToBf16(f), F32ToBf16Definition(f)) << "bits " << x;
  }
  EXPECT_EQ(F32ToBf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up to inf
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x7F800001u)), 0x7FC0);  // signalling -> quiet
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x00008000u)), 0x0000);  // subnormal tie, to even
  EXPECT_EQ(F32ToBf16(std::bit_cast<float>(0x00018000u)), 0x0002);  // subnormal tie, to even
}

}  // namespace
}  // namespace kiln::kernels
