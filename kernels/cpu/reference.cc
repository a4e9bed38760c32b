// Row-level reference kernels: a switch over the type, then block by block
// through the one-block kernels of reference_legacy.cc / reference_kquants.cc.
#include "kernels/cpu/reference.h"

#include <cstring>
#include <vector>

#include "base/check.h"
#include "kernels/blocks.h"
#include "kernels/cpu/internal/reference_blocks.h"
#include "kernels/half.h"

namespace kiln::kernels::cpu {
namespace {

using DequantizeBlockFn = void (*)(const void* block, float* y);
using QuantizeBlockFn = void (*)(const float* x, void* block);

// nullptr for plain (1-value "block") and unsupported types.
DequantizeBlockFn FindDequantizeBlock(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0:
      return internal::DequantizeBlockQ4_0;
    case GgmlType::Q4_1:
      return internal::DequantizeBlockQ4_1;
    case GgmlType::Q5_0:
      return internal::DequantizeBlockQ5_0;
    case GgmlType::Q5_1:
      return internal::DequantizeBlockQ5_1;
    case GgmlType::Q8_0:
      return internal::DequantizeBlockQ8_0;
    case GgmlType::Q8_1:
      return internal::DequantizeBlockQ8_1;
    case GgmlType::Q2_K:
      return internal::DequantizeBlockQ2_K;
    case GgmlType::Q3_K:
      return internal::DequantizeBlockQ3_K;
    case GgmlType::Q4_K:
      return internal::DequantizeBlockQ4_K;
    case GgmlType::Q5_K:
      return internal::DequantizeBlockQ5_K;
    case GgmlType::Q6_K:
      return internal::DequantizeBlockQ6_K;
    case GgmlType::Q8_K:
      return internal::DequantizeBlockQ8_K;
    default:
      return nullptr;
  }
}

QuantizeBlockFn FindQuantizeBlock(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0:
      return internal::QuantizeBlockQ4_0;
    case GgmlType::Q4_1:
      return internal::QuantizeBlockQ4_1;
    case GgmlType::Q5_0:
      return internal::QuantizeBlockQ5_0;
    case GgmlType::Q5_1:
      return internal::QuantizeBlockQ5_1;
    case GgmlType::Q8_0:
      return internal::QuantizeBlockQ8_0;
    case GgmlType::Q8_1:
      return internal::QuantizeBlockQ8_1;
    case GgmlType::Q8_K:
      return internal::QuantizeBlockQ8_K;
    default:
      return nullptr;
  }
}

}  // namespace

bool IsReferenceDequantizable(GgmlType type) {
  return IsPlainFloat(type) || FindDequantizeBlock(type) != nullptr;
}

bool IsReferenceQuantizable(GgmlType type) {
  return IsPlainFloat(type) || FindQuantizeBlock(type) != nullptr;
}

void DequantizeRowRef(GgmlType type, const void* src, float* dst, int64_t n) {
  KILN_DCHECK(IsWholeBlocks(type, n)) << TypeName(type) << " n=" << n;
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16:
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = type == GgmlType::F16 ? F16ToF32(h) : Bf16ToF32(h);
      }
      return;
    default:
      break;
  }
  const DequantizeBlockFn dequantize = FindDequantizeBlock(type);
  KILN_CHECK(dequantize != nullptr) << "no reference dequantizer for " << TypeName(type);
  const TypeTraits& t = Traits(type);
  for (int64_t b = 0; b < n / t.block_size; ++b) {
    dequantize(bytes + b * t.type_size, dst + b * t.block_size);
  }
}

void QuantizeRowRef(GgmlType type, const float* src, void* dst, int64_t n) {
  KILN_DCHECK(IsWholeBlocks(type, n)) << TypeName(type) << " n=" << n;
  auto* bytes = static_cast<uint8_t*>(dst);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16:
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::F16 ? F32ToF16(src[i]) : F32ToBf16(src[i]);
        std::memcpy(bytes + 2 * i, &h, 2);
      }
      return;
    default:
      break;
  }
  const QuantizeBlockFn quantize = FindQuantizeBlock(type);
  KILN_CHECK(quantize != nullptr) << "no reference quantizer for " << TypeName(type);
  const TypeTraits& t = Traits(type);
  for (int64_t b = 0; b < n / t.block_size; ++b) {
    quantize(src + b * t.block_size, bytes + b * t.type_size);
  }
}

float DotRef(GgmlType type, const void* row, const float* x, int64_t n) {
  KILN_DCHECK(IsWholeBlocks(type, n)) << TypeName(type) << " n=" << n;
  // Dequantise one block at a time (plain types: one value at a time) so the
  // scratch stays small, and accumulate in double in index order.
  const TypeTraits& t = Traits(type);
  const auto* bytes = static_cast<const uint8_t*>(row);
  std::vector<float> w(static_cast<size_t>(t.block_size));
  double sum = 0.0;
  for (int64_t b = 0; b < n / t.block_size; ++b) {
    DequantizeRowRef(type, bytes + b * t.type_size, w.data(), t.block_size);
    for (int64_t i = 0; i < t.block_size; ++i) {
      sum += static_cast<double>(w[i]) * static_cast<double>(x[b * t.block_size + i]);
    }
  }
  return static_cast<float>(sum);
}

void MatVecRef(GgmlType type, const void* matrix, int64_t rows, int64_t cols, const float* x,
               float* y) {
  const size_t row_bytes = RowBytes(type, cols);
  const auto* bytes = static_cast<const uint8_t*>(matrix);
  for (int64_t r = 0; r < rows; ++r) y[r] = DotRef(type, bytes + r * row_bytes, x, cols);
}

}  // namespace kiln::kernels::cpu
