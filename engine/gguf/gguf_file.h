// GgufFile: a GGUF model file, memory-mapped and validated.
//
// Open() checks the whole header before returning: magic, version (2 or 3),
// every length, every metadata value and array, the tensor table (names
// unique, types known, dimensions positive and their product not overflowing,
// offsets aligned and the data in bounds and not overlapping). A truncated or
// hostile file gives an error naming the problem and the byte offset; nothing
// is ever read out of bounds, before or after Open.
//
// The file is immutable after Open and safe to share between threads. Tensor
// data pointers point into the mapping and stay valid while the GgufFile lives.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernels/types.h"

namespace kiln::engine {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufTypeName(GgufType type);

// One metadata value: a scalar, a string, or an array of one of those
// (arrays of arrays are legal in GGUF and kept, but no accessor below reads them).
class GgufValue {
 public:
  GgufType type() const { return type_; }
  // For arrays: the element type and count.
  GgufType element_type() const { return element_type_; }
  size_t size() const;  // elements of an array; 1 for a scalar

  // Scalar access. Integers of any width convert to int64 (uint64 above
  // INT64_MAX fails); floats accept any numeric value. Failures say which type was found.
  Result<int64_t> AsInt() const;
  Result<double> AsFloat() const;
  Result<bool> AsBool() const;
  Result<std::string_view> AsString() const;
  // Non-negative integers of any width, uint64 in full (negative values fail).
  Result<uint64_t> AsUint64() const;

  // Array access, whole-array copies; element type must fit as for the scalars.
  Result<std::vector<int64_t>> AsIntArray() const;
  Result<std::vector<float>> AsFloatArray() const;
  Result<std::vector<std::string>> AsStringArray() const;

 private:
  friend class GgufParser;
  friend class GgufWriter;
  GgufType type_ = GgufType::kUint8;
  GgufType element_type_ = GgufType::kUint8;
  // Storage: integers and bools in ints_, floats in floats_, strings in strings_,
  // nested arrays in arrays_; a scalar is a one-element vector.
  std::vector<int64_t> ints_;
  std::vector<uint64_t> uints_;  // uint64 values (kept exactly)
  std::vector<double> floats_;
  std::vector<std::string> strings_;
  std::vector<GgufValue> arrays_;
};

struct GgufTensor {
  std::string name;
  kernels::GgmlType type;
  std::vector<int64_t> dims;  // innermost first, as GGUF stores them: dims[0] = row length
  uint64_t offset = 0;        // from the start of the data section
  size_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t elements() const;
  // Rows of a 2-D view: the product of dims[1..].
  int64_t rows() const { return dims.empty() ? 0 : elements() / dims[0]; }
};

class GgufFile {
 public:
  // Maps and validates `path`. The error names the file, the problem and the offset.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Validates bytes held in memory (tests, fuzzing). The GgufFile keeps its own copy.
  static Result<std::unique_ptr<GgufFile>> FromBytes(std::string bytes);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  size_t file_size() const { return size_; }

  // ---- metadata ----
  const GgufValue* Find(std::string_view key) const;  // nullptr when absent
  // Forgets metadata `key` (a no-op when absent): a loader that has copied a
  // large array out (the tokenizer's vocabulary) frees the parsed copy.
  void DropMetadata(std::string_view key);
  const std::vector<std::string>& keys() const { return keys_; }  // in file order
  // Typed getters: NotFound naming the key when absent, InvalidArgument when
  // the stored type does not fit.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<double> GetFloat(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  // The same with a default for an absent key (a present key of the wrong type is still an error).
  Result<int64_t> GetIntOr(std::string_view key, int64_t fallback) const;
  Result<double> GetFloatOr(std::string_view key, double fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string> GetStringOr(std::string_view key, std::string fallback) const;

  // ---- tensors ----
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(std::string_view name) const;  // nullptr when absent

 private:
  friend class GgufParser;
  GgufFile() = default;

  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  const uint8_t* base_ = nullptr;  // the mapping or bytes_.data()
  size_t size_ = 0;
  void* mapping_ = nullptr;  // from mmap, unmapped by the destructor
  std::string bytes_;        // FromBytes storage
  std::vector<std::string> keys_;
  std::vector<GgufValue> values_;  // parallel to keys_
  std::vector<GgufTensor> tensors_;
};

}  // namespace kiln::engine
