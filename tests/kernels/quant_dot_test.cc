// The quantized-activation dots (kernels/cpu/quant_dot_ref.h): for every
// weight type, DotQuantizedRef against the exact-float DotRef within a bound
// derived from the activation format's rounding; hand-worked blocks for
// Q4_0 x Q8_0 and Q4_K x Q8_K; the Q8_1 quantizer; the plain types' exact
// order; MatVecQuantizedRef row by row. tests/kernels/test_quant_dot.py checks
// bit-exactness against an independent numpy implementation of ggml's formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/reference.h"
#include "kernels/half.h"
#include "kernels/types.h"
#include "tests/kernels/test_blocks.h"

namespace kiln::kernels::cpu {
namespace {

const GgmlType kWeightTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                                 GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                 GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                 GgmlType::Q6_K};

bool HasMin(GgmlType t) { return t == GgmlType::Q4_1 || t == GgmlType::Q5_1; }

TEST(QuantDotTest, ActivationTypesAreGgmls) {
  EXPECT_EQ(ActivationType(GgmlType::F32), GgmlType::F32);
  EXPECT_EQ(ActivationType(GgmlType::F16), GgmlType::F16);
  EXPECT_EQ(ActivationType(GgmlType::BF16), GgmlType::BF16);
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q8_0})
    EXPECT_EQ(ActivationType(t), GgmlType::Q8_0) << TypeName(t);
  for (GgmlType t : {GgmlType::Q4_1, GgmlType::Q5_1})
    EXPECT_EQ(ActivationType(t), GgmlType::Q8_1) << TypeName(t);
  for (GgmlType t :
       {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
    EXPECT_EQ(ActivationType(t), GgmlType::Q8_K) << TypeName(t);
  for (GgmlType t : kWeightTypes) EXPECT_TRUE(HasQuantizedDotRef(t)) << TypeName(t);
  EXPECT_FALSE(HasQuantizedDotRef(GgmlType::Q8_K));
  EXPECT_EQ(ActivationRowBytes(GgmlType::Q4_K, 512), 2 * sizeof(BlockQ8_K));
  EXPECT_EQ(ActivationRowBytes(GgmlType::Q4_1, 64), 2 * sizeof(BlockQ8_1));
  EXPECT_EQ(ActivationRowBytes(GgmlType::F16, 7), 14u);
}

// Per-value bound e of |x - x^|, x^ the activation the dot effectively uses,
// for a block whose largest magnitude is amax:
//  - Q8_0/Q8_1: d = amax / 127, q = round(x / d) (error d / 2, plus a few
//    ulps of x * (1/d)), then x^ = f16(d) * q: f16 adds |q| d 2^-11 <= 127 d 2^-11.
//  - Q8_K: d = max / -127 kept in float: d / 2 plus a few float ulps.
//  - F16 / BF16: half an ulp of x: |x| 2^-11 / 2^-8 (normal range).
double ActivationError(GgmlType act, double amax, double x) {
  const double d = amax / 127.0;
  switch (act) {
    case GgmlType::Q8_0:
    case GgmlType::Q8_1:
      return d * (0.5 + 127 * std::ldexp(1.0, -11) + std::ldexp(1.0, -16));
    case GgmlType::Q8_K:
      return d * (0.5 + std::ldexp(1.0, -16));
    case GgmlType::F16:
      return std::fabs(x) * std::ldexp(1.0, -11);
    case GgmlType::BF16:
      return std::fabs(x) * std::ldexp(1.0, -8);
    default:
      return 0.0;
  }
}

// |w| with every term of the dequantisation made positive: the row with
// d -> |d| and the min field -> +|m| (Q4_1/Q5_1, y = d q + m) or -|dmin|
// (K-quants, y = d s q - dmin m), dequantised, then |.|. It bounds the size
// of each float term ggml's formula adds, before any cancellation.
std::vector<float> TermMagnitudes(GgmlType type, const std::vector<uint8_t>& row, int64_t n) {
  std::vector<uint8_t> abs_row = row;
  const TypeTraits& t = Traits(type);
  const std::vector<size_t> fields = testing::F16FieldOffsets(type);
  for (int64_t b = 0; b < n / t.block_size; ++b) {
    for (size_t f = 0; f < fields.size(); ++f) {
      uint8_t* p = abs_row.data() + b * t.type_size + fields[f];
      uint16_t h;
      std::memcpy(&h, p, 2);
      h &= 0x7FFF;
      if (f == 1 && !HasMin(type)) h |= 0x8000;  // dmin -> -|dmin|
      std::memcpy(p, &h, 2);
    }
  }
  std::vector<float> m(n);
  DequantizeRowRef(type, abs_row.data(), m.data(), n);
  for (float& v : m) v = std::fabs(v);
  return m;
}

TEST(QuantDotTest, CloseToExactDotWithinActivationRounding) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (GgmlType type : kWeightTypes) {
    const GgmlType act = ActivationType(type);
    const int64_t block = std::max(Traits(type).block_size, Traits(act).block_size);
    for (int64_t blocks : {1, 2, 3, 7, 8, 9}) {
      const int64_t n = blocks * std::max<int64_t>(block, 32);
      const std::vector<uint8_t> row = testing::RandomRow(type, n, rng);
      std::vector<float> x(n);
      for (float& v : x) v = u(rng);
      std::vector<uint8_t> xq(ActivationRowBytes(type, n));
      QuantizeActivationsRef(type, x.data(), xq.data(), n);
      const float got = DotQuantizedRef(type, row.data(), xq.data(), n);
      const float exact = DotRef(type, row.data(), x.data(), n);

      // Bound: sum_i mag_i e_i (the activation error each weight term sees)
      // + for Q4_1/Q5_1 the f16 rounding of the stored sum s (|m| |s| 2^-11,
      // |s| <= sum |x| + sum e)
      // + float rounding: every term is rounded a few times (<= 4 u) and the
      // running sum over blocks (and ggml's 8 lanes) adds <= blocks + 8
      // roundings, each <= u of the total magnitude; (blocks + 16) u covers it,
      // doubled for safety.
      const std::vector<float> mag = TermMagnitudes(type, row, n);
      const int64_t act_block = Traits(act).block_size == 1 ? 1 : Traits(act).block_size;
      double quant_err = 0.0, magnitude = 0.0, min_err = 0.0;
      for (int64_t b0 = 0; b0 < n; b0 += act_block) {
        double amax = 0.0;
        for (int64_t i = b0; i < b0 + act_block; ++i) amax = std::max(amax, std::fabs(1.0 * x[i]));
        double sum_abs_x = 0.0, sum_e = 0.0;
        for (int64_t i = b0; i < b0 + act_block; ++i) {
          const double e = ActivationError(act, amax, x[i]);
          quant_err += mag[i] * e;
          magnitude += mag[i] * (std::fabs(x[i]) + e);
          sum_abs_x += std::fabs(x[i]);
          sum_e += e;
        }
        if (HasMin(type)) {
          uint16_t m;
          std::memcpy(&m, row.data() + (b0 / 32) * Traits(type).type_size + 2, 2);
          min_err += std::fabs(F16ToF32(m)) * (sum_abs_x + sum_e) * std::ldexp(1.0, -11);
        }
      }
      const double rounding = 2 * (blocks + 16) * std::ldexp(1.0, -24) * magnitude;
      const double tol = quant_err + min_err + rounding;
      EXPECT_LE(std::fabs(static_cast<double>(got) - exact), tol)
          << TypeName(type) << " n=" << n << " got " << got << " exact " << exact;
      // And the bound is not vacuous: it is a small part of the magnitude
      // (8-bit activations: about 1/254 of sum |w| |x| at most).
      EXPECT_LT(tol, 0.02 * magnitude + 1e-30) << TypeName(type);
    }
  }
}

