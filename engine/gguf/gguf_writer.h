// GgufWriter: builds a GGUF (version 3) file in memory, for tests and tools
// (tiny models with random weights, hostile variants of real files).
//
// Not thread-safe; build, then Serialize or WriteFile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "kernels/types.h"

namespace kiln::engine {

class GgufWriter {
 public:
  // Metadata, kept in insertion order (setting a key again replaces its value).
  void SetString(std::string_view key, std::string_view value);
  void SetUint32(std::string_view key, uint32_t value);
  void SetInt32(std::string_view key, int32_t value);
  void SetUint64(std::string_view key, uint64_t value);
  void SetFloat32(std::string_view key, float value);
  void SetBool(std::string_view key, bool value);
  void SetStringArray(std::string_view key, const std::vector<std::string>& values);
  void SetFloat32Array(std::string_view key, const std::vector<float>& values);
  void SetInt32Array(std::string_view key, const std::vector<int32_t>& values);
  // The remaining scalar types, so tests can cover every type GGUF has.
  void SetUint8(std::string_view key, uint8_t value);
  void SetInt8(std::string_view key, int8_t value);
  void SetUint16(std::string_view key, uint16_t value);
  void SetInt16(std::string_view key, int16_t value);
  void SetInt64(std::string_view key, int64_t value);
  void SetFloat64(std::string_view key, double value);
  // A value given as its raw type id and encoded payload, written unchecked:
  // for other array types, nested arrays and deliberately broken files.
  void SetRaw(std::string_view key, uint32_t type_id, std::string payload);

  // A tensor; `data` must hold exactly RowBytes(type, dims[0]) * rows bytes
  // (checked: InvalidArgument otherwise). dims innermost first.
  Status AddTensor(std::string_view name, kernels::GgmlType type, std::vector<int64_t> dims,
                   std::string data);

  // Default 32; written as general.alignment if not 32. Must be a power of two.
  // (SetUint32("general.alignment", ...) writes the key without changing the padding.)
  void set_alignment(uint32_t alignment);

  std::string Serialize() const;
  Status WriteFile(const std::string& path) const;

 private:
  struct Entry {
    std::string key;
    std::string encoded;  // type id + payload, as it goes into the file
  };
  struct Tensor {
    std::string name;
    kernels::GgmlType type;
    std::vector<int64_t> dims;
    std::string data;
  };
  void Put(std::string_view key, std::string encoded);

  std::vector<Entry> entries_;
  std::vector<Tensor> tensors_;
  uint32_t alignment_ = 32;
};

}  // namespace kiln::engine
