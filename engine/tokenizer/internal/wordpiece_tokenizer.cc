#include "engine/tokenizer/internal/wordpiece_tokenizer.h"

#include "engine/tokenizer/internal/unicode.h"

namespace kiln::engine::tokenizer_internal {
namespace {

constexpr size_t kMaxCharsPerWord = 100;
constexpr std::string_view kContinuation = "##";

// CJK ideograph blocks, as Hugging Face's is_chinese_char lists them.
bool IsCjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool IsPunctuation(uint32_t c) {
  const bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
                     (c >= 123 && c <= 126);
  return ascii || ClassOf(c) == CharClass::kPunct;
}

}  // namespace

std::vector<std::string> BertPreTokenize(std::string_view text) {
  // Normalize: each input character becomes nothing, a space, or its folded form,
  // with punctuation and CJK ideographs set apart as words of their own.
  std::vector<std::string> words;
  std::string current;
  const auto finish = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t c = DecodeUtf8(text, &pos);
    const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
    if (c == 0 || c == kReplacementChar || (!tab_or_newline && ClassOf(c) == CharClass::kControl)) {
      continue;  // clean_text drops these
    }
    if (tab_or_newline || IsWhitespace(c)) {
      finish();
      continue;
    }
    if (IsCjk(c) || IsPunctuation(c)) {
      finish();
      AppendUtf8(c, &current);
      finish();
      continue;
    }
    // Folding can expand to several characters; none are spaces or punctuation
    // that would split further except in exotic compatibility cases we accept.
    AppendBertFolded(c, &current);
  }
  finish();
  return words;
}

void WordPieceTokenizer::EncodeText(std::string_view text, bool /*after_special*/,
                                    std::vector<int32_t>* out) const {
  for (const std::string& word : BertPreTokenize(text)) EncodeWord(word, out);
}

void WordPieceTokenizer::EncodeWord(const std::string& word, std::vector<int32_t>* out) const {
  // Character boundaries of the word, in bytes.
  std::vector<size_t> bounds;
  for (size_t pos = 0; pos < word.size();) {
    bounds.push_back(pos);
    DecodeUtf8(word, &pos);
  }
  bounds.push_back(word.size());
  const size_t n_chars = bounds.size() - 1;
  if (n_chars > kMaxCharsPerWord) {
    if (vocab_.unk >= 0) out->push_back(vocab_.unk);
    return;
  }
  const size_t mark = out->size();
  std::string piece;
  for (size_t start = 0; start < n_chars;) {
    int32_t found = -1;
    size_t end = n_chars;
    for (; end > start; --end) {
      piece.assign(start > 0 ? kContinuation : "");
      piece.append(word, bounds[start], bounds[end] - bounds[start]);
      found = Find(piece);
      if (found >= 0) break;
    }
    if (found < 0) {
      out->resize(mark);
      if (vocab_.unk >= 0) out->push_back(vocab_.unk);
      return;
    }
    out->push_back(found);
    start = end;
  }
}

void WordPieceTokenizer::AppendNormalPiece(int32_t id, bool first, std::string* out) const {
  std::string_view text = vocab_.tokens[id];
  if (text.starts_with(kContinuation)) {
    if (!first) text.remove_prefix(kContinuation.size());
  } else if (!first) {
    out->push_back(' ');
  }
  out->append(text);
}

}  // namespace kiln::engine::tokenizer_internal
