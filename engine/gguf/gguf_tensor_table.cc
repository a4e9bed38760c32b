// The tensor half of GgufParser: tensor infos (name, shape, type, offset) and
// the placement of their data, checked against the file's size and each other.
#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "engine/gguf/internal/gguf_parser.h"

namespace kiln::engine {
namespace {

constexpr uint64_t kMaxTensorNameLength = 255;
constexpr uint32_t kMaxDims = 4;

std::string Range(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

}  // namespace

Status GgufParser::ParseTensorInfo(GgufTensor* t) {
  const size_t at = r_.pos();
  KILN_RETURN_IF_ERROR(r_.ReadString(&t->name, kMaxTensorNameLength, "tensor name"));
  if (t->name.empty()) return r_.ErrorAt(at, "empty tensor name");
  const std::string tensor = "tensor " + Quote(t->name);

  const size_t n_dims_at = r_.pos();
  uint32_t n_dims = 0;
  KILN_RETURN_IF_ERROR(r_.Read(&n_dims, "n_dims"));
  if (n_dims == 0 || n_dims > kMaxDims) {
    return r_.ErrorAt(n_dims_at, tensor + " has " + std::to_string(n_dims) +
                                     " dimensions; Kiln reads 1 to " + std::to_string(kMaxDims));
  }
  int64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const size_t dim_at = r_.pos();
    uint64_t dim = 0;
    KILN_RETURN_IF_ERROR(r_.Read(&dim, "dimension"));
    if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return r_.ErrorAt(dim_at, tensor + " dimension " + std::to_string(d) + " is " +
                                    std::to_string(dim) + "; must be positive");
    }
    if (__builtin_mul_overflow(elements, static_cast<int64_t>(dim), &elements)) {
      return r_.ErrorAt(dim_at, tensor + " has more elements than fit in 64 bits");
    }
    t->dims.push_back(static_cast<int64_t>(dim));
  }

  const size_t type_at = r_.pos();
  uint32_t raw_type = 0;
  KILN_RETURN_IF_ERROR(r_.Read(&raw_type, "tensor type"));
  const kernels::TypeTraits* traits = kernels::FindTypeTraits(raw_type);
  if (traits == nullptr) {
    return r_.ErrorAt(type_at, tensor + " has unknown ggml type " + std::to_string(raw_type));
  }
  t->type = traits->type;
  KILN_RETURN_IF_ERROR(r_.Read(&t->offset, "tensor offset"));

  // Rows are stored as whole blocks; a partial block has no layout.
  if (t->dims[0] % traits->block_size != 0) {
    return r_.ErrorAt(type_at, tensor + " row length " + std::to_string(t->dims[0]) +
                                   " is not a multiple of the " + std::string(traits->name) +
                                   " block size " + std::to_string(traits->block_size));
  }
  const auto blocks = static_cast<uint64_t>(t->dims[0] / traits->block_size);
  const auto rows = static_cast<uint64_t>(elements / t->dims[0]);
  uint64_t row_bytes = 0;
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(blocks, uint64_t{traits->type_size}, &row_bytes) ||
      __builtin_mul_overflow(row_bytes, rows, &nbytes) || nbytes > r_.size()) {
    return r_.ErrorAt(n_dims_at, tensor + " is larger than the whole file (" +
                                     std::to_string(r_.size()) + " bytes)");
  }
  t->nbytes = static_cast<size_t>(nbytes);
  return Status::OK();
}

Status GgufParser::PlaceTensorData() {
  std::vector<GgufTensor>& tensors = file_->tensors_;
  const uint64_t size = r_.size();
  const uint64_t align = file_->alignment_;
  // The data section starts at the first aligned offset after the header;
  // pos() <= size, so this cannot overflow.
  const uint64_t data_start = (r_.pos() + align - 1) / align * align;
  if (!tensors.empty() && data_start > size) {
    return r_.Error("the data section starts at " + std::to_string(data_start) +
                    ", past the end of the file (" + std::to_string(size) + " bytes)");
  }
  for (GgufTensor& t : tensors) {
    const std::string tensor = "tensor " + Quote(t.name);
    if (t.offset % align != 0) {
      return r_.Error(tensor + " data offset " + std::to_string(t.offset) +
                      " is not a multiple of the alignment " + std::to_string(align));
    }
    if (t.offset > size - data_start || t.nbytes > size - data_start - t.offset) {
      // Both sums may overflow only when the range is past the end anyway.
      const uint64_t begin = data_start + std::min<uint64_t>(t.offset, size);
      return r_.Error(tensor + " data " + Range(begin, begin + t.nbytes) +
                      " runs past the end of the file (" + std::to_string(size) + " bytes)");
    }
    t.data = file_->base_ + data_start + t.offset;
  }
  // Overlap: sorted by offset, each tensor must end before the next begins.
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
  for (size_t i = 1; i < order.size(); ++i) {
    const GgufTensor& prev = tensors[order[i - 1]];
    const GgufTensor& next = tensors[order[i]];
    if (prev.offset + prev.nbytes > next.offset) {
      return r_.Error("tensor " + Quote(prev.name) + " data " +
                      Range(data_start + prev.offset, data_start + prev.offset + prev.nbytes) +
                      " overlaps tensor " + Quote(next.name) + " data " +
                      Range(data_start + next.offset, data_start + next.offset + next.nbytes));
    }
  }
  return Status::OK();
}

}  // namespace kiln::engine