TEST(QuantDotTest, Q4_0TimesQ8_0ByHand) {
  BlockQ4_0 w;
  w.d = 0x3800;                           // 0.5
  std::memset(w.qs, 0x88, sizeof(w.qs));  // code 8 -> 0
  w.qs[0] = 0x09;                         // value 0: 9 - 8 = 1; value 16: 0 - 8 = -8
  w.qs[15] = 0xF8;                        // value 15: 0; value 31: 15 - 8 = 7
  // amax 127 gives d = 1 and codes equal to the (integer) values.
  std::vector<float> x(kQK, 5.0f);
  x[0] = 127.0f;
  x[16] = -3.0f;
  x[31] = 2.0f;
  BlockQ8_0 xq;
  QuantizeActivationsRef(GgmlType::Q4_0, x.data(), &xq, kQK);
  EXPECT_EQ(xq.d, 0x3C00);
  for (int j = 0; j < kQK; ++j) EXPECT_EQ(xq.qs[j], static_cast<int8_t>(x[j])) << j;
  // sumi = 1 * 127 + (-8) * (-3) + 7 * 2 = 165; 165 * 0.5 * 1 = 82.5.
  EXPECT_EQ(DotQuantizedRef(GgmlType::Q4_0, &w, &xq, kQK), 82.5f);
  EXPECT_EQ(DotRef(GgmlType::Q4_0, &w, x.data(), kQK), 82.5f);
}

