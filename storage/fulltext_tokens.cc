#include "storage/fulltext_tokens.h"

#include <cstdint>

#include "base/utf8.h"

namespace kiln::storage {
namespace {

// A letter or digit outside CJK: ASCII alnum, and any non-ASCII code point
// that is not punctuation or a symbol of the common blocks.
bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) {
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  }
  if (cp == kReplacementChar || IsCjkCodePoint(cp)) return false;
  if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;  // Latin-1 letters only
  if (cp == 0xD7 || cp == 0xF7) return false;                    // x and / signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;                // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;                // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;                // CJK compatibility forms
  if (cp >= 0xFF00 && cp <= 0xFFEF) {  // full-width forms: letters and digits
    return (cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
           (cp >= 0xFF41 && cp <= 0xFF5A);
  }
  return true;
}

// Lower case (the common alphabets) and full-width letters/digits as ASCII.
uint32_t Fold(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 0x20;
  if (cp >= 0xFF10 && cp <= 0xFF19) return cp - 0xFF10 + '0';
  if (cp >= 0xFF21 && cp <= 0xFF3A) return cp - 0xFF21 + 'a';
  if (cp >= 0xFF41 && cp <= 0xFF5A) return cp - 0xFF41 + 'a';
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;     // Latin-1
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;  // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                 // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

bool EndsWith(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Harman's S-stemmer on an all-ASCII lower-case word of four letters or more.
void FoldPlural(std::string* w) {
  if (w->size() < 4) return;
  for (char c : *w) {
    if (c < 'a' || c > 'z') return;
  }
  if (EndsWith(*w, "ies") && !EndsWith(*w, "eies") && !EndsWith(*w, "aies")) {
    w->replace(w->size() - 3, 3, "y");
  } else if (EndsWith(*w, "es") && !EndsWith(*w, "aes") && !EndsWith(*w, "ees") &&
             !EndsWith(*w, "oes")) {
    w->pop_back();
  } else if (EndsWith(*w, "s") && !EndsWith(*w, "us") && !EndsWith(*w, "ss")) {
    w->pop_back();
  }
}

}  // namespace

bool IsCjkCodePoint(uint32_t cp) {
  return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F) ||
         (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
         (cp >= 0x3100 && cp <= 0x312F);
}

void ForEachFullTextToken(std::string_view text,
                          const std::function<void(const FullTextToken&)>& fn) {
  FullTextToken token;
  // The CJK run so far: its length and the previous character.
  size_t run_length = 0, prev_begin = 0;
  std::string prev;
  // The word so far (in token.text from token.begin to word_end).
  bool in_word = false;
  size_t word_end = 0;
  auto end_word = [&]() {
    if (!in_word) return;
    in_word = false;
    FoldPlural(&token.text);
    token.end = word_end;
    token.kind = TokenKind::kWord;
    fn(token);
  };
  auto end_run = [&]() {
    if (run_length == 1) {
      token.text = prev;
      token.begin = prev_begin;
      token.end = prev_begin + prev.size();
      token.kind = TokenKind::kCjkSingle;
      fn(token);
    }
    run_length = 0;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t begin = pos;
    // Invalid bytes decode to U+FFFD, which is neither CJK nor a letter.
    const uint32_t cp = DecodeUtf8(text, &pos);
    if (IsCjkCodePoint(cp)) {
      end_word();
      std::string current(text.substr(begin, pos - begin));
      if (run_length > 0) {
        token.text = prev + current;
        token.begin = prev_begin;
        token.end = pos;
        token.kind = TokenKind::kCjkPair;
        fn(token);
      }
      prev = std::move(current);
      prev_begin = begin;
      ++run_length;
      continue;
    }
    end_run();
    if (!IsWordCodePoint(cp)) {
      end_word();
      continue;
    }
    if (!in_word) {
      in_word = true;
      token.text.clear();
      token.begin = begin;
    }
    std::string folded;
    AppendUtf8(Fold(cp), &folded);
    if (token.text.size() + folded.size() <= kMaxWordBytes) token.text += folded;
    word_end = pos;
  }
  end_run();
  end_word();
}

}  // namespace kiln::storage
