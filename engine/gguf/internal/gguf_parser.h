// GgufParser: validates the bytes of a GGUF file and fills a GgufFile.
// Used only by GgufFile::Open and GgufFile::FromBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/internal/byte_reader.h"

namespace kiln::engine {

// 'name', for error messages that quote a key or tensor name.
inline std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

class GgufParser {
 public:
  // Parses file->base_[0, size_) into *file. `name` (the path) prefixes every error.
  static Status Parse(std::string_view name, GgufFile* file);

 private:
  GgufParser(std::string_view name, GgufFile* file)
      : file_(file), r_(name, file->base_, file->size_) {}

  Status ParseHeader(uint64_t* tensor_count, uint64_t* kv_count);
  Status ParseMetadata(uint64_t kv_count);
  Status ReadValue(GgufType type, int depth, GgufValue* out);
  Status ReadArray(int depth, GgufValue* out);
  Status ReadScalar(GgufType type, GgufValue* out);
  Status SetAlignment();
  Status ParseTensorInfos(uint64_t tensor_count);
  Status ParseTensorInfo(GgufTensor* tensor);
  Status PlaceTensorData();

  GgufFile* file_;
  internal::ByteReader r_;
};

}  // namespace kiln::engine
