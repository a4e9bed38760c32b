// ggml's generic vec_dot path (see quant_dot_ref.h): the dispatch, the plain
// float types, and the 32-value block formats with Q8_0 / Q8_1 activations.
// Each dot below names the ggml function it mirrors; the float expressions
// keep that function's operand order (float multiplication is not
// associative: (sumi * dx) * dy and sumi * (dx * dy) round differently).
#include "kernels/cpu/quant_dot_ref.h"

#include <cstring>
#include <vector>

#include "base/check.h"
#include "kernels/blocks.h"
#include "kernels/cpu/internal/block_codes.h"
#include "kernels/cpu/internal/quant_dot_rows.h"
#include "kernels/cpu/reference.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu {
namespace internal {
namespace {

// Fifth bit of value j (0..31) of a Q5_0/Q5_1 block, as 0 or 16.
int High16(const uint8_t qh[4], int j) { return ((qh[j / 8] >> (j % 8)) & 1) << 4; }

// sum over j of (code j - kOffset) * activation code j for a 4-bit (kFifth:
// 5-bit) weight block: values j and j + 16 share weight byte j (low, high
// nibble). An integer sum: its order cannot matter.
template <bool kFifth, int kOffset, typename W, typename X>
int BlockSum(const W& x, const X& y) {
  int sumi = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    int x0 = x.qs[j] & 0xF, x1 = x.qs[j] >> 4;
    if constexpr (kFifth) {
      x0 |= High16(x.qh, j);
      x1 |= High16(x.qh, j + kQK / 2);
    }
    sumi += (x0 - kOffset) * y.qs[j] + (x1 - kOffset) * y.qs[j + kQK / 2];
  }
  return sumi;
}

// ggml_vec_dot_q4_1_q8_1_generic and _q5_1_: raw codes (no offset); the
// weight minimum m times the activation block's stored sum s = d_x *
// sum(codes) adds m * sum(x): sumf += (d_w * d_x) * sumi + m * s.
template <typename W, bool kFifth>
float DotMinMax(const void* w, const void* xq, int64_t nb) {
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<W>(w, i);
    const auto y = LoadBlock<BlockQ8_1>(xq, i);
    const int sumi = BlockSum<kFifth, 0>(x, y);
    sumf +=
        (F16ToF32(x.d) * F16ToF32(y.d)) * static_cast<float>(sumi) + F16ToF32(x.m) * F16ToF32(y.s);
  }
  return sumf;
}

}  // namespace

// ggml_vec_dot_q4_0_q8_0_generic: sumf += sumi * d_w * d_x, left to right.
float DotQ4_0Q8_0(const void* w, const void* xq, int64_t nb) {
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ4_0>(w, i);
    const auto y = LoadBlock<BlockQ8_0>(xq, i);
    const int sumi = BlockSum<false, 8>(x, y);
    sumf += static_cast<float>(sumi) * F16ToF32(x.d) * F16ToF32(y.d);
  }
  return sumf;
}

float DotQ4_1Q8_1(const void* w, const void* xq, int64_t nb) {
  return DotMinMax<BlockQ4_1, false>(w, xq, nb);
}

// ggml_vec_dot_q5_0_q8_0_generic: q = nibble | fifth bit << 4, minus 16;
// sumf += (d_w * d_x) * sumi.
float DotQ5_0Q8_0(const void* w, const void* xq, int64_t nb) {
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ5_0>(w, i);
    const auto y = LoadBlock<BlockQ8_0>(xq, i);
    const int sumi = BlockSum<true, 16>(x, y);
    sumf += (F16ToF32(x.d) * F16ToF32(y.d)) * static_cast<float>(sumi);
  }
  return sumf;
}

float DotQ5_1Q8_1(const void* w, const void* xq, int64_t nb) {
  return DotMinMax<BlockQ5_1, true>(w, xq, nb);
}

// ggml_vec_dot_q8_0_q8_0_generic: sumf += sumi * (d_w * d_x).
float DotQ8_0Q8_0(const void* w, const void* xq, int64_t nb) {
  float sumf = 0.0f;
  for (int64_t i = 0; i < nb; ++i) {
    const auto x = LoadBlock<BlockQ8_0>(w, i);
    const auto y = LoadBlock<BlockQ8_0>(xq, i);
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += x.qs[j] * y.qs[j];
    sumf += static_cast<float>(sumi) * (F16ToF32(x.d) * F16ToF32(y.d));
  }
  return sumf;
}

}  // namespace internal

