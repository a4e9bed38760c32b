// Validation of GGUF bytes. The parser trusts nothing it reads: every count is
// compared with the bytes left before anything is reserved, so a hostile
// header costs at most a small multiple of the file's own size in memory.
#include "engine/gguf/internal/gguf_parser.h"

#include <cstring>
#include <string>
#include <unordered_set>

namespace kiln::engine {
namespace {

constexpr uint64_t kMaxKeyLength = 65535;  // the GGUF spec's limit
constexpr uint64_t kMaxStringLength = uint64_t{1} << 30;
// An array may hold arrays, which may not hold arrays again: real files never
// nest at all, and a cap keeps recursion shallow on hostile input.
constexpr int kMaxArrayDepth = 2;
constexpr uint32_t kMaxTypeId = static_cast<uint32_t>(GgufType::kFloat64);
constexpr size_t kTensorCountOffset = 8;  // after the magic and version
// Smallest encodings, used to reject counts the bytes left cannot hold.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;                  // key len, key, type, value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, n_dims, dim, type, offset

// Bytes one array element takes at least.
uint64_t MinEncodedSize(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
    case GgufType::kString:  // the length alone
      return 8;
    case GgufType::kArray:  // element type and count
      return 12;
  }
  return 1;
}

template <typename T>
Status ReadInto(internal::ByteReader& r, std::vector<int64_t>* out, std::string_view what) {
  T v{};
  KILN_RETURN_IF_ERROR(r.Read(&v, what));
  out->push_back(static_cast<int64_t>(v));
  return Status::OK();
}

}  // namespace

Status GgufParser::Parse(std::string_view name, GgufFile* file) {
  GgufParser p(name, file);
  uint64_t tensor_count = 0;
  uint64_t kv_count = 0;
  KILN_RETURN_IF_ERROR(p.ParseHeader(&tensor_count, &kv_count));
  KILN_RETURN_IF_ERROR(p.ParseMetadata(kv_count));
  KILN_RETURN_IF_ERROR(p.SetAlignment());
  KILN_RETURN_IF_ERROR(p.ParseTensorInfos(tensor_count));
  return p.PlaceTensorData();
}