TEST(QuantDotTest, Q4_KTimesQ8_KByHand) {
  BlockQ4_K w;
  std::memset(&w, 0, sizeof(w));
  w.d = 0x3C00;        // 1
  w.dmin = 0x3800;     // 0.5
  w.scales[0] = 2;     // sub-block 0 (values 0..31): scale 2
  w.scales[4] = 1;     //                             min 1
  w.scales[9] = 0x23;  // sub-block 5 (160..191): scale 3 (low nibble), min 2 (high)
  w.qs[0] = 0x05;      // value 0: code 5
  w.qs[1] = 0x03;      // value 1: code 3
  w.qs[74] = 0x70;     // value 170 = 64 * 2 + 42: byte 64 + 10, high nibble: code 7
  // max = -127 gives iscale = 1, d = 1, codes equal to the values.
  std::vector<float> x(kQK_K, 1.0f);
  x[0] = -127.0f;
  BlockQ8_K xq;
  QuantizeActivationsRef(GgmlType::Q4_K, x.data(), &xq, kQK_K);
  EXPECT_EQ(xq.d, 1.0f);
  EXPECT_EQ(xq.qs[0], -127);
  EXPECT_EQ(xq.bsums[0], -127 + 15);
  EXPECT_EQ(xq.bsums[1], 16);
  // Scale term: 2 * (5 * -127 + 3 * 1 + 0 * 30) + 3 * (7 * 1) = -1264 + 21 = -1243.
  // Mins term: sumi = 1 * (bsums[0] + bsums[1]) + 2 * (bsums[10] + bsums[11])
  //          = 1 * (-112 + 16) + 2 * 32 = -32; sumf -= 0.5 * -32 -> +16.
  // Total -1227. As floats: w = 2q - 0.5 in sub-block 0 (9.5, 5.5, 30 x -0.5),
  // 3q - 1 in sub-block 5 (20, 31 x -1): -1206.5 + 5.5 - 15 + 20 - 31 = -1227.
  EXPECT_EQ(DotQuantizedRef(GgmlType::Q4_K, &w, &xq, kQK_K), -1227.0f);
  EXPECT_EQ(DotRef(GgmlType::Q4_K, &w, x.data(), kQK_K), -1227.0f);
}

TEST(QuantDotTest, Q8_1QuantizerByHand) {
  std::vector<float> x(kQK, 0.0f);
  x[0] = 127.0f;  // d = 1
  x[1] = -1.4f;   // -1
  x[2] = 2.5f;    // 3 (roundf: halves away from zero)
  x[20] = -0.5f;  // -1
  BlockQ8_1 b;
  QuantizeRowRef(GgmlType::Q8_1, x.data(), &b, kQK);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], -1);
  EXPECT_EQ(b.qs[2], 3);
  EXPECT_EQ(b.qs[20], -1);
  EXPECT_EQ(F16ToF32(b.s), 127.0f - 1 + 3 - 1);  // s = d * sum(q) = 128
  // The codes are Q8_0's; s uses the float d (not its f16 rounding).
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  for (int trial = 0; trial < 100; ++trial) {
    for (float& v : x) v = u(rng);
    BlockQ8_0 b0;
    QuantizeRowRef(GgmlType::Q8_0, x.data(), &b0, kQK);
    QuantizeRowRef(GgmlType::Q8_1, x.data(), &b, kQK);
    EXPECT_EQ(b.d, b0.d);
    EXPECT_EQ(0, std::memcmp(b.qs, b0.qs, kQK));
    int sum = 0;
    for (int j = 0; j < kQK; ++j) sum += b.qs[j];
    float amax = 0.0f;
    for (float v : x) amax = std::max(amax, std::fabs(v));
    EXPECT_EQ(b.s, F32ToF16(static_cast<float>(sum) * (amax / 127.0f)));
    std::vector<float> back(kQK);
    DequantizeRowRef(GgmlType::Q8_1, &b, back.data(), kQK);
    for (int j = 0; j < kQK; ++j) EXPECT_EQ(back[j], b.qs[j] * F16ToF32(b.d));
  }
}

TEST(QuantDotTest, PlainTypesSumFloatProductsInDouble) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  const int64_t n = 37;
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16}) {
    const std::vector<uint8_t> row = testing::RandomRow(type, n, rng);
    std::vector<float> x(n);
    for (float& v : x) v = u(rng);
    std::vector<uint8_t> xq(ActivationRowBytes(type, n));
    QuantizeActivationsRef(type, x.data(), xq.data(), n);
    std::vector<float> w(n), xr(n);
    DequantizeRowRef(type, row.data(), w.data(), n);
    DequantizeRowRef(type, xq.data(), xr.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const float want = type == GgmlType::F16    ? F16ToF32(F32ToF16(x[i]))
                         : type == GgmlType::BF16 ? Bf16ToF32(F32ToBf16(x[i]))
                                                  : x[i];
      ASSERT_EQ(xr[i], want);
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(w[i] * xr[i]);
    EXPECT_EQ(DotQuantizedRef(type, row.data(), xq.data(), n), static_cast<float>(sum))
        << TypeName(type);
  }
}

TEST(QuantDotTest, MatVecIsDotPerRowWithOneQuantization) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (GgmlType type : kWeightTypes) {
    const int64_t cols = 2 * std::max<int64_t>(Traits(type).block_size, 32);
    for (int64_t rows : {1, 3, 7}) {
      const std::vector<uint8_t> matrix = testing::RandomRow(type, rows * cols, rng);
      std::vector<float> x(cols);
      for (float& v : x) v = u(rng);
      std::vector<float> y(rows);
      MatVecQuantizedRef(type, matrix.data(), rows, cols, x.data(), y.data());
      std::vector<uint8_t> xq(ActivationRowBytes(type, cols));
      QuantizeActivationsRef(type, x.data(), xq.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        ASSERT_EQ(y[r],
                  DotQuantizedRef(type, matrix.data() + r * RowBytes(type, cols), xq.data(), cols))
            << TypeName(type) << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
