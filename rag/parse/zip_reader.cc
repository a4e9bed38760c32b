// ZipArchive: see internal_zip.h. Layout per the PKWARE APPNOTE: the
// end-of-central-directory record (EOCD) at the end points to the central
// directory, whose entries point to local headers followed by the data.
#include <zlib.h>

#include "rag/parse/internal_zip.h"

namespace kiln::rag::parse_internal {
namespace {

constexpr uint32_t kEocdSignature = 0x06054b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kMaxComment = 0xFFFF;

uint16_t Le16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}
uint32_t Le32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(Le16(b, at)) | static_cast<uint32_t>(Le16(b, at + 2)) << 16;
}

Status Damaged(std::string_view why) {
  return Unprocessable("the zip archive is damaged: " + std::string(why));
}

// Inflates raw deflate data, stopping as soon as the output passes `max_bytes`.
Result<std::string> Inflate(std::string_view in, size_t max_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return Internal("inflateInit2 failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());  // entries are < 4 GiB (no ZIP64)
  std::string out;
  char buffer[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    const size_t produced = sizeof(buffer) - stream.avail_out;
    if (produced > max_bytes - out.size()) {
      inflateEnd(&stream);
      return TooLarge("a part of the archive expands past the limit of " +
                      std::to_string(max_bytes) + " bytes");
    }
    out.append(buffer, produced);
  }
  const std::string message = stream.msg != nullptr ? stream.msg : "";
  inflateEnd(&stream);
  if (rc == Z_STREAM_END) return out;
  // Z_BUF_ERROR: the input ran out before the end of the deflate stream.
  if (rc == Z_BUF_ERROR) return Damaged("compressed data is truncated");
  return Damaged("invalid compressed data" + (message.empty() ? "" : " (" + message + ")"));
}

}  // namespace

Result<ZipArchive> ZipArchive::Open(std::string_view bytes) {
  if (bytes.size() < kEocdSize) return Unprocessable("the file is not a zip archive");
  // The EOCD is the last record; only a comment of up to 64 KiB may follow it.
  const size_t lowest =
      bytes.size() > kEocdSize + kMaxComment ? bytes.size() - kEocdSize - kMaxComment : 0;
  size_t eocd = std::string_view::npos;
  for (size_t at = bytes.size() - kEocdSize + 1; at-- > lowest;) {
    if (Le32(bytes, at) == kEocdSignature &&
        at + kEocdSize + Le16(bytes, at + 20) <= bytes.size()) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos) return Unprocessable("the file is not a zip archive");
  if (eocd >= 20 && Le32(bytes, eocd - 20) == kZip64LocatorSignature) {
    return Unprocessable("ZIP64 archives are not supported");
  }
  const uint16_t disk = Le16(bytes, eocd + 4);
  const uint16_t count = Le16(bytes, eocd + 10);
  const uint32_t cd_size = Le32(bytes, eocd + 12);
  const uint32_t cd_offset = Le32(bytes, eocd + 16);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    return Unprocessable("ZIP64 archives are not supported");
  }
  if (disk != 0) return Unprocessable("multi-part zip archives are not supported");
  if (cd_offset > eocd || cd_size > eocd - cd_offset) {
    return Damaged("the central directory lies outside the file");
  }

  ZipArchive archive(bytes);
  const std::string_view dir = bytes.substr(cd_offset, cd_size);
  size_t pos = 0;
  for (uint16_t i = 0; i < count; ++i) {
    if (dir.size() - pos < kCentralSize || Le32(dir, pos) != kCentralSignature) {
      return Damaged("a central directory entry is missing or truncated");
    }
    ZipEntry entry;
    entry.flags = Le16(dir, pos + 8);
    entry.method = Le16(dir, pos + 10);
    entry.crc32 = Le32(dir, pos + 16);
    entry.compressed_size = Le32(dir, pos + 20);
    entry.uncompressed_size = Le32(dir, pos + 24);
    const size_t name_length = Le16(dir, pos + 28);
    const size_t extra_length = Le16(dir, pos + 30);
    const size_t comment_length = Le16(dir, pos + 32);
    entry.local_header_offset = Le32(dir, pos + 42);
    const size_t record = kCentralSize + name_length + extra_length + comment_length;
    if (dir.size() - pos < record) return Damaged("a central directory entry is truncated");
    entry.name = std::string(dir.substr(pos + kCentralSize, name_length));
    pos += record;
    if (entry.compressed_size == 0xFFFFFFFF || entry.uncompressed_size == 0xFFFFFFFF ||
        entry.local_header_offset == 0xFFFFFFFF) {
      return Unprocessable("ZIP64 archives are not supported");
    }
    archive.entries_.push_back(std::move(entry));
  }
  return archive;
}

const ZipEntry* ZipArchive::Find(std::string_view name) const {
  for (const ZipEntry& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<std::string> ZipArchive::Read(const ZipEntry& entry, size_t max_bytes) const {
  if (entry.flags & 0x0041) {  // bit 0: encrypted, bit 6: strong encryption
    return Unprocessable("encrypted zip entries are not supported (" + entry.name + ")");
  }
  if (entry.method != 0 && entry.method != 8) {
    return Unprocessable("zip compression method " + std::to_string(entry.method) +
                         " is not supported (" + entry.name + ")");
  }
  const size_t offset = entry.local_header_offset;
  if (offset > bytes_.size() || bytes_.size() - offset < kLocalSize ||
      Le32(bytes_, offset) != kLocalSignature) {
    return Damaged("the local header of " + entry.name + " is missing");
  }
  // The local header's sizes may be zero (data descriptor); the central
  // directory's are authoritative. Only its name and extra lengths matter here.
  const size_t data_start =
      offset + kLocalSize + Le16(bytes_, offset + 26) + Le16(bytes_, offset + 28);
  if (data_start > bytes_.size() || bytes_.size() - data_start < entry.compressed_size) {
    return Damaged("the data of " + entry.name + " runs past the end of the file");
  }
  const std::string_view data = bytes_.substr(data_start, entry.compressed_size);
  std::string out;
  if (entry.method == 0) {
    if (data.size() > max_bytes) {
      return TooLarge("a part of the archive is larger than the limit of " +
                      std::to_string(max_bytes) + " bytes");
    }
    out = std::string(data);
  } else {
    KILN_ASSIGN_OR_RETURN(out, Inflate(data, max_bytes));
  }
  const uLong crc =
      crc32_z(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()), out.size());
  if (crc != entry.crc32) return Damaged("CRC mismatch in " + entry.name);
  return out;
}

}  // namespace kiln::rag::parse_internal
