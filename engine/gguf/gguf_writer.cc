// GgufWriter: encodes values as they are set, so Serialize only concatenates.
#include "engine/gguf/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

#include "base/check.h"
#include "engine/gguf/gguf_file.h"

namespace kiln::engine {
namespace {

template <typename T>
void AppendPod(std::string* out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // little-endian host, as gguf_file.cc asserts
  out->append(buf, sizeof(T));
}

void AppendString(std::string* out, std::string_view s) {
  AppendPod<uint64_t>(out, s.size());
  out->append(s);
}

std::string TypeId(GgufType t) {
  std::string out;
  AppendPod(&out, static_cast<uint32_t>(t));
  return out;
}

template <typename T>
std::string Scalar(GgufType t, T v) {
  std::string out = TypeId(t);
  AppendPod(&out, v);
  return out;
}

std::string ArrayHeader(GgufType elem, size_t count) {
  std::string out = TypeId(GgufType::kArray);
  AppendPod(&out, static_cast<uint32_t>(elem));
  AppendPod<uint64_t>(&out, count);
  return out;
}

void Pad(std::string* out, uint64_t alignment) {
  out->append((alignment - out->size() % alignment) % alignment, '\0');
}

}  // namespace

void GgufWriter::Put(std::string_view key, std::string encoded) {
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.encoded = std::move(encoded);
      return;
    }
  }
  entries_.push_back({std::string(key), std::move(encoded)});
}

void GgufWriter::SetString(std::string_view key, std::string_view value) {
  std::string out = TypeId(GgufType::kString);
  AppendString(&out, value);
  Put(key, std::move(out));
}
void GgufWriter::SetUint8(std::string_view key, uint8_t v) {
  Put(key, Scalar(GgufType::kUint8, v));
}
void GgufWriter::SetInt8(std::string_view key, int8_t v) { Put(key, Scalar(GgufType::kInt8, v)); }
void GgufWriter::SetUint16(std::string_view key, uint16_t v) {
  Put(key, Scalar(GgufType::kUint16, v));
}
void GgufWriter::SetInt16(std::string_view key, int16_t v) {
  Put(key, Scalar(GgufType::kInt16, v));
}
void GgufWriter::SetUint32(std::string_view key, uint32_t v) {
  Put(key, Scalar(GgufType::kUint32, v));
}
void GgufWriter::SetInt32(std::string_view key, int32_t v) {
  Put(key, Scalar(GgufType::kInt32, v));
}
void GgufWriter::SetUint64(std::string_view key, uint64_t v) {
  Put(key, Scalar(GgufType::kUint64, v));
}
void GgufWriter::SetInt64(std::string_view key, int64_t v) {
  Put(key, Scalar(GgufType::kInt64, v));
}
void GgufWriter::SetFloat32(std::string_view key, float v) {
  Put(key, Scalar(GgufType::kFloat32, v));
}
void GgufWriter::SetFloat64(std::string_view key, double v) {
  Put(key, Scalar(GgufType::kFloat64, v));
}
void GgufWriter::SetBool(std::string_view key, bool v) {
  Put(key, Scalar(GgufType::kBool, static_cast<uint8_t>(v ? 1 : 0)));
}

void GgufWriter::SetStringArray(std::string_view key, const std::vector<std::string>& values) {
  std::string out = ArrayHeader(GgufType::kString, values.size());
  for (const std::string& s : values) AppendString(&out, s);
  Put(key, std::move(out));
}
void GgufWriter::SetFloat32Array(std::string_view key, const std::vector<float>& values) {
  std::string out = ArrayHeader(GgufType::kFloat32, values.size());
  for (float f : values) AppendPod(&out, f);
  Put(key, std::move(out));
}
void GgufWriter::SetInt32Array(std::string_view key, const std::vector<int32_t>& values) {
  std::string out = ArrayHeader(GgufType::kInt32, values.size());
  for (int32_t i : values) AppendPod(&out, i);
  Put(key, std::move(out));
}

void GgufWriter::SetRaw(std::string_view key, uint32_t type_id, std::string payload) {
  std::string out;
  AppendPod(&out, type_id);
  out += payload;
  Put(key, std::move(out));
}

Status GgufWriter::AddTensor(std::string_view name, kernels::GgmlType type,
                             std::vector<int64_t> dims, std::string data) {
  const std::string tensor = "tensor '" + std::string(name) + "'";
  const kernels::TypeTraits* traits = kernels::FindTypeTraits(static_cast<uint32_t>(type));
  if (traits == nullptr) return InvalidArgument(tensor + ": unknown type");
  if (name.empty()) return InvalidArgument("empty tensor name");
  for (const Tensor& t : tensors_) {
    if (t.name == name) return InvalidArgument(tensor + " added twice");
  }
  if (dims.empty() || dims.size() > 4) return InvalidArgument(tensor + ": needs 1 to 4 dims");
  uint64_t rows = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] <= 0) return InvalidArgument(tensor + ": dims must be positive");
    if (i > 0 && __builtin_mul_overflow(rows, static_cast<uint64_t>(dims[i]), &rows)) {
      return InvalidArgument(tensor + ": too many elements");
    }
  }
  if (!kernels::IsWholeBlocks(type, dims[0])) {
    return InvalidArgument(tensor + ": row length is not a multiple of the block size");
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(uint64_t{kernels::RowBytes(type, dims[0])}, rows, &nbytes) ||
      nbytes != data.size()) {
    return InvalidArgument(tensor + ": " + std::string(traits->name) + " data needs " +
                           std::to_string(nbytes) + " bytes, got " + std::to_string(data.size()));
  }
  tensors_.push_back({std::string(name), type, std::move(dims), std::move(data)});
  return Status::OK();
}

void GgufWriter::set_alignment(uint32_t alignment) {
  KILN_CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0)
      << "alignment " << alignment << " is not a power of two";
  alignment_ = alignment;
  if (alignment != 32) {
    SetUint32("general.alignment", alignment);
  } else {
    std::erase_if(entries_, [](const Entry& e) { return e.key == "general.alignment"; });
  }
}

std::string GgufWriter::Serialize() const {
  std::string out = "GGUF";
  AppendPod<uint32_t>(&out, 3);
  AppendPod<uint64_t>(&out, tensors_.size());
  AppendPod<uint64_t>(&out, entries_.size());
  for (const Entry& e : entries_) {
    AppendString(&out, e.key);
    out += e.encoded;
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    AppendString(&out, t.name);
    AppendPod<uint32_t>(&out, t.dims.size());
    for (int64_t d : t.dims) AppendPod<uint64_t>(&out, d);
    AppendPod<uint32_t>(&out, static_cast<uint32_t>(t.type));
    AppendPod<uint64_t>(&out, offset);
    offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  Pad(&out, alignment_);
  for (const Tensor& t : tensors_) {
    out += t.data;
    Pad(&out, alignment_);
  }
  return out;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  const std::string bytes = Serialize();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Unavailable(path + ": cannot open for writing");
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) return Unavailable(path + ": write failed");
  return Status::OK();
}

}  // namespace kiln::engine
