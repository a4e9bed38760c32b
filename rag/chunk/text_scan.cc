#include "rag/chunk/text_scan.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/utf8.h"

namespace kiln::rag::chunk {
namespace {

bool Contains(std::u32string_view set, uint32_t cp) {
  return set.find(static_cast<char32_t>(cp)) != std::u32string_view::npos;
}

bool IsAsciiTerminal(uint32_t cp) { return cp == '.' || cp == '!' || cp == '?'; }
bool IsAsciiClause(uint32_t cp) { return cp == ',' || cp == ';' || cp == ':'; }
bool IsAsciiLower(uint32_t cp) { return cp >= 'a' && cp <= 'z'; }
bool IsAsciiUpper(uint32_t cp) { return cp >= 'A' && cp <= 'Z'; }
bool IsAsciiDigit(uint32_t cp) { return cp >= '0' && cp <= '9'; }
bool IsAsciiLetter(uint32_t cp) { return IsAsciiLower(cp) || IsAsciiUpper(cp); }

// Code points that extend the grapheme before them: combining marks,
// variation selectors, emoji skin tones, the keycap mark and ZWJ itself.
bool IsExtend(uint32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0x20E3 || cp == 0x200D ||
         (cp >= 0xE0020 && cp <= 0xE007F);  // emoji tag sequences
}
bool IsRegionalIndicator(uint32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    size_t next = pos;
    if (!IsSpace(DecodeUtf8(text, &next))) break;
    pos = next;
  }
  return pos;
}

// Past closing brackets and quotes that follow a sentence terminal. ASCII
// quotes look the same open or closed: a " closes when an odd number of them
// came before it in the text (`quotes`, updated), so in `个。" 百模大战 "`
// the quote opens the next sentence; a ' closes when a space or the end
// follows it.
size_t SkipClosersAfterTerminal(std::string_view text, size_t pos, int* quotes) {
  while (pos < text.size()) {
    size_t next = pos;
    const uint32_t cp = DecodeUtf8(text, &next);
    if (cp == '"' && *quotes % 2 == 1) {
      ++*quotes;
    } else if (cp == '\'') {
      if (next < text.size() && !IsSpace(CodePointAt(text, next))) break;
    } else if (!IsClosing(cp)) {
      break;
    }
    pos = next;
  }
  return pos;
}

// Whether the period at `dot` follows a word that rarely ends a sentence: an
// initial, a title, "e.g", or a list number alone at a line start.
bool IsAbbreviationBefore(std::string_view text, size_t dot) {
  static constexpr std::array<std::string_view, 14> kAbbreviations = {
      "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "vs", "Fig", "cf", "e.g", "i.e", "al"};
  size_t begin = dot;
  while (begin > 0 && (IsAsciiLetter(text[begin - 1]) || text[begin - 1] == '.')) --begin;
  const std::string_view word = text.substr(begin, dot - begin);
  if (word.size() == 1 && IsAsciiUpper(word[0])) return true;
  if (std::find(kAbbreviations.begin(), kAbbreviations.end(), word) != kAbbreviations.end()) {
    return true;
  }
  if (!word.empty()) return false;
  while (begin > 0 && IsAsciiDigit(text[begin - 1])) --begin;
  const size_t digits = dot - begin;
  if (digits == 0 || digits > 3) return false;
  while (begin > 0 && (text[begin - 1] == ' ' || text[begin - 1] == '\t')) --begin;
  return begin == 0 || text[begin - 1] == '\n';
}

// Decides whether an ASCII terminal run [mark, end) (closers included) ends
// a sentence.
bool IsAsciiSentenceEnd(std::string_view text, size_t mark, size_t end, bool all_dots) {
  if (end >= text.size()) return true;
  const uint32_t next = CodePointAt(text, end);
  if (!IsSpace(next)) return IsWide(next);  // "3.14", "a.b" and "e.g." hold together
  if (!all_dots) return true;
  const size_t word = SkipSpace(text, end);
  if (word >= text.size()) return true;
  const uint32_t first = CodePointAt(text, word);
  if (IsAsciiLower(first) || IsAsciiDigit(first)) return false;
  return !IsAbbreviationBefore(text, mark);
}

}  // namespace

bool IsSpace(uint32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000;
}

bool IsCjkTerminal(uint32_t cp) { return Contains(U"。！？…．｡", cp); }

bool IsCjkClause(uint32_t cp) { return Contains(U"，、；：､", cp); }

bool IsClosing(uint32_t cp) { return Contains(U")]}’”〉》」』】〕〗〙〛）］｝｣", cp); }

bool IsNoStart(uint32_t cp) {
  return IsCjkTerminal(cp) || IsCjkClause(cp) || IsClosing(cp) || IsAsciiTerminal(cp) ||
         IsAsciiClause(cp);
}

bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) ||    // Hangul jamo
         (cp >= 0x2600 && cp <= 0x27BF) ||    // symbols and dingbats (emoji)
         (cp >= 0x2E80 && cp <= 0xA4CF) ||    // CJK radicals, punctuation, kana, ideographs, Yi
         (cp >= 0xAC00 && cp <= 0xD7AF) ||    // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK compatibility ideographs
         (cp >= 0xFE30 && cp <= 0xFE4F) ||    // CJK compatibility forms
         (cp >= 0xFF00 && cp <= 0xFFEF) ||    // fullwidth forms
         (cp >= 0x1F000 && cp <= 0x1FAFF) ||  // emoji
         (cp >= 0x20000 && cp <= 0x3FFFF);    // CJK extensions B..
}

