// GgufValue accessors: conversions between GGUF's value types and the few
// C++ types callers want, failing (not truncating) when a value does not fit.
#include <limits>
#include <string>

#include "engine/gguf/gguf_file.h"

namespace kiln::engine {
namespace {

bool IsInteger(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsFloat(GgufType t) { return t == GgufType::kFloat32 || t == GgufType::kFloat64; }

Status WrongType(std::string_view expected, GgufType found) {
  return InvalidArgument("expected " + std::string(expected) + ", found " +
                         std::string(GgufTypeName(found)));
}

Status WrongArray(std::string_view expected, const GgufValue& v) {
  if (v.type() != GgufType::kArray) return WrongType(expected, v.type());
  return InvalidArgument("expected " + std::string(expected) + ", found an array of " +
                         std::string(GgufTypeName(v.element_type())));
}

Result<int64_t> CheckedUint64(uint64_t u) {
  if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgument("uint64 value " + std::to_string(u) + " does not fit in int64");
  }
  return static_cast<int64_t>(u);
}

}  // namespace

std::string_view GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      return "uint8";
    case GgufType::kInt8:
      return "int8";
    case GgufType::kUint16:
      return "uint16";
    case GgufType::kInt16:
      return "int16";
    case GgufType::kUint32:
      return "uint32";
    case GgufType::kInt32:
      return "int32";
    case GgufType::kFloat32:
      return "float32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "uint64";
    case GgufType::kInt64:
      return "int64";
    case GgufType::kFloat64:
      return "float64";
  }
  return "unknown";
}

size_t GgufValue::size() const {
  if (type_ != GgufType::kArray) return 1;
  switch (element_type_) {
    case GgufType::kString:
      return strings_.size();
    case GgufType::kArray:
      return arrays_.size();
    case GgufType::kUint64:
      return uints_.size();
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      return floats_.size();
    default:
      return ints_.size();
  }
}

Result<int64_t> GgufValue::AsInt() const {
  if (type_ == GgufType::kUint64) return CheckedUint64(uints_[0]);
  if (!IsInteger(type_)) return WrongType("an integer", type_);
  return ints_[0];
}

Result<uint64_t> GgufValue::AsUint64() const {
  if (type_ == GgufType::kUint64) return uints_[0];
  if (!IsInteger(type_)) return WrongType("an unsigned integer", type_);
  if (ints_[0] < 0) return InvalidArgument("negative value " + std::to_string(ints_[0]));
  return static_cast<uint64_t>(ints_[0]);
}

Result<double> GgufValue::AsFloat() const {
  if (IsFloat(type_)) return floats_[0];
  if (type_ == GgufType::kUint64) return static_cast<double>(uints_[0]);
  if (!IsInteger(type_)) return WrongType("a number", type_);
  return static_cast<double>(ints_[0]);
}

Result<bool> GgufValue::AsBool() const {
  if (type_ != GgufType::kBool) return WrongType("a bool", type_);
  return ints_[0] != 0;
}

Result<std::string_view> GgufValue::AsString() const {
  if (type_ != GgufType::kString) return WrongType("a string", type_);
  return std::string_view(strings_[0]);
}

Result<std::vector<int64_t>> GgufValue::AsIntArray() const {
  if (type_ != GgufType::kArray || !IsInteger(element_type_)) {
    return WrongArray("an array of integers", *this);
  }
  if (element_type_ != GgufType::kUint64) return ints_;
  std::vector<int64_t> out;
  out.reserve(uints_.size());
  for (uint64_t u : uints_) {
    KILN_ASSIGN_OR_RETURN(int64_t v, CheckedUint64(u));
    out.push_back(v);
  }
  return out;
}

Result<std::vector<float>> GgufValue::AsFloatArray() const {
  if (type_ != GgufType::kArray || !(IsInteger(element_type_) || IsFloat(element_type_))) {
    return WrongArray("an array of numbers", *this);
  }
  std::vector<float> out;
  out.reserve(size());
  if (IsFloat(element_type_)) {
    for (double d : floats_) out.push_back(static_cast<float>(d));
  } else if (element_type_ == GgufType::kUint64) {
    for (uint64_t u : uints_) out.push_back(static_cast<float>(u));
  } else {
    for (int64_t i : ints_) out.push_back(static_cast<float>(i));
  }
  return out;
}

Result<std::vector<std::string>> GgufValue::AsStringArray() const {
  if (type_ != GgufType::kArray || element_type_ != GgufType::kString) {
    return WrongArray("an array of strings", *this);
  }
  return strings_;
}

}  // namespace kiln::engine