Status GgufParser::ParseHeader(uint64_t* tensor_count, uint64_t* kv_count) {
  char magic[4] = {};
  KILN_RETURN_IF_ERROR(r_.Read(&magic, "magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0) return r_.ErrorAt(0, "bad magic, not a GGUF file");
  const size_t version_at = r_.pos();
  KILN_RETURN_IF_ERROR(r_.Read(&file_->version_, "version"));
  if (file_->version_ != 2 && file_->version_ != 3) {
    return r_.ErrorAt(version_at, "unsupported GGUF version " + std::to_string(file_->version_) +
                                      " (Kiln reads versions 2 and 3)");
  }
  KILN_RETURN_IF_ERROR(r_.Read(tensor_count, "tensor count"));
  const size_t kv_count_at = r_.pos();
  KILN_RETURN_IF_ERROR(r_.Read(kv_count, "metadata count"));
  if (*kv_count > r_.left() / kMinKvBytes) {
    return r_.ErrorAt(kv_count_at, "metadata count " + std::to_string(*kv_count) +
                                       " cannot fit in the " + std::to_string(r_.left()) +
                                       " bytes left");
  }
  return Status::OK();
}

Status GgufParser::ParseMetadata(uint64_t kv_count) {
  std::unordered_set<std::string> seen;
  file_->keys_.reserve(kv_count);
  file_->values_.reserve(kv_count);
  for (uint64_t i = 0; i < kv_count; ++i) {
    const size_t key_at = r_.pos();
    std::string key;
    KILN_RETURN_IF_ERROR(r_.ReadString(&key, kMaxKeyLength, "key"));
    if (key.empty()) return r_.ErrorAt(key_at, "empty metadata key");
    if (!seen.insert(key).second) return r_.ErrorAt(key_at, "duplicate metadata key " + Quote(key));
    const size_t type_at = r_.pos();
    uint32_t raw_type = 0;
    KILN_RETURN_IF_ERROR(r_.Read(&raw_type, "value type"));
    if (raw_type > kMaxTypeId) {
      return r_.ErrorAt(type_at,
                        "unknown value type " + std::to_string(raw_type) + " of key " + Quote(key));
    }
    GgufValue value;
    Status s = ReadValue(static_cast<GgufType>(raw_type), 0, &value);
    if (!s.ok()) return Status(s.code(), s.message() + " (in the value of key " + Quote(key) + ")");
    file_->keys_.push_back(std::move(key));
    file_->values_.push_back(std::move(value));
  }
  return Status::OK();
}

Status GgufParser::ReadValue(GgufType type, int depth, GgufValue* out) {
  out->type_ = type;
  if (type == GgufType::kArray) return ReadArray(depth + 1, out);
  out->element_type_ = type;
  return ReadScalar(type, out);
}

Status GgufParser::ReadArray(int depth, GgufValue* out) {
  const size_t at = r_.pos();
  uint32_t raw_type = 0;
  KILN_RETURN_IF_ERROR(r_.Read(&raw_type, "array element type"));
  if (raw_type > kMaxTypeId) {
    return r_.ErrorAt(at, "unknown array element type " + std::to_string(raw_type));
  }
  const auto elem = static_cast<GgufType>(raw_type);
  if (elem == GgufType::kArray && depth >= kMaxArrayDepth) {
    return r_.ErrorAt(at, "arrays nested deeper than " + std::to_string(kMaxArrayDepth));
  }
  out->element_type_ = elem;
  const size_t count_at = r_.pos();
  uint64_t count = 0;
  KILN_RETURN_IF_ERROR(r_.Read(&count, "array count"));
  if (count > r_.left() / MinEncodedSize(elem)) {
    return r_.ErrorAt(count_at, "array of " + std::to_string(count) + " " +
                                    std::string(GgufTypeName(elem)) + " values cannot fit in the " +
                                    std::to_string(r_.left()) + " bytes left");
  }
  const auto n = static_cast<size_t>(count);
  switch (elem) {
    case GgufType::kString:
      out->strings_.reserve(n);
      break;
    case GgufType::kArray:
      out->arrays_.reserve(n);
      break;
    case GgufType::kUint64:
      out->uints_.reserve(n);
      break;
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      out->floats_.reserve(n);
      break;
    default:
      out->ints_.reserve(n);
      break;
  }
  for (size_t i = 0; i < n; ++i) {
    if (elem == GgufType::kArray) {
      out->arrays_.emplace_back();
      KILN_RETURN_IF_ERROR(ReadValue(GgufType::kArray, depth, &out->arrays_.back()));
    } else {
      KILN_RETURN_IF_ERROR(ReadScalar(elem, out));
    }
  }
  return Status::OK();
}

// Appends one scalar of `type` to out's storage.
Status GgufParser::ReadScalar(GgufType type, GgufValue* out) {
  switch (type) {
    case GgufType::kUint8:
      return ReadInto<uint8_t>(r_, &out->ints_, "uint8");
    case GgufType::kInt8:
      return ReadInto<int8_t>(r_, &out->ints_, "int8");
    case GgufType::kUint16:
      return ReadInto<uint16_t>(r_, &out->ints_, "uint16");
    case GgufType::kInt16:
      return ReadInto<int16_t>(r_, &out->ints_, "int16");
    case GgufType::kUint32:
      return ReadInto<uint32_t>(r_, &out->ints_, "uint32");
    case GgufType::kInt32:
      return ReadInto<int32_t>(r_, &out->ints_, "int32");
    case GgufType::kInt64:
      return ReadInto<int64_t>(r_, &out->ints_, "int64");
    case GgufType::kBool: {
      const size_t at = r_.pos();
      uint8_t b = 0;
      KILN_RETURN_IF_ERROR(r_.Read(&b, "bool"));
      if (b > 1) return r_.ErrorAt(at, "bool value " + std::to_string(b) + " is neither 0 nor 1");
      out->ints_.push_back(b);
      return Status::OK();
    }
    case GgufType::kUint64: {
      uint64_t v = 0;
      KILN_RETURN_IF_ERROR(r_.Read(&v, "uint64"));
      out->uints_.push_back(v);
      return Status::OK();
    }
    case GgufType::kFloat32: {
      float v = 0;
      KILN_RETURN_IF_ERROR(r_.Read(&v, "float32"));
      out->floats_.push_back(v);
      return Status::OK();
    }
    case GgufType::kFloat64: {
      double v = 0;
      KILN_RETURN_IF_ERROR(r_.Read(&v, "float64"));
      out->floats_.push_back(v);
      return Status::OK();
    }
    case GgufType::kString: {
      out->strings_.emplace_back();
      return r_.ReadString(&out->strings_.back(), kMaxStringLength, "string");
    }
    case GgufType::kArray:
      break;  // handled by ReadArray
  }
  return r_.ErrorAt(r_.pos(), "unexpected value type");
}

Status GgufParser::SetAlignment() {
  const GgufValue* v = file_->Find("general.alignment");
  if (v == nullptr) return Status::OK();
  Result<int64_t> a = v->AsInt();
  if (!a.ok() || v->type() == GgufType::kArray) {
    return r_.Error("general.alignment must be an integer, found " +
                    std::string(GgufTypeName(v->type())));
  }
  // A power of two keeps align-up a mask; the cap keeps padding sane.
  if (*a <= 0 || *a > (int64_t{1} << 30) || (*a & (*a - 1)) != 0) {
    return r_.Error("general.alignment " + std::to_string(*a) +
                    " is not a power of two between 1 and 2^30");
  }
  file_->alignment_ = static_cast<uint32_t>(*a);
  return Status::OK();
}

Status GgufParser::ParseTensorInfos(uint64_t tensor_count) {
  // Checked here rather than in the header so that a truncated file fails on
  // the first field it cuts, not on a count that no longer fits.
  if (tensor_count > r_.left() / kMinTensorInfoBytes) {
    return r_.ErrorAt(kTensorCountOffset, "tensor count " + std::to_string(tensor_count) +
                                              " cannot fit in the " + std::to_string(r_.left()) +
                                              " bytes left");
  }
  std::unordered_set<std::string> seen;
  file_->tensors_.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    const size_t at = r_.pos();
    GgufTensor t;
    KILN_RETURN_IF_ERROR(ParseTensorInfo(&t));
    if (!seen.insert(t.name).second)
      return r_.ErrorAt(at, "duplicate tensor name " + Quote(t.name));
    file_->tensors_.push_back(std::move(t));
  }
  return Status::OK();
}

}  // namespace kiln::engine