uint32_t CodePointAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return kReplacementChar;
  return DecodeUtf8(text, &pos);
}

std::string_view TrimSpace(std::string_view text) {
  const size_t begin = SkipSpace(text, 0);
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;  // back to the lead byte of the last code point
    while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80 && end - start < 4) {
      --start;
    }
    if (!IsSpace(CodePointAt(text, start))) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::vector<size_t> FindParagraphCuts(std::string_view text) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while ((pos = text.find('\n', pos)) != std::string_view::npos) {
    size_t end = pos;
    int newlines = 0;
    while (end < text.size()) {
      size_t next = end;
      const uint32_t cp = DecodeUtf8(text, &next);
      if (!IsSpace(cp)) break;
      newlines += cp == '\n' ? 1 : 0;
      end = next;
    }
    if (newlines >= 2) cuts.push_back(end);
    pos = end;
  }
  return cuts;
}

std::vector<size_t> FindLineCuts(std::string_view text) {
  std::vector<size_t> cuts;
  for (size_t pos = 0; (pos = text.find('\n', pos)) != std::string_view::npos;)
    cuts.push_back(++pos);
  return cuts;
}

std::vector<size_t> FindSentenceCuts(std::string_view text) {
  std::vector<size_t> cuts;
  int quotes = 0;  // ASCII double quotes seen so far
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t mark = pos;
    const uint32_t cp = DecodeUtf8(text, &pos);
    quotes += cp == '"' ? 1 : 0;
    bool cjk = IsCjkTerminal(cp);
    if (!cjk && !IsAsciiTerminal(cp)) continue;
    // The rest of a run such as "？！", "……", "?!" or "...".
    bool all_dots = cp == '.';
    while (pos < text.size()) {
      size_t next = pos;
      const uint32_t c = DecodeUtf8(text, &next);
      if (!IsCjkTerminal(c) && !IsAsciiTerminal(c)) break;
      cjk = cjk || IsCjkTerminal(c);
      all_dots = all_dots && c == '.';
      pos = next;
    }
    pos = SkipClosersAfterTerminal(text, pos, &quotes);
    if (cjk || IsAsciiSentenceEnd(text, mark, pos, all_dots)) cuts.push_back(pos);
  }
  return cuts;
}

std::vector<size_t> FindClauseCuts(std::string_view text) {
  std::vector<size_t> cuts;
  size_t pos = 0;
  while (pos < text.size()) {
    const uint32_t cp = DecodeUtf8(text, &pos);
    if (IsCjkClause(cp)) {
      cuts.push_back(pos);
    } else if (IsAsciiClause(cp)) {
      const uint32_t next = CodePointAt(text, pos);
      if (pos >= text.size() || IsSpace(next) || next >= 0x80) cuts.push_back(pos);
    }
  }
  return cuts;
}

std::vector<std::string_view> CutText(std::string_view text, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> pieces;
  size_t begin = 0;
  for (size_t cut : cuts) {
    while (cut < text.size()) {
      size_t next = cut;
      const uint32_t cp = DecodeUtf8(text, &next);
      if (!IsSpace(cp) && !IsNoStart(cp)) break;
      cut = next;
    }
    if (cut <= begin || cut >= text.size()) continue;
    // Only the first piece can be blank (text that starts with whitespace).
    if (begin == 0 && TrimSpace(text.substr(0, cut)).empty()) continue;
    pieces.push_back(text.substr(begin, cut - begin));
    begin = cut;
  }
  pieces.push_back(text.substr(begin));
  return pieces;
}

std::vector<std::string_view> SplitAtoms(std::string_view text, bool group_words) {
  std::vector<std::string_view> atoms;
  size_t begin = 0;
  bool has_content = false;  // the current atom holds a non-space code point
  bool in_space = false;     // the current atom has reached its trailing whitespace
  bool prev_wide = false, prev_zwj = false;
  bool open_flag = false;  // an odd regional indicator waits for its pair
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t at = pos;
    const uint32_t cp = DecodeUtf8(text, &pos);
    if (IsSpace(cp)) {
      in_space = has_content;
      prev_zwj = open_flag = false;
      continue;
    }
    const bool joins = IsExtend(cp) || prev_zwj || (open_flag && IsRegionalIndicator(cp));
    const bool wide = IsWide(cp);
    const bool breaks = has_content && !joins && (in_space || wide || prev_wide || !group_words);
    if (breaks) {
      atoms.push_back(text.substr(begin, at - begin));
      begin = at;
      in_space = false;
    }
    if (!joins) {
      prev_wide = wide;
      open_flag = IsRegionalIndicator(cp);
    } else if (IsRegionalIndicator(cp)) {
      open_flag = false;
    }
    prev_zwj = cp == 0x200D;
    has_content = true;
  }
  if (begin < text.size()) atoms.push_back(text.substr(begin));
  return atoms;
}

}  // namespace kiln::rag::chunk
