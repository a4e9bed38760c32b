// The x86 SIMD quantized kernels (quant_avx2.cc, built once per instruction
// set: avx2 and avx512 namespaces). Plain declarations only: this header is
// included by baseline code (matmul.cc) and by the SIMD files alike.
//
// Block layouts are those of kernels/blocks.h. A dot kernel takes one weight
// row of n values and nc (1..kMaxCols) activation rows already quantized to
// the weight type's activation format, and writes the nc dot products to
// out[0..nc): unpacking each weight block once for all nc rows is what makes
// the matrix-matrix (prefill) case cheaper per product than nc matvecs.
#pragma once

#include <cstdint>

namespace kiln::kernels::cpu {

inline constexpr int kMaxDotCols = 4;

using QuantizeFn = void (*)(const float* x, void* y, int64_t n);
using DotFn = void (*)(const void* w_row, const uint8_t* const* x, int nc, int64_t n, float* out);

#define KILN_DECLARE_QUANT_KERNELS(ns)                                                 \
  namespace ns {                                                                       \
  void QuantizeQ8_0(const float* x, void* y, int64_t n);                               \
  void QuantizeQ8_1(const float* x, void* y, int64_t n);                               \
  void QuantizeQ8_K(const float* x, void* y, int64_t n);                               \
  void DotQ4_1(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out); \
  void DotQ5_0(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out); \
  void DotQ8_0(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out); \
  void DotQ4_K(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out); \
  void DotQ6_K(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out); \
  void DotF32(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out);  \
  void DotF16(const void* w, const uint8_t* const* x, int nc, int64_t n, float* out);  \
  }

KILN_DECLARE_QUANT_KERNELS(avx2)
KILN_DECLARE_QUANT_KERNELS(avx512)

#undef KILN_DECLARE_QUANT_KERNELS

}  // namespace kiln::kernels::cpu
