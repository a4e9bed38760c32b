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

#include <cstddef>
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

// AVX-512 VNNI products of a weight row with 2 to kMaxColumns activation rows laid out
// by PackCols (quant_avx2.cc, built for AVX-512 only): out[c] = W_row . x[c].
namespace avx512 {
inline constexpr int kMaxColumns = 3;
using ColsFn = void (*)(const void* w_row, const uint8_t* cols, int nc, int64_t n, float* out);
size_t ColsBytes(int64_t nc, int64_t n);
// nc quantized activation rows (Q8_0, or Q8_1 when q8_1), row_bytes apart.
void PackCols(bool q8_1, const uint8_t* x, size_t row_bytes, int nc, int64_t n, uint8_t* cols);
void ColsQ4_1(const void* w, const uint8_t* cols, int nc, int64_t n, float* out);
void ColsQ5_0(const void* w, const uint8_t* cols, int nc, int64_t n, float* out);
void ColsQ8_0(const void* w, const uint8_t* cols, int nc, int64_t n, float* out);
}  // namespace avx512

// AMX-INT8 tile products (matmul_amx.cc), for batches of activation rows.
namespace amx {
// Bytes of the packed activation panel of n rows of `cols` values.
size_t PanelBytes(int64_t n, int64_t cols);
// Packs n quantized activation rows (row_bytes apart) into a panel.
using PackFn = void (*)(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols,
                        uint8_t* panel);
void PackQ8_0(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel);
void PackQ8_1(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel);
void PackQ8_K(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel);
// Q8_K for the K=16 weight formats (Q6_K): never in slots (matmul_amx.cc).
void PackQ8_K16(const uint8_t* x, size_t row_bytes, int64_t n, int64_t cols, uint8_t* panel);
// y[t * ldy + r] = W[r] . x[t] for r in [r0, r1), t < n; W's rows are
// row_bytes apart, of `cols` values.
using MatMulFn = void (*)(const uint8_t* w, size_t row_bytes, int64_t r0, int64_t r1,
                          const uint8_t* panel, int64_t n, int64_t cols, float* y, int64_t ldy);
#define KILN_DECLARE_AMX_MATMUL(name)                                           \
  void MatMul##name(const uint8_t* w, size_t row_bytes, int64_t r0, int64_t r1, \
                    const uint8_t* panel, int64_t n, int64_t cols, float* y, int64_t ldy);
KILN_DECLARE_AMX_MATMUL(Q4_0)
KILN_DECLARE_AMX_MATMUL(Q4_1)
KILN_DECLARE_AMX_MATMUL(Q5_0)
KILN_DECLARE_AMX_MATMUL(Q5_1)
KILN_DECLARE_AMX_MATMUL(Q8_0)
KILN_DECLARE_AMX_MATMUL(Q4_K)
KILN_DECLARE_AMX_MATMUL(Q5_K)
KILN_DECLARE_AMX_MATMUL(Q6_K)
#undef KILN_DECLARE_AMX_MATMUL
}  // namespace amx

}  // namespace kiln::kernels::cpu
