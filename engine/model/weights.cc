#include "engine/model/weights.h"

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

void MatVec(const Weight& w, const float* x, float* y) {
  // As ggml does: x is quantized to the weight type's activation format
  // (Q8_0, Q8_1, Q8_K, f16) and each row's dot is an integer sum per block.
  kernels::cpu::MatVecQuantizedRef(w.type, w.data, w.rows, w.cols, x, y);
}

void GetRow(const Weight& w, int64_t r, float* out) {
  kernels::cpu::DequantizeRowRef(w.type, w.row(r), out, w.cols);
}

}  // namespace kiln::engine
