// BERT WordPiece (GGUF "bert"; all-MiniLM-L6-v2), as Hugging Face's
// BertNormalizer + BertPreTokenizer + WordPiece: drop control characters,
// space out CJK ideographs, strip accents, lower-case, split on whitespace and
// punctuation, then greedy longest-match pieces with "##" continuations; a word
// with an unmatched rest, or over 100 characters, becomes [UNK].
// Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine::tokenizer_internal {

// The normalized words of `text` (exposed for tests).
std::vector<std::string> BertPreTokenize(std::string_view text);

class WordPieceTokenizer final : public Tokenizer {
 public:
  explicit WordPieceTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {}

 protected:
  void EncodeText(std::string_view text, bool after_special,
                  std::vector<int32_t>* out) const override;
  void AppendNormalPiece(int32_t id, bool first, std::string* out) const override;

 private:
  void EncodeWord(const std::string& word, std::vector<int32_t>* out) const;
};

}  // namespace kiln::engine::tokenizer_internal
