// The K-quants: one super-block of each decoded by hand from its definition
// in blocks.h (a few sub-blocks and quants set, the rest zero, expected
// values with their arithmetic), and the Q8_K quantizer.
#include <gtest/gtest.h>

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
  std::vector<float> y(kQK_K);
  DequantizeRowRef(type, &b, y.data(), kQK_K);
  return y;
}

template <typename Block>
Block Zeroed() {
  Block b;
  std::memset(&b, 0, sizeof(b));
  return b;
}

void Fill(std::vector<float>& v, int from, int to, float value) {
  for (int i = from; i < to; ++i) v[i] = value;
}

TEST(ReferenceKQuantsTest, Q2_KByHand) {
  auto b = Zeroed<BlockQ2_K>();
  b.d = 0x3C00;         // 1.0
  b.dmin = 0x3800;      // 0.5
  b.scales[0] = 0x21;   // sub-block 0 (values 0..15): scale 1, min 2 -> dl = 1, ml = 0.5 * 2 = 1
  b.scales[1] = 0x03;   // sub-block 1 (16..31): scale 3, min 0 -> dl = 3, ml = 0
  b.scales[15] = 0xF2;  // sub-block 15 (240..255): dl = 2, ml = 0.5 * 15 = 7.5
  b.qs[0] = 0x02;       // value 0: 2 -> 1 * 2 - 1 = 1 (other planes of byte 0 have scale 0)
  b.qs[16] = 0x03;      // value 16: 3 -> 3 * 3 = 9
  // Value 255: second half (qs[32..63]), 255 % 32 = 31, plane (255 / 32) % 4 = 3
  // -> qs[63] >> 6 = 3 -> 2 * 3 - 7.5 = -1.5.
  b.qs[63] = 0xC0;
  std::vector<float> want(kQK_K, 0.0f);  // scale 0, min 0 everywhere else
  Fill(want, 1, 16, -1.0f);              // q = 0: 1 * 0 - 1
  Fill(want, 240, 255, -7.5f);           // q = 0: 2 * 0 - 7.5
  want[0] = 1.0f;
  want[16] = 9.0f;
  want[255] = -1.5f;
  EXPECT_EQ(Dequantize(GgmlType::Q2_K, b), want);
}

TEST(ReferenceKQuantsTest, Q3_KByHand) {
  auto b = Zeroed<BlockQ3_K>();
  b.d = 0x3800;  // 0.5
  // Stored scales are 6 bits with a +32 bias. All 32 (-> 0) except:
  //   sub-block 0 = 33 (+1): low 4 bits 1 in scales[0], high 2 bits 2;
  //   sub-block 9 = 29 (-3): low 4 bits 13 in the high nibble of scales[1],
  //                          high 2 bits 1 at scales[9] >> 4.
  // High bits: scales[8 + k % 4] >> 2 * (k / 4); "2" in every slot is 0xAA.
  b.scales[0] = 0x01;
  b.scales[1] = 0xD0;
  b.scales[8] = b.scales[10] = b.scales[11] = 0xAA;
  b.scales[9] = 0x9A;                           // 0b10'01'10'10: slot k = 9 (bits 4..5) holds 1
  std::memset(b.hmask, 0xFF, sizeof(b.hmask));  // high bit set: q = low 2 bits
  b.hmask[0] = 0xFE;  // value 0 (bit 0 of hmask[0]) has no high bit: q = low - 4
  b.qs[0] = 0x03;     // value 0: low = 3 -> q = 3 - 4 = -1 -> 0.5 * 1 * -1 = -0.5
  // Value 144 (sub-block 9): second half, 144 % 32 = 16, plane 0 -> qs[48] & 3;
  // high bit hmask[16] >> 4 is set -> q = 2 -> 0.5 * -3 * 2 = -3.
  b.qs[48] = 0x02;
  std::vector<float> want(kQK_K, 0.0f);  // scale 0, or q = 0 (high set, low 0)
  want[0] = -0.5f;
  want[144] = -3.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q3_K, b), want);
}

// Scales shared by the Q4_K and Q5_K examples (6 bits each, in 12 bytes):
//   sub-block 0: scale 3, min 1 -> scales[0] = 3, scales[4] = 1.
//   sub-block 5: scale 37 = 0b10'0101, min 20 = 0b01'0100. Low 4 bits of
//     both in scales[9] (scale low nibble, min high nibble) = 0x45; the top 2
//     bits of the scale at scales[1] >> 6 (0x80) and of the min at
//     scales[5] >> 6 (0x40), leaving sub-block 1's 6-bit scale/min 0.
template <typename Block>
void SetKScales(Block& b) {
  b.d = 0x4000;     // 2.0
  b.dmin = 0x3C00;  // 1.0
  b.scales[0] = 3;
  b.scales[4] = 1;
  b.scales[1] = 0x80;
  b.scales[5] = 0x40;
  b.scales[9] = 0x45;
}

TEST(ReferenceKQuantsTest, Q4_KByHand) {
  auto b = Zeroed<BlockQ4_K>();
  SetKScales(b);
  // Sub-block 0: dl = 2 * 3 = 6, ml = 1 * 1 = 1. Sub-block 5 (values
  // 160..191): dl = 2 * 37 = 74, ml = 20.
  b.qs[0] = 0x07;  // value 0: 7 -> 6 * 7 - 1 = 41
  // Value 191: group 191 / 64 = 2 (qs[64..95]), second 32 -> high nibble of
  // qs[64 + 31]: 15 -> 74 * 15 - 20 = 1090. Its low nibble, value 159, is in
  // sub-block 4 (scale 0, min 0).
  b.qs[95] = 0xF0;
  std::vector<float> want(kQK_K, 0.0f);
  Fill(want, 1, 32, -1.0f);      // q = 0: 6 * 0 - 1
  Fill(want, 160, 191, -20.0f);  // q = 0: 74 * 0 - 20
  want[0] = 41.0f;
  want[191] = 1090.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q4_K, b), want);
}

