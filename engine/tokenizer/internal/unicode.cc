#include "engine/tokenizer/internal/unicode.h"

#include <algorithm>
#include <iterator>

namespace kiln::engine::tokenizer_internal {
namespace {

struct CategoryRun {
  uint32_t first;
  uint8_t cls;
};
struct FoldEntry {
  uint32_t cp;
  const char* utf8;
};

#include "engine/tokenizer/internal/unicode_tables.inc"

// Hangul syllable decomposition (Unicode 3.12): NFD of U+AC00..U+D7A3.
constexpr uint32_t kHangulBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = 11172;

}  // namespace

CharClass ClassOf(uint32_t cp) {
  if (cp > 0x10FFFF) return CharClass::kControl;
  // Last run whose first code point is <= cp.
  auto it = std::upper_bound(std::begin(kCategoryRanges), std::end(kCategoryRanges), cp,
                             [](uint32_t v, const CategoryRun& r) { return v < r.first; });
  return static_cast<CharClass>(std::prev(it)->cls);
}

bool IsLetter(uint32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return ClassOf(cp) == CharClass::kLetter;
}

bool IsNumber(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return ClassOf(cp) == CharClass::kNumber;
}

bool IsWhitespace(uint32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

void AppendBertFolded(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  if (cp >= kHangulBase && cp < kHangulBase + kSCount) {
    const uint32_t s = cp - kHangulBase;
    AppendUtf8(kLBase + s / kNCount, out);
    AppendUtf8(kVBase + (s % kNCount) / kTCount, out);
    if (s % kTCount != 0) AppendUtf8(kTBase + s % kTCount, out);
    return;
  }
  if (ClassOf(cp) == CharClass::kMark) return;
  auto it = std::lower_bound(std::begin(kBertFold), std::end(kBertFold), cp,
                             [](const FoldEntry& e, uint32_t v) { return e.cp < v; });
  if (it != std::end(kBertFold) && it->cp == cp) {
    out->append(it->utf8);
  } else {
    AppendUtf8(cp, out);
  }
}

}  // namespace kiln::engine::tokenizer_internal
