// Matrix products of quantized weights with float activations: the
// executor's hot path. One weight matrix W [rows, cols] in a GGUF type times
// a batch of activation rows X [n, cols] gives Y [n, rows]:
//   Y[b][r] = W[r] . X[b]
// computed as ggml does: each X row is first quantized to the weight type's
// activation format (quant_dot_ref.h: Q8_0, Q8_1, Q8_K, F16, BF16, F32) and
// each weight row is dotted with it block by block in integers.
//
// Under Isa::kScalar these are exactly QuantizeActivationsRef and
// DotQuantizedRef (bit-identical to llama.cpp's generic build). Under AVX2 /
// AVX-512 they use SIMD kernels (x86/*.cc) that agree with the reference to
// float rounding: the integer block sums are the same, the order of the float
// sums differs. Under Isa::kAmx, batches of 4 or more rows run on AMX-INT8
// tiles (x86/matmul_amx.cc): the same integer block sums, 16 weight rows by
// 16 activation rows per tile product. n = 1 is the decode matrix-vector case; for n > 1 the
// kernels reuse each unpacked weight block across several activation rows and walk W in cache-sized
// slices.
//
// Thread-safe; all pointers borrowed for the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/types.h"

namespace kiln::kernels::cpu {

class WorkerPool;

// Activation rows made on demand: make(ctx, b, out) writes row b (cols
// floats) to out.
struct RowSource {
  void (*make)(const void* ctx, int64_t b, float* out);
  const void* ctx;
};

// n activation rows of `cols` values, quantized for one weight type: what
// MatMul reads. Reused across matrices that share the input and activation
// type (Q, K and V; gate and up).
class QuantizedRows {
 public:
  // Quantizes x ([n, cols], row stride ldx floats) for `weight_type`.
  void Quantize(GgmlType weight_type, const float* x, int64_t n, int64_t cols, int64_t ldx,
                WorkerPool* pool = nullptr);
  // The same for rows made by `rows`, each quantized straight from the
  // worker's L1 as it is made: how the executor fuses RMSNorm and the GLU
  // into the next matmul's input quantization (the [n, cols] floats never go
  // to memory). Bit-identical to making all rows first, then Quantize.
  void Quantize(GgmlType weight_type, const RowSource& rows, int64_t n, int64_t cols,
                WorkerPool* pool = nullptr);
  GgmlType activation_type() const { return act_type_; }
  int64_t n() const { return n_; }
  int64_t cols() const { return cols_; }
  size_t row_bytes() const { return row_bytes_; }
  const uint8_t* row(int64_t b) const { return data_.data() + static_cast<size_t>(b) * row_bytes_; }
  // The rows packed for AMX tiles (Isa::kAmx, batches of 4 rows
  // or more, weight types with a tile kernel); null otherwise.
  const uint8_t* panel() const { return has_panel_ ? panel_.data() : nullptr; }
  // The rows laid out for the AVX-512 column kernels (batches of 2-3 rows
  // for weight types that have one); null otherwise.
  const uint8_t* cols_layout() const { return has_cols_ ? col_layout_.data() : nullptr; }

 private:
  // row_at(b, scratch) -> row b's floats (scratch holds cols floats).
  template <typename RowAt>
  void QuantizeRows(GgmlType weight_type, int64_t n, int64_t cols, WorkerPool* pool, RowAt row_at);

  GgmlType act_type_ = GgmlType::F32;
  int64_t n_ = 0, cols_ = 0;
  size_t row_bytes_ = 0;
  std::vector<uint8_t> data_;
  bool has_panel_ = false;
  std::vector<uint8_t> panel_;
  bool has_cols_ = false;
  std::vector<uint8_t> col_layout_;
};

// One product of a batch: y[b * ldy + r] = W[r] . x[b] for r < rows, b < x.n().
struct MatMulJob {
  GgmlType weight_type;
  const void* w;  // [rows, cols] in weight_type
  int64_t rows;
  const QuantizedRows* x;  // x->cols() == cols of W; activation type of weight_type
  float* y;
  int64_t ldy;
};

// Runs the jobs (which may share inputs) as one parallel step on `pool`
// (null: the calling thread alone).
void MatMul(std::span<const MatMulJob> jobs, WorkerPool* pool);

// Convenience: quantize x and multiply by one matrix.
void MatMul(GgmlType weight_type, const void* w, int64_t rows, int64_t cols, const float* x,
            int64_t n, float* y, WorkerPool* pool);

// ---- single kernels, for tests and bench/kernels ----
// xq = x[0..n) in the activation format of weight_type, by the active ISA.
void QuantizeActivations(GgmlType weight_type, const float* x, void* xq, int64_t n);
// One weight row dotted with quantized activations, by the active ISA.
float DotQuantized(GgmlType weight_type, const void* w_row, const void* xq, int64_t n);

}  // namespace kiln::kernels::cpu
