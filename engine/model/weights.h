// Borrowed views of a model's weight tensors inside a GgufFile, fetched with
// their expected shapes so that a missing tensor, a wrong shape or an
// unsupported type is a clear error at load time and never a bad read later.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/gguf/gguf_file.h"
#include "kernels/cpu/matmul.h"
#include "kernels/types.h"

namespace kiln::engine {

// A matrix [rows, cols] (row-major, GGUF dims {cols, rows}) in its stored type.
// `data` points into the GgufFile's mapping and is valid while the file lives.
struct Weight {
  kernels::GgmlType type = kernels::GgmlType::F32;
  int64_t cols = 0;
  int64_t rows = 0;
  const void* data = nullptr;

  size_t row_bytes() const { return kernels::RowBytes(type, cols); }
  const void* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_bytes();
  }
};

class WeightLoader {
 public:
  explicit WeightLoader(const GgufFile* file) : file_(file) {}  // borrowed

  // The matrix `name`, which must have exactly dims {cols, rows}.
  Result<Weight> Matrix(const std::string& name, int64_t cols, int64_t rows) const;
  // The vector `name` of `n` values, converted to f32 (norm weights, biases).
  Result<std::vector<float>> Vector(const std::string& name, int64_t n) const;
  bool Has(const std::string& name) const { return file_->FindTensor(name) != nullptr; }

 private:
  const GgufFile* file_;
};

// One output of a batched projection: out = X . W^T, [n, w->rows] row-major.
struct Projection {
  const Weight* w;
  float* out;
};

// Computes every projection of the same input rows x ([n, cols], cols = each
// W's cols) as one parallel step on the executor's worker pool
// (kernels::cpu::WorkerPool::Default()), x quantized once per activation
// format (kernels/cpu/matmul.h): Q, K and V of a layer, or gate and up.
void Project(std::initializer_list<Projection> projections, const float* x, int64_t n);
// The same with input row t made by `rows` (cols floats, cols = each W's
// cols) as it is quantized: a fused RMSNorm or GLU (NormedRows, GluRows in
// model.h) whose output never goes to memory.
void Project(std::initializer_list<Projection> projections, const kernels::cpu::RowSource& rows,
             int64_t n);

// y[r] = row r . x for r < w.rows: Project with one row.
void MatVec(const Weight& w, const float* x, float* y);
// The dequantised row r of `w` (embedding lookups).
void GetRow(const Weight& w, int64_t r, float* out);

}  // namespace kiln::engine
