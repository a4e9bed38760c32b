// The 32-value formats: one block of each decoded by hand from its
// definition in blocks.h, hand-checked quantizer outputs, and quantize ->
// dequantize round trips within bounds derived from each format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/cpu/reference.h"
#include "kernels/half.h"
#include "kernels/types.h"

namespace kiln::kernels::cpu {
namespace {

template <typename Block>
std::vector<float> Dequantize(GgmlType type, const Block& b) {
  std::vector<float> y(kQK);
  DequantizeRowRef(type, &b, y.data(), kQK);
  return y;
}

// f16 bits used below: 0x3000 = 0.125, 0x3400 = 0.25, 0x3800 = 0.5,
// 0x3C00 = 1.0, 0x4000 = 2.0, 0xBC00 = -1.0.

TEST(ReferenceLegacyTest, Q4_0ByHand) {
  BlockQ4_0 b;
  b.d = 0x3800;                           // d = 0.5
  std::memset(b.qs, 0x88, sizeof(b.qs));  // nibble 8 -> (8 - 8) * 0.5 = 0
  b.qs[0] = 0xF0;  // value 0: nibble 0 -> (0 - 8) * 0.5 = -4; value 16: 15 -> 7 * 0.5 = 3.5
  b.qs[1] = 0x18;  // value 1: 8 -> 0; value 17: 1 -> (1 - 8) * 0.5 = -3.5
  std::vector<float> want(kQK, 0.0f);
  want[0] = -4.0f;
  want[16] = 3.5f;
  want[17] = -3.5f;
  EXPECT_EQ(Dequantize(GgmlType::Q4_0, b), want);
}

TEST(ReferenceLegacyTest, Q4_1ByHand) {
  BlockQ4_1 b;
  b.d = 0x3400;                           // 0.25
  b.m = 0xBC00;                           // -1.0
  std::memset(b.qs, 0x44, sizeof(b.qs));  // 4 * 0.25 - 1 = 0
  b.qs[0] = 0x0F;   // value 0: 15 * 0.25 - 1 = 2.75; value 16: 0 * 0.25 - 1 = -1
  b.qs[15] = 0x42;  // value 15: 2 * 0.25 - 1 = -0.5; value 31: 4 -> 0
  std::vector<float> want(kQK, 0.0f);
  want[0] = 2.75f;
  want[16] = -1.0f;
  want[15] = -0.5f;
  EXPECT_EQ(Dequantize(GgmlType::Q4_1, b), want);
}

TEST(ReferenceLegacyTest, Q5_0ByHand) {
  BlockQ5_0 b;
  b.d = 0x3C00;  // 1.0
  // qh as little-endian uint32: bits 0, 16 and 31 set.
  b.qh[0] = 0x01;
  b.qh[1] = 0x00;
  b.qh[2] = 0x01;
  b.qh[3] = 0x80;
  std::memset(b.qs, 0x00, sizeof(b.qs));  // no high bit: (0 - 16) * 1 = -16
  b.qs[0] = 0x0F;                         // value 0: 15 | 16 = 31 -> 15; value 16: 0 | 16 = 16 -> 0
  b.qs[15] = 0x30;  // value 15: 0, no high bit -> -16; value 31: 3 | 16 = 19 -> 3
  std::vector<float> want(kQK, -16.0f);
  want[0] = 15.0f;
  want[16] = 0.0f;
  want[31] = 3.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q5_0, b), want);
}

TEST(ReferenceLegacyTest, Q5_1ByHand) {
  BlockQ5_1 b;
  b.d = 0x3800;  // 0.5
  b.m = 0x4000;  // 2.0
  b.qh[0] = b.qh[1] = b.qh[2] = 0x00;
  b.qh[3] = 0x80;                         // bit 31: value 31 has its fifth bit
  std::memset(b.qs, 0x00, sizeof(b.qs));  // 0 * 0.5 + 2 = 2
  b.qs[15] = 0x1F;  // value 15: 15 * 0.5 + 2 = 9.5; value 31: (1 | 16) * 0.5 + 2 = 10.5
  std::vector<float> want(kQK, 2.0f);
  want[15] = 9.5f;
  want[31] = 10.5f;
  EXPECT_EQ(Dequantize(GgmlType::Q5_1, b), want);
}

