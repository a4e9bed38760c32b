// Small hand-made vocabularies for tests that need no model files.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine::testing {

inline int32_t IdOf(const Tokenizer& tok, const std::string& text) {
  for (int32_t i = 0; i < tok.n_vocab(); ++i) {
    if (tok.TokenText(i) == text) return i;
  }
  return -1;
}

// Byte-level BPE over a, b, c, "Ġ" (space) and digits, with a control token.
inline Vocab TinyBpeVocab(std::vector<std::string> merges) {
  Vocab v;
  v.kind = TokenizerKind::kBpe;
  v.pre = "smollm";
  v.tokens = {"<|endoftext|>", "<|im_end|>", "a",   "b", "c", "Ġ", "ab", "bc",
              "abc",           "Ġa",         "Ġab", "1", "2"};
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  v.types[0] = v.types[1] = TokenType::kControl;
  v.merges = std::move(merges);
  v.eos = 0;
  return v;
}

// SentencePiece-style: <unk>, <s>, </s>, the 256 byte tokens, then pieces with scores.
inline Vocab TinySpmVocab() {
  Vocab v;
  v.kind = TokenizerKind::kSpm;
  v.tokens = {"<unk>", "<s>", "</s>", "<start_of_turn>", "<end_of_turn>"};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kControl,
             TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    v.tokens.push_back(name);
    v.types.push_back(TokenType::kByte);
  }
  const std::vector<std::pair<std::string, float>> pieces = {
      {"\xE2\x96\x81", -1}, {"h", -2},  {"e", -2},   {"l", -2},     {"o", -2},
      {"he", -3},           {"ll", -3}, {"llo", -4}, {"hello", -5}, {"\xE2\x96\x81hello", -6},
      {"<t>", -1}};
  v.scores.assign(v.tokens.size(), 0.0f);
  for (const auto& [text, score] : pieces) {
    v.tokens.push_back(text);
    v.scores.push_back(score);
    v.types.push_back(text == "<t>" ? TokenType::kUserDefined : TokenType::kNormal);
  }
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  return v;
}

inline std::unique_ptr<Tokenizer> Make(Vocab v) {
  auto tok = Tokenizer::FromVocab(std::move(v));
  return tok.ok() ? std::move(tok).value() : nullptr;
}

}  // namespace kiln::engine::testing
