#include "base/utf8.h"

namespace kiln {

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

size_t Utf8SequenceLength(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

uint32_t DecodeUtf8(std::string_view s, size_t* pos) {
  const size_t i = *pos;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t b0 = byte(0);
  *pos = i + 1;
  if (b0 < 0x80) return b0;
  size_t n;
  uint32_t cp, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return kReplacementChar;
  }
  if (s.size() - i < n) return kReplacementChar;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return kReplacementChar;
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kReplacementChar;
  *pos = i + n;
  return cp;
}

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) out.push_back(DecodeUtf8(s, &pos));
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// How many leading bytes of `t` form the start of a valid UTF-8 sequence that
// is not complete (0 when t[0] cannot start one, or when the bytes break the
// sequence's rules: the "maximal subpart" of Unicode 3.9, U+FFFD substitution).
size_t TruncatedPrefixLength(std::string_view t) {
  const uint8_t b0 = static_cast<uint8_t>(t[0]);
  size_t n = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  if (b0 >= 0xE0 && b0 <= 0xEF) n = 3;
  if (b0 >= 0xF0 && b0 <= 0xF4) n = 4;
  if (n == 0) return 0;
  size_t k = 1;
  for (; k < t.size() && k < n; ++k) {
    uint8_t lo = 0x80, hi = 0xBF;
    if (k == 1) {
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    }
    const uint8_t b = static_cast<uint8_t>(t[k]);
    if (b < lo || b > hi) break;
  }
  return k < n ? k : 0;
}

}  // namespace

size_t AppendValidUtf8(std::string_view s, bool final, std::string* out) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t next = pos;
    const uint32_t cp = DecodeUtf8(s, &next);
    if (cp != kReplacementChar || next > pos + 1) {
      out->append(s, pos, next - pos);
      pos = next;
      continue;
    }
    const size_t k = TruncatedPrefixLength(s.substr(pos));
    if (k > 0 && pos + k == s.size() && !final) return pos;  // may complete later
    AppendUtf8(kReplacementChar, out);
    pos += k > 0 ? k : 1;
  }
  return pos;
}

}  // namespace kiln
