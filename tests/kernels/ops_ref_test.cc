// The non-matmul reference ops against values worked out by hand.
#include "kernels/cpu/ops_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace kiln::kernels::cpu {
namespace {

TEST(OpsRef, RmsNorm) {
  // x = {3, 4}: mean(x^2) = 12.5, 1/sqrt(12.5) = 0.28284271; w = {1, 2}.
  float x[] = {3, 4}, w[] = {1, 2}, y[2];
  RmsNormRef(x, w, 0.0f, 2, y);
  EXPECT_NEAR(y[0], 0.84852814f, 1e-6);
  EXPECT_NEAR(y[1], 2.26274170f, 1e-6);
  RmsNormRef(x, nullptr, 0.0f, 2, x);  // in place, no weight
  EXPECT_NEAR(x[1], 1.13137085f, 1e-6);
}

TEST(OpsRef, LayerNorm) {
  // x = {1, 2, 3}: mean 2, variance 2/3, so (x - 2) / 0.81649658.
  float x[] = {1, 2, 3}, w[] = {1, 1, 2}, b[] = {0, 0.5f, 0}, y[3];
  LayerNormRef(x, w, b, 0.0f, 3, y);
  EXPECT_NEAR(y[0], -1.22474487f, 1e-6);
  EXPECT_NEAR(y[1], 0.5f, 1e-6);
  EXPECT_NEAR(y[2], 2.44948974f, 1e-6);
}

TEST(OpsRef, RopeRotatesPairsByPositionAngle) {
  // Position 1, base 10000, rot_dim 4: pair 0 turns by 1 rad, pair 1 by 10000^(-1/2) = 0.01 rad.
  float adj[] = {1, 0, 1, 0};
  RopeAdjacentRef(adj, 4, 4, 1, 10000.0f);
  EXPECT_NEAR(adj[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(adj[1], std::sin(1.0f), 1e-6);
  EXPECT_NEAR(adj[2], std::cos(0.01f), 1e-6);
  EXPECT_NEAR(adj[3], std::sin(0.01f), 1e-6);
  // Split halves pair x[i] with x[i + 2].
  float halves[] = {1, 1, 0, 0};
  RopeHalvesRef(halves, 4, 4, 1, 10000.0f);
  EXPECT_NEAR(halves[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(halves[2], std::sin(1.0f), 1e-6);
  EXPECT_NEAR(halves[1], std::cos(0.01f), 1e-6);
  EXPECT_NEAR(halves[3], std::sin(0.01f), 1e-6);
  // Position 0 changes nothing; rotation keeps the norm.
  float same[] = {0.3f, -2, 5, 1};
  RopeAdjacentRef(same, 4, 4, 0, 10000.0f);
  EXPECT_FLOAT_EQ(same[2], 5);
  float v[] = {0.3f, -2, 5, 1};
  RopeHalvesRef(v, 4, 4, 1234, 10000.0f);
  EXPECT_NEAR(v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3], 30.09f, 1e-3);
}

TEST(OpsRef, SoftmaxIsStableAndSumsToOne) {
  float x[] = {1000, 1001, 1002};  // would overflow without subtracting the max
  SoftmaxRef(x, 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0f, 1e-6);
  EXPECT_NEAR(x[2] / x[1], std::exp(1.0f), 1e-4);
}

TEST(OpsRef, Activations) {
  EXPECT_NEAR(SiluRef(1.0f), 0.73105858f, 1e-6);
  EXPECT_NEAR(GeluErfRef(1.0f), 0.84134475f, 1e-6);
  EXPECT_NEAR(GeluTanhRef(1.0f), 0.84119199f, 1e-6);
  EXPECT_EQ(SiluRef(0.0f), 0.0f);
}

TEST(OpsRef, AttentionWeighsValuesBySoftmaxOfScores) {
  // Two keys, strided by 3 (a second head's values sit in between, ignored).
  // q.k = {0, ln 3}: weights 1/4 and 3/4.
  float q[] = {1, 0};
  float k[] = {0, 0, 99, std::log(3.0f), 0, 99};
  float v[] = {4, 8, 99, 0, 4, 99};
  float out[2];
  AttentionRef(q, k, v, 2, 2, 3, 1.0f, out);
  EXPECT_NEAR(out[0], 1.0f, 1e-6);  // 4/4 + 0
  EXPECT_NEAR(out[1], 5.0f, 1e-6);  // 8/4 + 4*3/4
}

}  // namespace
}  // namespace kiln::kernels::cpu

namespace kiln::kernels::cpu {
namespace {

// Precomputed angles give exactly the rotation of the one-step functions.
TEST(OpsRef, RopeWithPrecomputedAnglesIsBitIdentical) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  for (int64_t pos : {0, 1, 17, 4095}) {
    for (float base : {10000.0f, 1000000.0f}) {
      float cos[32], sin[32], a[64], b[64], c[64], e[64];
      for (int i = 0; i < 64; ++i) a[i] = b[i] = c[i] = e[i] = d(rng);
      RopeAnglesRef(64, pos, base, cos, sin);
      RopeAdjacentRef(a, 64, 64, pos, base);
      RopeAdjacentApply(b, 64, cos, sin);
      RopeHalvesRef(c, 64, 64, pos, base);
      RopeHalvesApply(e, 64, cos, sin);
      EXPECT_EQ(0, std::memcmp(a, b, sizeof(a))) << pos;
      EXPECT_EQ(0, std::memcmp(c, e, sizeof(c))) << pos;
    }
  }
}

}  // namespace
}  // namespace kiln::kernels::cpu