TEST(ReferenceLegacyTest, Q8_0ByHand) {
  BlockQ8_0 b;
  b.d = 0x3000;  // 0.125
  std::memset(b.qs, 0, sizeof(b.qs));
  b.qs[0] = -128;  // -16
  b.qs[1] = 127;   // 15.875
  b.qs[2] = 1;     // 0.125
  b.qs[31] = -1;   // -0.125
  std::vector<float> want(kQK, 0.0f);
  want[0] = -16.0f;
  want[1] = 15.875f;
  want[2] = 0.125f;
  want[31] = -0.125f;
  EXPECT_EQ(Dequantize(GgmlType::Q8_0, b), want);
}

TEST(ReferenceLegacyTest, PlainFloatsByHand) {
  // f16: 0x3C00 = 1, 0xC000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7BFF = 65504.
  const uint16_t f16[4] = {0x3C00, 0xC000, 0x0001, 0x7BFF};
  float y[4];
  DequantizeRowRef(GgmlType::F16, f16, y, 4);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(y[3], 65504.0f);
  // bf16: 0x3F80 = 1, 0xC040 = -3 (sign, exponent 128, mantissa .1b), 0x0001 = 2^-133.
  const uint16_t bf16[3] = {0x3F80, 0xC040, 0x0001};
  DequantizeRowRef(GgmlType::BF16, bf16, y, 3);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -3.0f);
  EXPECT_EQ(y[2], std::ldexp(1.0f, -133));
}

TEST(ReferenceLegacyTest, Q8_0QuantizeByHand) {
  // amax = 127 -> d = 1 exactly, id = 1, q = roundf(x): halves away from zero.
  float x[kQK] = {127.0f, -63.5f, 0.5f, -0.5f, 2.5f, 1.49f};
  BlockQ8_0 b;
  QuantizeRowRef(GgmlType::Q8_0, x, &b, kQK);
  EXPECT_EQ(b.d, 0x3C00);
  const int8_t want[6] = {127, -64, 1, -1, 3, 1};
  for (int j = 0; j < 6; ++j) EXPECT_EQ(b.qs[j], want[j]) << j;
  for (int j = 6; j < kQK; ++j) EXPECT_EQ(b.qs[j], 0) << j;
}

TEST(ReferenceLegacyTest, Q4_0QuantizeByHand) {
  // The first value of largest magnitude is -8, so d = -8 / -8 = 1, and
  // q = min(15, trunc(x + 8.5)): -8 -> 0, 8 -> 16 clipped to 15, 0.5 -> 9,
  // -0.5 -> 8, 2.4 -> 10, 0 -> 8.
  float x[kQK] = {-8.0f, 8.0f, 0.5f, -0.5f, 2.4f};
  BlockQ4_0 b;
  QuantizeRowRef(GgmlType::Q4_0, x, &b, kQK);
  EXPECT_EQ(b.d, 0x3C00);
  // Byte j holds value j (low nibble) and value j + 16 (high; all 8 here).
  const uint8_t want[16] = {0x80, 0x8F, 0x89, 0x88, 0x8A, 0x88, 0x88, 0x88,
                            0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88};
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j], want[j]) << j;
}

TEST(ReferenceLegacyTest, Q4_1QuantizeByHand) {
  // min = -1, max = 14: d = 15 / 15 = 1, q = trunc(x + 1 + 0.5): -1 -> 0,
  // 14 -> 15, 0.4 -> 1, 0.5 -> 2 (ties up).
  float x[kQK] = {-1.0f, 14.0f, 0.4f, 0.5f};
  BlockQ4_1 b;
  QuantizeRowRef(GgmlType::Q4_1, x, &b, kQK);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.m, 0xBC00);
  // Values 4..31 are 0 -> q = 1.
  EXPECT_EQ(b.qs[0], 0x10);
  EXPECT_EQ(b.qs[1], 0x1F);
  EXPECT_EQ(b.qs[2], 0x11);
  EXPECT_EQ(b.qs[3], 0x12);
  EXPECT_EQ(b.qs[4], 0x11);
}

// ---- round trips -----------------------------------------------------------

// Blocks of random values with a random magnitude per block (2^-4 .. 2^6),
// so scales stay in f16's normal range.
std::vector<float> RandomValues(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_real_distribution<float> e(-4.0f, 6.0f);
  std::vector<float> x(n);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float scale = std::exp2(e(rng));
    for (int j = 0; j < kQK; ++j) x[b * kQK + j] = scale * u(rng);
  }
  return x;
}

// Per-block error bound: the code rounding error `code_err` (in units of d)
// plus the error from storing d and m in f16 (relative 2^-11 each, scaled by
// the largest code magnitude |q|max for d), plus slack for the float
// arithmetic (a few ulps of the block's magnitude).
struct Bound {
  double code_err;  // in units of |d|
  double qmax;      // largest |code| that multiplies d in the dequantisation
};