TEST(ReferenceKQuantsTest, Q5_KByHand) {
  auto b = Zeroed<BlockQ5_K>();
  SetKScales(b);
  b.qs[0] = 0x07;
  b.qs[95] = 0xF0;
  // Fifth bit of value i: bit i / 32 of qh[i % 32].
  b.qh[0] = 0x01;   // value 0: 7 | 16 = 23 -> 6 * 23 - 1 = 137
  b.qh[1] = 0x20;   // value 161 (bit 5 of qh[1]): 0 | 16 -> 74 * 16 - 20 = 1164
  b.qh[31] = 0x20;  // value 191: 15 | 16 = 31 -> 74 * 31 - 20 = 2274
  std::vector<float> want(kQK_K, 0.0f);
  Fill(want, 1, 32, -1.0f);
  Fill(want, 160, 191, -20.0f);
  want[0] = 137.0f;
  want[161] = 1164.0f;
  want[191] = 2274.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q5_K, b), want);
}

TEST(ReferenceKQuantsTest, Q6_KByHand) {
  auto b = Zeroed<BlockQ6_K>();
  b.d = 0x3800;       // 0.5
  b.scales[0] = 2;    // values 0..15
  b.scales[9] = 1;    // values 144..159
  b.scales[15] = -4;  // values 240..255
  // All-zero bits give q = 0 - 32 = -32.
  b.ql[0] = 0x0F;  // value 0: low 15, high qh[0] & 3 = 3 -> 63 - 32 = 31 -> 0.5 * 2 * 31 = 31
  b.qh[0] = 0x03;
  // Value 255: half 1, j = 127: low = ql[64 + 63] >> 4 = 5, high =
  // qh[32 + 31] >> 6 = 2 -> (5 | 32) - 32 = 5 -> 0.5 * -4 * 5 = -10.
  b.ql[127] = 0x50;
  b.qh[63] = 0x80;
  std::vector<float> want(kQK_K, 0.0f);  // scale 0
  Fill(want, 1, 16, -32.0f);             // 0.5 * 2 * -32
  Fill(want, 144, 160, -16.0f);          // 0.5 * 1 * -32
  Fill(want, 240, 255, 64.0f);           // 0.5 * -4 * -32
  want[0] = 31.0f;
  want[255] = -10.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q6_K, b), want);
}

TEST(ReferenceKQuantsTest, Q8_KByHand) {
  auto b = Zeroed<BlockQ8_K>();
  b.d = -0.25f;
  b.qs[0] = 4;       // -0.25 * 4 = -1
  b.qs[255] = -128;  // -0.25 * -128 = 32
  std::vector<float> want(kQK_K, 0.0f);
  want[0] = -1.0f;
  want[255] = 32.0f;
  EXPECT_EQ(Dequantize(GgmlType::Q8_K, b), want);
}

TEST(ReferenceKQuantsTest, Q8_KQuantizeByHand) {
  // max = 2 (largest magnitude, positive) -> iscale = -127 / 2 = -63.5;
  // q = round-half-even(-63.5 x): 2 -> -127, -1 -> 63.5 -> 64, 1 -> -64;
  // d = 1 / iscale; bsums[0] = -127 + 64 (values 0..15), bsums[1] = -64.
  std::vector<float> x(kQK_K, 0.0f);
  x[0] = 2.0f;
  x[1] = -1.0f;
  x[17] = 1.0f;
  BlockQ8_K b;
  QuantizeRowRef(GgmlType::Q8_K, x.data(), &b, kQK_K);
  EXPECT_EQ(b.d, 1.0f / -63.5f);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 64);
  EXPECT_EQ(b.qs[17], -64);
  EXPECT_EQ(b.bsums[0], -127 + 64);
  EXPECT_EQ(b.bsums[1], -64);
  for (int g = 2; g < 16; ++g) EXPECT_EQ(b.bsums[g], 0);
}

TEST(ReferenceKQuantsTest, Q8_KRoundTrip) {
  // |d| = amax/127 kept in f32; q = round(x/d) with |x/d| <= 127 (clamping
  // never triggers: only +128 would, and x/d >= -127 - 1 ulp): error
  // <= |d|/2, plus float slack (x * iscale rounding, 1 / iscale): 8 ulps of amax.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const int64_t n = 16 * kQK_K;
  std::vector<float> x(n);
  for (float& v : x) v = 37.0f * u(rng);
  std::vector<uint8_t> q(RowBytes(GgmlType::Q8_K, n));
  QuantizeRowRef(GgmlType::Q8_K, x.data(), q.data(), n);
  std::vector<float> y(n);
  DequantizeRowRef(GgmlType::Q8_K, q.data(), y.data(), n);
  for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
    double amax = 0;
    for (int i = 0; i < kQK_K; ++i) amax = std::max(amax, std::fabs(double{x[blk * kQK_K + i]}));
    const double tol = amax / 127 / 2 + 8 * amax * std::ldexp(1.0, -24);
    BlockQ8_K b;
    std::memcpy(&b, q.data() + blk * sizeof(BlockQ8_K), sizeof(b));
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += b.qs[16 * g + k];
      ASSERT_EQ(b.bsums[g], sum);
    }
    for (int i = 0; i < kQK_K; ++i) {
      ASSERT_LE(std::fabs(y[blk * kQK_K + i] - x[blk * kQK_K + i]), tol) << blk << " " << i;
    }
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
