// Scalar reference of ggml's matrix-vector numeric path: the activation
// vector x is first converted to the weight type's "vec_dot type" (an 8-bit
// block format for the quantized weights), then each weight row is dotted
// with it block by block, in integers where ggml uses integers and with the
// float operations of ggml's generic (non-SIMD) kernels in ggml's order.
// DotRef (reference.h) is the exact-float oracle; these functions instead
// reproduce what llama.cpp computes, rounding of the activations included.
//
// Pairs (ggml-cpu.c type_traits_cpu[].vec_dot_type):
//   Q4_0, Q5_0, Q8_0 -> Q8_0       Q4_1, Q5_1 -> Q8_1
//   Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Q8_K
//   F16 -> F16   BF16 -> BF16   F32 -> F32
// Activations are quantized with ggml's reference quantizers
// (quantize_row_q8_0_ref, quantize_row_q8_1_ref, quantize_row_q8_K_ref, f32 ->
// f16/bf16 rounding to nearest even), i.e. QuantizeRowRef. Dots follow
// ggml-cpu/quants.c ggml_vec_dot_<w>_<a>_generic and ggml-cpu/vec.cpp
// ggml_vec_dot_{f32,f16,bf16} without GGML_SIMD; each function in
// quant_dot_ref*.cc names the one it mirrors.
//
// Bit-identity holds against a ggml build that takes those generic paths.
// ggml's SIMD builds differ in the last bits: e.g. x86 AVX2
// quantize_row_q8_0 computes id = 127 / amax and rounds halves to even, and
// its dots accumulate in vector lanes with FMA.
//
// Callers validate: n a whole number of blocks of both the weight and the
// activation type (K-quants: multiples of 256), weight type one of those
// above (anything else is a KILN_CHECK failure). Compiled with
// -ffp-contract=off. Thread-safe; pointers borrowed for the call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace kiln::kernels::cpu {

// True for the 13 weight types above.
bool HasQuantizedDotRef(GgmlType weight_type);

// The activation type ggml pairs with `weight_type`.
GgmlType ActivationType(GgmlType weight_type);

// Bytes of n activations quantized for `weight_type`.
size_t ActivationRowBytes(GgmlType weight_type, int64_t n);

// xq (ActivationRowBytes(weight_type, n) bytes) = x[0..n) in
// ActivationType(weight_type), exactly as ggml's reference quantizers.
void QuantizeActivationsRef(GgmlType weight_type, const float* x, void* xq, int64_t n);

// ggml's generic vec_dot of one weight row (n values of weight_type) with
// activations already quantized by QuantizeActivationsRef.
float DotQuantizedRef(GgmlType weight_type, const void* w_row, const void* xq, int64_t n);

// y[r] = DotQuantizedRef(weight_type, row r, xq, cols) for r < rows, with x
// (cols floats) quantized once; matrix is [rows, cols] of weight_type.
void MatVecQuantizedRef(GgmlType weight_type, const void* matrix, int64_t rows, int64_t cols,
                        const float* x, float* y);

}  // namespace kiln::kernels::cpu
