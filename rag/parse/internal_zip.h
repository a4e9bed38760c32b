// A minimal reader for the zip archives that hold Office Open XML documents
// (.docx). Reads the end-of-central-directory record, the central directory
// and local headers; supports methods 0 (stored) and 8 (deflate); refuses
// ZIP64, encryption and other methods. The archive is untrusted: every offset
// is bounds-checked and inflation stops at the caller's limit, whatever size
// the archive declares. Internal to rag/parse/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::rag::parse_internal {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc32 = 0;
  uint32_t compressed_size = 0;
  uint32_t uncompressed_size = 0;  // as declared; never trusted for allocation
  uint32_t local_header_offset = 0;
};

// A view of a zip archive. Borrows `bytes`, which must outlive it.
class ZipArchive {
 public:
  // Reads the central directory. kUnprocessable when `bytes` is not a zip
  // archive or its directory is damaged or uses unsupported features.
  static Result<ZipArchive> Open(std::string_view bytes);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The entry called `name` (exact, case-sensitive), or null.
  const ZipEntry* Find(std::string_view name) const;

  // The entry's contents, CRC-checked. kTooLarge when they pass `max_bytes`
  // (found while inflating), kUnprocessable when damaged or unsupported.
  Result<std::string> Read(const ZipEntry& entry, size_t max_bytes) const;

 private:
  explicit ZipArchive(std::string_view bytes) : bytes_(bytes) {}

  std::string_view bytes_;
  std::vector<ZipEntry> entries_;
};

}  // namespace kiln::rag::parse_internal
