// GgufFile: mapping the file, and the typed metadata getters.
#include "engine/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "engine/gguf/internal/gguf_parser.h"

namespace kiln::engine {
namespace {

Status OsError(const std::string& path, std::string_view what) {
  const int err = errno;
  std::string msg = path + ": " + std::string(what) + ": " + std::strerror(err);
  if (err == ENOENT) return NotFound(std::move(msg));
  if (err == EACCES) return PermissionDenied(std::move(msg));
  return Unavailable(std::move(msg));
}

// Closes a descriptor on every return path of Open.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// Find(key) read with `as`: NotFound when absent, the accessor's error
// (prefixed with the key) when the type does not fit.
template <typename T>
Result<T> GetAs(const GgufFile& file, std::string_view key, Result<T> (GgufValue::*as)() const) {
  const GgufValue* v = file.Find(key);
  if (v == nullptr) return NotFound("metadata key '" + std::string(key) + "' not found");
  Result<T> r = (v->*as)();
  if (r.ok()) return r;
  return r.status().Annotate("metadata key '" + std::string(key) + "'");
}

template <typename T>
Result<T> GetAsOr(const GgufFile& file, std::string_view key, Result<T> (GgufValue::*as)() const,
                  T fallback) {
  if (file.Find(key) == nullptr) return fallback;
  return GetAs(file, key, as);
}

}  // namespace

int64_t GgufTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // validated not to overflow when the file was opened
  return n;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError(path, "open");
  FdCloser closer{fd};
  struct stat st = {};
  if (::fstat(fd, &st) != 0) return OsError(path, "stat");
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path + ": not a regular file");
  if (st.st_size == 0) return Corruption(path + ": empty file, not a GGUF file");
  const auto size = static_cast<size_t>(st.st_size);
  // Private and read-only: weights are paged in on demand and shared with
  // the page cache, never copied into our heap.
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) return OsError(path, "mmap");
  std::unique_ptr<GgufFile> file(new (std::nothrow) GgufFile());
  if (file == nullptr) {
    ::munmap(mapping, size);
    return ResourceExhausted(path + ": out of memory");
  }
  file->mapping_ = mapping;
  file->base_ = static_cast<const uint8_t*>(mapping);
  file->size_ = size;
  KILN_RETURN_IF_ERROR(GgufParser::Parse(path, file.get()));
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::FromBytes(std::string bytes) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  // Copied to a 64-byte boundary so tensor data keep the alignment they would
  // have in a mapping (up to 64), as the kernels expect of real files.
  constexpr size_t kAlign = 64;
  file->bytes_.assign(bytes.size() + kAlign, '\0');
  const auto raw = reinterpret_cast<uintptr_t>(file->bytes_.data());
  const size_t skip = (kAlign - raw % kAlign) % kAlign;
  uint8_t* base = reinterpret_cast<uint8_t*>(file->bytes_.data()) + skip;
  if (!bytes.empty()) std::memcpy(base, bytes.data(), bytes.size());
  file->base_ = base;
  file->size_ = bytes.size();
  KILN_RETURN_IF_ERROR(GgufParser::Parse("<bytes>", file.get()));
  return file;
}

GgufFile::~GgufFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return &values_[i];
  }
  return nullptr;
}

void GgufFile::DropMetadata(std::string_view key) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
      values_.erase(values_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  for (const GgufTensor& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  KILN_ASSIGN_OR_RETURN(std::string_view s, GetAs(*this, key, &GgufValue::AsString));
  return std::string(s);
}
Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  return GetAs(*this, key, &GgufValue::AsInt);
}
Result<double> GgufFile::GetFloat(std::string_view key) const {
  return GetAs(*this, key, &GgufValue::AsFloat);
}
Result<bool> GgufFile::GetBool(std::string_view key) const {
  return GetAs(*this, key, &GgufValue::AsBool);
}

Result<int64_t> GgufFile::GetIntOr(std::string_view key, int64_t fallback) const {
  return GetAsOr(*this, key, &GgufValue::AsInt, fallback);
}
Result<double> GgufFile::GetFloatOr(std::string_view key, double fallback) const {
  return GetAsOr(*this, key, &GgufValue::AsFloat, fallback);
}
Result<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  return GetAsOr(*this, key, &GgufValue::AsBool, fallback);
}
Result<std::string> GgufFile::GetStringOr(std::string_view key, std::string fallback) const {
  if (Find(key) == nullptr) return fallback;
  return GetString(key);
}

}  // namespace kiln::engine
