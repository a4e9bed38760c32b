#include "engine/model/weights.h"

#include "base/check.h"
#include "kernels/cpu/matmul.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/quant_dot_ref.h"
#include "kernels/cpu/reference.h"

namespace kiln::engine {
namespace {

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s = "{";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "}";
}

Result<const GgufTensor*> Find(const GgufFile& file, const std::string& name,
                               const std::vector<int64_t>& dims) {
  const GgufTensor* t = file.FindTensor(name);
  if (t == nullptr) return InvalidArgument("the model has no tensor '" + name + "'");
  if (t->dims != dims) {
    return InvalidArgument("tensor '" + name + "' has shape " + DimsText(t->dims) +
                           "; this architecture needs " + DimsText(dims));
  }
  if (!kernels::Traits(t->type).supported) {
    return InvalidArgument("tensor '" + name + "' has type " +
                           std::string(kernels::TypeName(t->type)) +
                           ", which Kiln cannot compute with");
  }
  return t;
}

}  // namespace

Result<Weight> WeightLoader::Matrix(const std::string& name, int64_t cols, int64_t rows) const {
  KILN_ASSIGN_OR_RETURN(const GgufTensor* t, Find(*file_, name, {cols, rows}));
  return Weight{t->type, cols, rows, t->data};
}

Result<std::vector<float>> WeightLoader::Vector(const std::string& name, int64_t n) const {
  KILN_ASSIGN_OR_RETURN(const GgufTensor* t, Find(*file_, name, {n}));
  std::vector<float> out(static_cast<size_t>(n));
  kernels::cpu::DequantizeRowRef(t->type, t->data, out.data(), n);
  return out;
}

namespace {

// quantize(input, weight) fills `input` for a weight's activation format.
template <typename QuantizeFn>
void ProjectWith(std::initializer_list<Projection> projections, QuantizeFn quantize) {
  using kernels::cpu::MatMulJob;
  using kernels::cpu::QuantizedRows;
  constexpr size_t kMax = 4;
  KILN_CHECK(projections.size() <= kMax);
  // One quantized copy of the input per activation format in use (per
  // thread: several sequences may run at once).
  thread_local QuantizedRows inputs[kMax];
  MatMulJob jobs[kMax];
  size_t n_inputs = 0, n_jobs = 0;
  for (const Projection& p : projections) {
    const kernels::GgmlType act = kernels::cpu::ActivationType(p.w->type);
    size_t i = 0;
    while (i < n_inputs && !(inputs[i].activation_type() == act && inputs[i].cols() == p.w->cols))
      ++i;
    if (i == n_inputs) {
      quantize(inputs[i], *p.w);
      ++n_inputs;
    }
    jobs[n_jobs++] = MatMulJob{p.w->type, p.w->data, p.w->rows, &inputs[i], p.out, p.w->rows};
  }
  kernels::cpu::MatMul({jobs, n_jobs}, &kernels::cpu::WorkerPool::Default());
}

}  // namespace

void Project(std::initializer_list<Projection> projections, const float* x, int64_t n) {
  auto* pool = &kernels::cpu::WorkerPool::Default();
  ProjectWith(projections, [&](kernels::cpu::QuantizedRows& in, const Weight& w) {
    in.Quantize(w.type, x, n, w.cols, w.cols, pool);
  });
}

void Project(std::initializer_list<Projection> projections, const kernels::cpu::RowSource& rows,
             int64_t n) {
  auto* pool = &kernels::cpu::WorkerPool::Default();
  ProjectWith(projections, [&](kernels::cpu::QuantizedRows& in, const Weight& w) {
    in.Quantize(w.type, rows, n, w.cols, pool);
  });
}

void MatVec(const Weight& w, const float* x, float* y) { Project({{&w, y}}, x, 1); }

void GetRow(const Weight& w, int64_t r, float* out) {
  kernels::cpu::DequantizeRowRef(w.type, w.row(r), out, w.cols);
}

}  // namespace kiln::engine
