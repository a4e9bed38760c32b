// ByteReader: a bounds-checked little-endian cursor over untrusted bytes.
//
// Every read checks the bytes left first, so a hostile length or count can
// neither read past the end nor make the caller allocate for data the file
// cannot hold. Errors are Corruption statuses of the form
// "<name>: at offset N: <problem>". Borrows the bytes; not thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/status.h"

namespace kiln::engine::internal {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian; a big-endian host needs byte swapping here");

class ByteReader {
 public:
  ByteReader(std::string_view name, const uint8_t* data, size_t size)
      : name_(name), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  size_t size() const { return size_; }

  // A Corruption status naming the file and the offset `at`.
  Status ErrorAt(size_t at, std::string_view problem) const {
    return Corruption(std::string(name_) + ": at offset " + std::to_string(at) + ": " +
                      std::string(problem));
  }
  // The same without an offset (problems of the file as a whole).
  Status Error(std::string_view problem) const {
    return Corruption(std::string(name_) + ": " + std::string(problem));
  }

  // Reads a trivially copyable value; memcpy because file data is unaligned.
  template <typename T>
  Status Read(T* out, std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (left() < sizeof(T)) {
      return ErrorAt(pos_, std::string(what) + " needs " + std::to_string(sizeof(T)) +
                               " bytes but only " + std::to_string(left()) + " are left");
    }
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::OK();
  }

  // A GGUF string: uint64 length, then that many bytes (not NUL-terminated).
  // Lengths over `max_len` are rejected as implausible before anything is copied.
  Status ReadString(std::string* out, uint64_t max_len, std::string_view what) {
    const size_t at = pos_;
    uint64_t len = 0;
    KILN_RETURN_IF_ERROR(Read(&len, what));
    if (len > left()) {
      return ErrorAt(at, std::string(what) + " length " + std::to_string(len) + " exceeds the " +
                             std::to_string(left()) + " bytes left");
    }
    if (len > max_len) {
      return ErrorAt(at, std::string(what) + " length " + std::to_string(len) +
                             " exceeds the limit of " + std::to_string(max_len));
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return Status::OK();
  }

 private:
  std::string_view name_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace kiln::engine::internal