void ExpectRoundTrip(GgmlType type, Bound bound, bool has_min, double d_divisor) {
  std::mt19937 rng(static_cast<uint32_t>(type) + 100);
  const int64_t n = 64 * kQK;
  const std::vector<float> x = RandomValues(n, rng);
  std::vector<uint8_t> q(RowBytes(type, n));
  QuantizeRowRef(type, x.data(), q.data(), n);
  std::vector<float> y(n);
  DequantizeRowRef(type, q.data(), y.data(), n);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* xb = &x[b * kQK];
    const float lo = *std::min_element(xb, xb + kQK);
    const float hi = *std::max_element(xb, xb + kQK);
    const double amax = std::max(std::fabs(lo), std::fabs(hi));
    // The scale as the quantizer computes it: amax / divisor, or the range.
    const double d = has_min ? (hi - lo) / d_divisor : amax / d_divisor;
    const double f16 = std::ldexp(1.0, -11);
    const double tol = bound.code_err * d + bound.qmax * d * f16 +
                       (has_min ? std::fabs(lo) * f16 : 0) + 8 * amax * std::ldexp(1.0, -24);
    for (int j = 0; j < kQK; ++j) {
      ASSERT_LE(std::fabs(y[b * kQK + j] - xb[j]), tol)
          << TypeName(type) << " block " << b << " j " << j;
    }
  }
}

// Q8_0: d = amax/127, q = round(x/d): error <= d/2; |q| <= 127.
TEST(ReferenceLegacyTest, Q8_0RoundTrip) {
  ExpectRoundTrip(GgmlType::Q8_0, {0.5, 127}, false, 127);
}
// Q4_0: |d| = amax/8; codes round to nearest (d/2) except that the end
// opposite the extreme, x/d up to +8, is clipped from 16 to 15: error <= |d|.
// |q - 8| <= 8.
TEST(ReferenceLegacyTest, Q4_0RoundTrip) { ExpectRoundTrip(GgmlType::Q4_0, {1.0, 8}, false, 8); }
// Q5_0: as Q4_0 with |d| = amax/16 and |q - 16| <= 16.
TEST(ReferenceLegacyTest, Q5_0RoundTrip) { ExpectRoundTrip(GgmlType::Q5_0, {1.0, 16}, false, 16); }
// Q4_1: d = (max - min)/15, codes in [0, 15] round to nearest: d/2, plus
// the f16 rounding of m (|min| 2^-11).
TEST(ReferenceLegacyTest, Q4_1RoundTrip) { ExpectRoundTrip(GgmlType::Q4_1, {0.5, 15}, true, 15); }
// Q5_1: d = (max - min)/31, codes in [0, 31]: d/2.
TEST(ReferenceLegacyTest, Q5_1RoundTrip) { ExpectRoundTrip(GgmlType::Q5_1, {0.5, 31}, true, 31); }

TEST(ReferenceLegacyTest, PlainFloatRoundTrips) {
  std::mt19937 rng(5);
  const int64_t n = 1023;
  std::vector<float> x(n);
  std::uniform_real_distribution<float> u(-100.0f, 100.0f);
  for (float& v : x) v = u(rng);
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    std::vector<uint8_t> q(RowBytes(type, n));
    QuantizeRowRef(type, x.data(), q.data(), n);
    std::vector<float> y(n);
    DequantizeRowRef(type, q.data(), y.data(), n);
    // Round to nearest with p significant bits: relative error <= 2^-p.
    // F32 is a copy; F16 has p = 11 (normal for |x| >= 2^-14, else the
    // absolute error is <= 2^-25); BF16 p = 8.
    const double rel = type == GgmlType::F32   ? 0.0
                       : type == GgmlType::F16 ? std::ldexp(1.0, -11)
                                               : std::ldexp(1.0, -8);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_LE(std::fabs(y[i] - x[i]),
                rel * std::fabs(x[i]) + (type == GgmlType::F16 ? std::ldexp(1.0, -25) : 0.0))
          << TypeName(type) << " " << i;
    }
  }
}

TEST(ReferenceLegacyTest, AllZeroBlocksQuantizeToZero) {
  // d = 0 must not divide by zero: id = 0 and every value decodes to 0.
  const float x[kQK] = {};
  for (GgmlType type :
       {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0}) {
    std::vector<uint8_t> q(RowBytes(type, kQK));
    QuantizeRowRef(type, x, q.data(), kQK);
    std::vector<float> y(kQK, 1.0f);
    DequantizeRowRef(type, q.data(), y.data(), kQK);
    for (float v : y) EXPECT_EQ(v, 0.0f) << TypeName(type);
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
