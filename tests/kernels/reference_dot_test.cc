// DotRef and MatVecRef against the plain dot of DequantizeRowRef's output,
// for every type with a reference, over awkward sizes; plus the byte layout
// of every block (field offsets, beyond the sizes blocks.h static_asserts).
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/cpu/reference.h"
#include "kernels/types.h"
#include "tests/kernels/test_blocks.h"

namespace kiln::kernels::cpu {
namespace {

const GgmlType kAllTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,
                              GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                              GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                              GgmlType::Q6_K, GgmlType::Q8_K};

// Sizes in blocks; the plain types (block size 1) get the awkward element
// counts of STYLE.md instead.
std::vector<int64_t> Sizes(GgmlType type) {
  if (Traits(type).block_size == 1) return {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 255, 1023};
  std::vector<int64_t> n;
  for (int64_t blocks : {1, 2, 3, 7, 8, 9}) n.push_back(blocks * Traits(type).block_size);
  return n;
}

TEST(ReferenceDotTest, EveryTypeHasAReference) {
  for (GgmlType type : kAllTypes) {
    EXPECT_TRUE(IsReferenceDequantizable(type)) << TypeName(type);
    EXPECT_TRUE(Traits(type).supported) << TypeName(type);
  }
}

TEST(ReferenceDotTest, DotMatchesDotOfDequantizedRow) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (GgmlType type : kAllTypes) {
    for (int64_t n : Sizes(type)) {
      const std::vector<uint8_t> row = testing::RandomRow(type, n, rng);
      std::vector<float> x(n);
      for (float& v : x) v = u(rng);
      std::vector<float> w(n);
      DequantizeRowRef(type, row.data(), w.data(), n);
      // The test's dot: products and sums in float, in index order.
      float dot = 0.0f;
      double abs_sum = 0.0;  // sum |w_i x_i|
      for (int64_t i = 0; i < n; ++i) {
        dot += w[i] * x[i];
        abs_sum += std::fabs(static_cast<double>(w[i]) * x[i]);
      }
      // Tolerance (u = 2^-24): the float loop does n roundings (n - 1 sums
      // plus 1 product each, folded: gamma_n = n u / (1 - n u) of sum|w x|);
      // DotRef's products are exact in double and its double sum is off by
      // at most about n 2^-53 sum|w x| (double's gamma_n), plus one final
      // rounding to float (u |dot| <= u sum|w x|). So
      // |a - b| <= (gamma_n + n 2^-53 + u) sum|w x|; 1.0001 absorbs the
      // second-order terms.
      const double unit = std::ldexp(1.0, -24);
      const double tol =
          (n * unit / (1 - n * unit) + n * std::ldexp(1.0, -53) + unit) * abs_sum * 1.0001;
      const float got = DotRef(type, row.data(), x.data(), n);
      ASSERT_LE(std::fabs(static_cast<double>(got) - dot), tol) << TypeName(type) << " n=" << n;
    }
  }
}

TEST(ReferenceDotTest, MatVecIsDotPerRow) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (GgmlType type : kAllTypes) {
    const int64_t cols = 3 * Traits(type).block_size;
    for (int64_t rows : {1, 3, 7}) {
      const std::vector<uint8_t> matrix =
          testing::RandomRow(type, rows * cols, rng);  // [rows, cols]
      std::vector<float> x(cols);
      for (float& v : x) v = u(rng);
      std::vector<float> y(rows);
      MatVecRef(type, matrix.data(), rows, cols, x.data(), y.data());
      for (int64_t r = 0; r < rows; ++r) {
        // Same function, same order: exactly equal.
        ASSERT_EQ(y[r], DotRef(type, matrix.data() + r * RowBytes(type, cols), x.data(), cols))
            << TypeName(type) << " row " << r;
      }
    }
  }
}

TEST(BlockLayoutTest, FieldOffsetsMatchGgml) {
  // Offsets as ggml's structs place them (ggml-common.h).
  EXPECT_EQ(offsetof(BlockQ4_0, qs), 2u);
  EXPECT_EQ(offsetof(BlockQ4_1, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ5_0, qh), 2u);
  EXPECT_EQ(offsetof(BlockQ5_0, qs), 6u);
  EXPECT_EQ(offsetof(BlockQ5_1, qh), 4u);
  EXPECT_EQ(offsetof(BlockQ5_1, qs), 8u);
  EXPECT_EQ(offsetof(BlockQ8_0, qs), 2u);
  EXPECT_EQ(offsetof(BlockQ8_1, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ2_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ2_K, d), 80u);
  EXPECT_EQ(offsetof(BlockQ3_K, qs), 32u);
  EXPECT_EQ(offsetof(BlockQ3_K, scales), 96u);
  EXPECT_EQ(offsetof(BlockQ3_K, d), 108u);
  EXPECT_EQ(offsetof(BlockQ4_K, scales), 4u);
  EXPECT_EQ(offsetof(BlockQ4_K, qs), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qh), 16u);
  EXPECT_EQ(offsetof(BlockQ5_K, qs), 48u);
  EXPECT_EQ(offsetof(BlockQ6_K, qh), 128u);
  EXPECT_EQ(offsetof(BlockQ6_K, scales), 192u);
  EXPECT_EQ(offsetof(BlockQ6_K, d), 208u);
  EXPECT_EQ(offsetof(BlockQ8_K, qs), 4u);
  EXPECT_EQ(offsetof(BlockQ8_K, bsums), 260u);
  // And the sizes agree with the type table.
  EXPECT_EQ(sizeof(BlockQ4_0), Traits(GgmlType::Q4_0).type_size);
  EXPECT_EQ(sizeof(BlockQ4_1), Traits(GgmlType::Q4_1).type_size);
  EXPECT_EQ(sizeof(BlockQ5_0), Traits(GgmlType::Q5_0).type_size);
  EXPECT_EQ(sizeof(BlockQ5_1), Traits(GgmlType::Q5_1).type_size);
  EXPECT_EQ(sizeof(BlockQ8_0), Traits(GgmlType::Q8_0).type_size);
  EXPECT_EQ(sizeof(BlockQ8_1), Traits(GgmlType::Q8_1).type_size);
  EXPECT_EQ(sizeof(BlockQ2_K), Traits(GgmlType::Q2_K).type_size);
  EXPECT_EQ(sizeof(BlockQ3_K), Traits(GgmlType::Q3_K).type_size);
  EXPECT_EQ(sizeof(BlockQ4_K), Traits(GgmlType::Q4_K).type_size);
  EXPECT_EQ(sizeof(BlockQ5_K), Traits(GgmlType::Q5_K).type_size);
  EXPECT_EQ(sizeof(BlockQ6_K), Traits(GgmlType::Q6_K).type_size);
  EXPECT_EQ(sizeof(BlockQ8_K), Traits(GgmlType::Q8_K).type_size);
}

}  // namespace
}  // namespace kiln::kernels::cpu
