// ggml's generic vec_dot of the K-quants with Q8_K activations (see
// quant_dot_ref.h). Integer sums are exact, so only the float steps need
// ggml's order, and they are reproduced here:
//  - Q2_K: per super-block, sumf += dall * isum - dmin * summs.
//  - Q3_K..Q6_K: ggml accumulates the integer products in 8 lanes (aux32[l]
//    gets the positions p with p % 8 == l, each scaled by its sub-block
//    scale); per super-block sums[l] += d * aux32[l] in float; Q4_K/Q5_K
//    also do sumf -= dmin * sumi (the mins term, from Q8_K's bsums); at the
//    very end sumf += sums[0] + ... + sums[7], one lane at a time.
// d is f16(w.d) * x.d (a float product; the Q8_K scale is a float).
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/blocks.h"
#include "kernels/cpu/internal/block_codes.h"
#include "kernels/cpu/internal/quant_dot_rows.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu::internal {
namespace {

constexpr int kLanes = 8;

// The 8 float lane sums of ggml's Q3_K..Q6_K dots, across super-blocks.
struct LaneSums {
  float sums[kLanes] = {};

  // One super-block: a[p] the weight codes, scale[p / group] their integer
  // sub-block scales, q8 the activation codes; d the combined float scale.
  void Add(const int8_t* a, const int* scale, int group, const int8_t* q8, float d) {
    int32_t aux32[kLanes] = {};
    for (int p = 0; p < kQK_K; ++p) aux32[p % kLanes] += scale[p / group] * (q8[p] * a[p]);
    for (int l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(aux32[l]);
  }

  // sumf + sums[0] + ... + sums[7], in that order.
  float Finish(float sumf) const {
    for (int l = 0; l < kLanes; ++l) sumf += sums[l];
    return sumf;
  }
};

// Unpacked 6-bit scales and mins of the 8 sub-blocks of Q4_K/Q5_K.
void Q4ScalesMins(const uint8_t* packed, int scales[8], int mins[8]) {
  uint8_t s[8], m[8];
  UnpackScalesMinsK4(packed, s, m);
  for (int k = 0; k < 8; ++k) {
    scales[k] = s[k];
    mins[k] = m[k];
  }
}

// The mins term of Q4_K/Q5_K: sum over the 16 groups of 16 of
// bsums[g] * min of the sub-block of 32 holding the group.
int MinsTerm(const BlockQ8_K& y, const int mins[8]) {
  int sumi = 0;
  for (int g = 0; g < kQK_K / 16; ++g) sumi += y.bsums[g] * mins[g / 2];
  return sumi;
}

}  // namespace

// ggml_vec_dot_q2_K_q8_K_generic.
float DotQ2_KQ8_K(const void* w, const void* xq, int64_t nb) {
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ2_K>(w, i);
    const auto y = LoadBlock<BlockQ8_K>(xq, i);
    int summs = 0;  // mins: high nibble of each sub-block's scale byte
    for (int k = 0; k < kQK_K / 16; ++k) summs += y.bsums[k] * (x.scales[k] >> 4);
    int isum = 0;
    for (int k = 0; k < kQK_K / 16; ++k) {
      int isuml = 0;
      for (int p = 16 * k; p < 16 * (k + 1); ++p) isuml += y.qs[p] * TwoBits(x.qs, p);
      isum += (x.scales[k] & 0xF) * isuml;
    }
    const float dall = y.d * F16ToF32(x.d);
    const float dmin = y.d * F16ToF32(x.dmin);
    sumf += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sumf;
}

// ggml_vec_dot_q3_K_q8_K_generic: q = low 2 bits - (high bit ? 0 : 4), scales
// 6-bit - 32, one per 16 values.
float DotQ3_KQ8_K(const void* w, const void* xq, int64_t nb) {
  LaneSums lanes;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ3_K>(w, i);
    const auto y = LoadBlock<BlockQ8_K>(xq, i);
    int8_t a[kQK_K];
    for (int p = 0; p < kQK_K; ++p) a[p] = static_cast<int8_t>(Q3Code(x, p));
    int scale[16];
    for (int k = 0; k < 16; ++k) scale[k] = Q3Scale(x.scales, k) - 32;
    lanes.Add(a, scale, 16, y.qs, F16ToF32(x.d) * y.d);
  }
  return lanes.Finish(0.0f);
}

// ggml_vec_dot_q4_K_q8_K_generic and _q5_K_ (the same with the fifth bit,
// +16): one 6-bit scale per 32 values; the mins enter as sumf -= dmin * sumi
// per super-block.
template <typename Block>
float DotQ45_K(const void* w, const void* xq, int64_t nb) {
  LaneSums lanes;
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<Block>(w, i);
    const auto y = LoadBlock<BlockQ8_K>(xq, i);
    int8_t a[kQK_K];
    for (int p = 0; p < kQK_K; ++p) {
      if constexpr (std::is_same_v<Block, BlockQ5_K>) {
        a[p] = static_cast<int8_t>(Q5KCode(x, p));
      } else {
        a[p] = static_cast<int8_t>(Q4Nibble(x.qs, p));
      }
    }
    int scales[8], mins[8];
    Q4ScalesMins(x.scales, scales, mins);
    const int sumi = MinsTerm(y, mins);
    lanes.Add(a, scales, 32, y.qs, F16ToF32(x.d) * y.d);
    const float dmin = F16ToF32(x.dmin) * y.d;
    sumf -= dmin * static_cast<float>(sumi);
  }
  return lanes.Finish(sumf);
}

float DotQ4_KQ8_K(const void* w, const void* xq, int64_t nb) {
  return DotQ45_K<BlockQ4_K>(w, xq, nb);
}

float DotQ5_KQ8_K(const void* w, const void* xq, int64_t nb) {
  return DotQ45_K<BlockQ5_K>(w, xq, nb);
}

// ggml_vec_dot_q6_K_q8_K_generic: 6-bit codes - 32, int8 scales per 16.
float DotQ6_KQ8_K(const void* w, const void* xq, int64_t nb) {
  LaneSums lanes;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ6_K>(w, i);
    const auto y = LoadBlock<BlockQ8_K>(xq, i);
    int8_t a[kQK_K];
    for (int p = 0; p < kQK_K; ++p) a[p] = static_cast<int8_t>(Q6Code(x, p));
    int scale[16];
    for (int k = 0; k < 16; ++k) scale[k] = x.scales[k];
    lanes.Add(a, scale, 16, y.qs, F16ToF32(x.d) * y.d);
  }
  return lanes.Finish(0.0f);
}

}  // namespace kiln::kernels::cpu::internal
