// Scalar reference kernels: the oracle every faster kernel (SIMD, CUDA) is
// tested against. Written to be read next to blocks.h, never optimised.
//
// Row-major throughout; a "row" of n values of a quantized type is n /
// block_size consecutive blocks (RowBytes(type, n) bytes). Callers validate
// types and sizes: n must be a whole number of blocks (KILN_DCHECK) and the
// type must have a reference (IsReferenceDequantizable / IsReferenceQuantizable;
// anything else is a KILN_CHECK failure). Pointers are borrowed for the call.
// All functions are thread-safe (no shared state).
//
// Reproducibility: the reference files compile with -ffp-contract=off, so a
// value like d * q - m is two IEEE float operations in ggml's order, and
// dequantisation is bit-identical to ggml's (and to gguf-py's numpy).
#pragma once

#include <cstdint>

#include "kernels/types.h"

namespace kiln::kernels::cpu {

// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K,
// Q6_K, Q8_K.
bool IsReferenceDequantizable(GgmlType type);
// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q8_K (Q8_1 and Q8_K
// are activation formats: see quant_dot_ref.h).
bool IsReferenceQuantizable(GgmlType type);

// dst[0..n) = the values of the row `src` of type `type`.
void DequantizeRowRef(GgmlType type, const void* src, float* dst, int64_t n);

// Encodes src[0..n) as a row of `type` (RowBytes(type, n) bytes at dst), as
// ggml's *_ref quantizers do: one scale per block from the block's extreme
// values, round to nearest. Bit-identical to ggml for the same input.
void QuantizeRowRef(GgmlType type, const float* src, void* dst, int64_t n);

// Dot product of a row of `type` with x[0..n): each block is dequantised to
// float (exactly as DequantizeRowRef), then every product w[i] * x[i] is
// summed in double precision in index order, and the sum rounded to float
// once at the end. Accurate to about 1 float ulp of the exact dot of the
// dequantised weights unless there is heavy cancellation.
float DotRef(GgmlType type, const void* row, const float* x, int64_t n);

// y[r] = DotRef(type, row r, x, cols) for r < rows; matrix is [rows, cols]
// of `type`, x has cols floats, y has rows floats.
void MatVecRef(GgmlType type, const void* matrix, int64_t rows, int64_t cols, const float* x,
               float* y);

}  // namespace kiln::kernels::cpu