namespace {

using RowDotFn = float (*)(const void* w, const void* xq, int64_t nb);

RowDotFn FindRowDot(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::Q4_0:
      return internal::DotQ4_0Q8_0;
    case GgmlType::Q4_1:
      return internal::DotQ4_1Q8_1;
    case GgmlType::Q5_0:
      return internal::DotQ5_0Q8_0;
    case GgmlType::Q5_1:
      return internal::DotQ5_1Q8_1;
    case GgmlType::Q8_0:
      return internal::DotQ8_0Q8_0;
    case GgmlType::Q2_K:
      return internal::DotQ2_KQ8_K;
    case GgmlType::Q3_K:
      return internal::DotQ3_KQ8_K;
    case GgmlType::Q4_K:
      return internal::DotQ4_KQ8_K;
    case GgmlType::Q5_K:
      return internal::DotQ5_KQ8_K;
    case GgmlType::Q6_K:
      return internal::DotQ6_KQ8_K;
    default:
      return nullptr;
  }
}

uint16_t Load16(const void* p, int64_t i) {
  uint16_t h;
  std::memcpy(&h, static_cast<const uint8_t*>(p) + 2 * i, 2);
  return h;
}

// ggml_vec_dot_f32 / ggml_vec_dot_f16 / ggml_vec_dot_bf16 without GGML_SIMD:
// each product is rounded to float (exact for f16 and bf16 operands, whose
// significands have 11 and 8 bits), summed in double (ggml_float) in index
// order, and the sum rounded to float once.
float DotPlain(GgmlType type, const void* w, const void* xq, int64_t n) {
  double sumf = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    float product;
    if (type == GgmlType::F32) {
      float a, b;
      std::memcpy(&a, static_cast<const uint8_t*>(w) + 4 * i, 4);
      std::memcpy(&b, static_cast<const uint8_t*>(xq) + 4 * i, 4);
      product = a * b;
    } else if (type == GgmlType::F16) {
      product = F16ToF32(Load16(w, i)) * F16ToF32(Load16(xq, i));
    } else {
      product = Bf16ToF32(Load16(w, i)) * Bf16ToF32(Load16(xq, i));
    }
    sumf += static_cast<double>(product);
  }
  return static_cast<float>(sumf);
}

}  // namespace

bool HasQuantizedDotRef(GgmlType weight_type) {
  return IsPlainFloat(weight_type) || FindRowDot(weight_type) != nullptr;
}

GgmlType ActivationType(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
      return weight_type;
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::Q8_0:
      return GgmlType::Q8_0;
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
      return GgmlType::Q8_1;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return GgmlType::Q8_K;
    default:
      break;
  }
  KILN_CHECK(false) << "no quantized dot for " << TypeName(weight_type);
  return weight_type;
}

size_t ActivationRowBytes(GgmlType weight_type, int64_t n) {
  return RowBytes(ActivationType(weight_type), n);
}

void QuantizeActivationsRef(GgmlType weight_type, const float* x, void* xq, int64_t n) {
  QuantizeRowRef(ActivationType(weight_type), x, xq, n);
}

float DotQuantizedRef(GgmlType weight_type, const void* w_row, const void* xq, int64_t n) {
  KILN_DCHECK(IsWholeBlocks(weight_type, n) && IsWholeBlocks(ActivationType(weight_type), n))
      << TypeName(weight_type) << " n=" << n;
  if (IsPlainFloat(weight_type)) return DotPlain(weight_type, w_row, xq, n);
  const RowDotFn dot = FindRowDot(weight_type);
  KILN_CHECK(dot != nullptr) << "no quantized dot for " << TypeName(weight_type);
  return dot(w_row, xq, n / Traits(weight_type).block_size);
}

void MatVecQuantizedRef(GgmlType weight_type, const void* matrix, int64_t rows, int64_t cols,
                        const float* x, float* y) {
  std::vector<uint8_t> xq(ActivationRowBytes(weight_type, cols));
  QuantizeActivationsRef(weight_type, x, xq.data(), cols);
  const size_t row_bytes = RowBytes(weight_type, cols);
  const auto* bytes = static_cast<const uint8_t*>(matrix);
  for (int64_t r = 0; r < rows; ++r) {
    y[r] = DotQuantizedRef(weight_type, bytes + r * row_bytes, xq.data(), cols);
  }
}

}  // namespace kiln::kernels::cpu
