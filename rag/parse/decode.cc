// DecodeText: bytes of unknown encoding -> UTF-8 text.
//
// Uploads come without a reliable charset. We accept what Chinese-language
// users actually produce: UTF-8 (the common case), UTF-16 from Windows tools
// (which always write a byte-order mark) and GB18030/GBK from older software.
// Anything else is refused rather than decoded into mojibake that would then be
// embedded and indexed as if it were text.
#include <iconv.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/utf8.h"
#include "rag/parse/internal_text.h"
#include "rag/parse/parse.h"

namespace kiln::rag {
namespace parse_internal {
namespace {

constexpr std::string_view kUndecodable =
    "the text is neither UTF-8, UTF-16 with a byte-order mark nor GB18030";

Status NotText(std::string_view why) {
  return Unprocessable("the file is not text: " + std::string(why));
}

// Signatures of binary formats people upload by mistake, named in the error.
std::optional<std::string_view> SniffBinaryFormat(std::string_view bytes) {
  struct Magic {
    std::string_view prefix;
    std::string_view name;
  };
  static constexpr Magic kMagics[] = {
      {"%PDF-", "a PDF document"},
      {"PK\x03\x04", "a zip archive (docx, xlsx, ...)"},
      {"\x89PNG\r\n\x1a\n", "a PNG image"},
      {"\xff\xd8\xff", "a JPEG image"},
      {"GIF87a", "a GIF image"},
      {"GIF89a", "a GIF image"},
      {"\x7f\x45LF", "an ELF executable"},
      {"\x1f\x8b", "a gzip archive"},
      {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document (doc, xls, ppt)"},
      {"Rar!\x1a\x07", "a RAR archive"},
      {"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
      {std::string_view("SQLite format 3\0", 16), "an SQLite database"},
  };
  for (const Magic& magic : kMagics) {
    if (bytes.substr(0, magic.prefix.size()) == magic.prefix) return magic.name;
  }
  return std::nullopt;
}

// Control characters other than tab, line feed, vertical tab, form feed and
// carriage return. A text file has next to none; binary data has many.
bool IsControl(uint32_t cp) {
  return (cp < 0x20 && !(cp >= 0x09 && cp <= 0x0D)) || cp == 0x7F || (cp >= 0x80 && cp < 0xA0);
}

// Refuses text with NULs or with more than one control character in 50.
Status CheckControls(size_t nuls, size_t controls, size_t total) {
  if (nuls > 0) return NotText("it contains NUL bytes (binary data)");
  if (controls * 50 > total) return NotText("it contains too many control characters");
  return Status::OK();
}

Status CheckBytesLookLikeText(std::string_view bytes) {
  if (auto format = SniffBinaryFormat(bytes))
    return NotText("it looks like " + std::string(*format));
  size_t nuls = 0;
  size_t controls = 0;
  for (unsigned char c : bytes) {
    if (c == 0) ++nuls;
    if (c < 0x80 && IsControl(c)) ++controls;
  }
  return CheckControls(nuls, controls, bytes.size());
}

bool IsValidUtf8(std::string_view bytes) {
  for (size_t pos = 0; pos < bytes.size();) {
    const size_t start = pos;
    if (static_cast<uint8_t>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    // DecodeUtf8 reports every invalid sequence as a one-byte U+FFFD.
    if (DecodeUtf8(bytes, &pos) == kReplacementChar && pos - start != 3) return false;
  }
  return true;
}

// Strict UTF-16: an odd length or an unpaired surrogate fails.
Result<std::string> DecodeUtf16(std::string_view bytes, bool big_endian) {
  if (bytes.size() % 2 != 0) {
    return Unprocessable(std::string(kUndecodable) + " (odd number of bytes in UTF-16 text)");
  }
  auto unit = [&](size_t i) -> uint32_t {
    const auto b0 = static_cast<uint8_t>(bytes[i]);
    const auto b1 = static_cast<uint8_t>(bytes[i + 1]);
    return big_endian ? (b0 << 8 | b1) : (b1 << 8 | b0);
  };
  std::string out;
  out.reserve(bytes.size() * 3 / 2);
  size_t nuls = 0;
  size_t controls = 0;
  size_t total = 0;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < bytes.size()) {
      const uint32_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      return Unprocessable(std::string(kUndecodable) + " (unpaired UTF-16 surrogate)");
    }
    ++total;
    if (cp == 0) ++nuls;
    if (IsControl(cp)) ++controls;
    AppendUtf8(cp, &out);
  }
  KILN_RETURN_IF_ERROR(CheckControls(nuls, controls, total));
  return out;
}

// Strict GB18030 -> UTF-8 through glibc's iconv; nullopt on any invalid or
// truncated sequence.
std::optional<std::string> ConvertGb18030(std::string_view bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  // Two GB bytes become at most three UTF-8 bytes, four become four.
  std::string out(bytes.size() * 3 / 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());  // iconv's API is not const-correct
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  bool ok = true;
  while (in_left > 0) {
    if (iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left) != static_cast<size_t>(-1)) continue;
    if (errno != E2BIG) {
      ok = false;
      break;
    }
    const size_t used = out.size() - out_left;
    out.resize(out.size() * 2);
    out_ptr = out.data() + used;
    out_left = out.size() - used;
  }
  iconv_close(cd);
  if (!ok) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

// Whether decoded GB18030 reads like Chinese: mostly ideographs, CJK
// punctuation and the other scripts and symbols GB2312 itself carries. Random
// bytes that happen to decode land in private-use areas and scripts such as
// Hangul, Thai or Arabic that GB18030 reaches only through four-byte codes.
bool LooksLikeChinese(std::string_view utf8) {
  size_t ideographs = 0;
  size_t plausible = 0;
  size_t non_ascii = 0;
  for (size_t pos = 0; pos < utf8.size();) {
    const uint32_t cp = DecodeUtf8(utf8, &pos);
    if (cp < 0x80) continue;
    ++non_ascii;
    const bool ideograph = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
    ideographs += ideograph ? 1 : 0;
    if (ideograph || (cp >= 0xA0 && cp <= 0x24F) || (cp >= 0x2B0 && cp <= 0x4FF) ||
        (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x33FF) ||
        (cp >= 0xFE10 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFFEF)) {
      ++plausible;
    }
  }
  if (non_ascii == 0) return true;
  return plausible * 20 >= non_ascii * 19 && ideographs * 2 >= non_ascii;
}

// Drops a leading BOM and turns \r\n and lone \r into \n.
std::string NormalizeNewlines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
    } else {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return out;
}

bool IsGbCharset(std::string_view charset) {
  const std::string name = AsciiLower(TrimSpace(charset));
  return name == "gb18030" || name == "gbk" || name == "gb2312" || name == "x-gbk" ||
         name == "cp936" || name == "euc-cn" || name == "windows-936";
}

void SetEncoding(std::string* encoding, std::string_view value) {
  if (encoding != nullptr) *encoding = std::string(value);
}

}  // namespace

Result<std::string> DecodeTextWithCharset(std::string_view bytes, std::string_view charset,
                                          std::string* encoding) {
  SetEncoding(encoding, "utf-8");
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    const std::string_view body = bytes.substr(3);
    KILN_RETURN_IF_ERROR(CheckBytesLookLikeText(body));
    if (!IsValidUtf8(body)) {
      return Unprocessable(std::string(kUndecodable) + " (invalid UTF-8 after a UTF-8 BOM)");
    }
    return NormalizeNewlines(body);
  }
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    const bool big_endian = bytes[0] == '\xFE';
    KILN_ASSIGN_OR_RETURN(std::string text, DecodeUtf16(bytes.substr(2), big_endian));
    SetEncoding(encoding, big_endian ? "utf-16be" : "utf-16le");
    return NormalizeNewlines(text);
  }
  KILN_RETURN_IF_ERROR(CheckBytesLookLikeText(bytes));
  if (IsValidUtf8(bytes)) return NormalizeNewlines(bytes);
  if (std::optional<std::string> text = ConvertGb18030(bytes)) {
    if (IsGbCharset(charset) || LooksLikeChinese(*text)) {
      SetEncoding(encoding, "gb18030");
      return NormalizeNewlines(*text);
    }
  }
  return Unprocessable(std::string(kUndecodable));
}

}  // namespace parse_internal

Result<std::string> DecodeText(std::string_view bytes, std::string* encoding) {
  return parse_internal::DecodeTextWithCharset(bytes, {}, encoding);
}

}  // namespace kiln::rag
