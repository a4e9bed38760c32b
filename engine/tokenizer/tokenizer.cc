#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <utility>

#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/internal/bpe_tokenizer.h"
#include "engine/tokenizer/internal/special_splitter.h"
#include "engine/tokenizer/internal/spm_tokenizer.h"
#include "engine/tokenizer/internal/wordpiece_tokenizer.h"

namespace kiln::engine {
namespace {

// Token texts that end a turn or a stream, as llama.cpp lists them.
constexpr std::array<std::string_view, 12> kEndOfGenerationTexts = {
    "<|eot_id|>", "<|im_end|>",    "<|end|>",         "<|return|>",
    "<|call|>",   "<end_of_turn>", "<|endoftext|>",   "<|eom_id|>",
    "<EOT>",      "_<EOT>",        "<|end_of_text|>", "<end_of_utterance>"};

Status CheckId(int32_t id, size_t n, std::string_view what) {
  if (id < -1 || id >= static_cast<int64_t>(n)) {
    return InvalidArgument("tokenizer: " + std::string(what) + " id " + std::to_string(id) +
                           " is outside the vocabulary of " + std::to_string(n));
  }
  return Status::OK();
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  KILN_ASSIGN_OR_RETURN(Vocab vocab, VocabFromGguf(file));
  return FromVocab(std::move(vocab));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromVocab(Vocab vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return InvalidArgument("tokenizer: empty vocabulary");
  if (n > static_cast<size_t>(INT32_MAX)) return InvalidArgument("tokenizer: vocabulary too large");
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return InvalidArgument("tokenizer: " + std::to_string(vocab.scores.size()) + " scores for " +
                           std::to_string(n) + " tokens");
  }
  if (!vocab.types.empty() && vocab.types.size() != n) {
    return InvalidArgument("tokenizer: " + std::to_string(vocab.types.size()) +
                           " token types for " + std::to_string(n) + " tokens");
  }
  for (auto [id, what] : {std::pair{vocab.bos, "bos"},
                          {vocab.eos, "eos"},
                          {vocab.unk, "unknown"},
                          {vocab.sep, "separator"},
                          {vocab.cls, "cls"},
                          {vocab.pad, "padding"},
                          {vocab.mask, "mask"},
                          {vocab.eot, "eot"}}) {
    KILN_RETURN_IF_ERROR(CheckId(id, n, what));
  }
  std::unique_ptr<Tokenizer> tok;
  switch (vocab.kind) {
    case TokenizerKind::kBpe: {
      KILN_ASSIGN_OR_RETURN(tok, tokenizer_internal::BpeTokenizer::Create(std::move(vocab)));
      break;
    }
    case TokenizerKind::kSpm:
      tok = std::make_unique<tokenizer_internal::SpmTokenizer>(std::move(vocab));
      break;
    case TokenizerKind::kWordPiece:
      tok = std::make_unique<tokenizer_internal::WordPieceTokenizer>(std::move(vocab));
      break;
  }
  KILN_RETURN_IF_ERROR(tok->Init());
  return tok;
}

Status Tokenizer::Init() {
  text_to_id_.reserve(vocab_.tokens.size());
  for (size_t i = 0; i < vocab_.tokens.size(); ++i) {
    text_to_id_[vocab_.tokens[i]] = static_cast<int32_t>(i);  // the last duplicate wins
  }
  splitter_ = std::make_unique<tokenizer_internal::SpecialSplitter>(vocab_);
  for (std::string_view text : kEndOfGenerationTexts) {
    const int32_t id = Find(text);
    if (id >= 0) eog_ids_.push_back(id);
  }
  if (vocab_.eos >= 0) eog_ids_.push_back(vocab_.eos);
  if (vocab_.eot >= 0) eog_ids_.push_back(vocab_.eot);
  std::sort(eog_ids_.begin(), eog_ids_.end());
  eog_ids_.erase(std::unique(eog_ids_.begin(), eog_ids_.end()), eog_ids_.end());
  return Status::OK();
}

int32_t Tokenizer::Find(std::string_view text) const {
  auto it = text_to_id_.find(text);
  return it == text_to_id_.end() ? -1 : it->second;
}

TokenType Tokenizer::TypeOf(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return TokenType::kUndefined;
  return vocab_.types.empty() ? TokenType::kNormal : vocab_.types[id];
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  const bool wordpiece = vocab_.kind == TokenizerKind::kWordPiece;
  // WordPiece always frames with [CLS] ... [SEP], as BERT and llama.cpp do.
  const int32_t first =
      wordpiece ? (vocab_.cls >= 0 ? vocab_.cls : vocab_.bos) : (vocab_.add_bos ? vocab_.bos : -1);
  const int32_t last =
      wordpiece ? (vocab_.sep >= 0 ? vocab_.sep : vocab_.eos) : (vocab_.add_eos ? vocab_.eos : -1);
  if (add_special && first >= 0) out.push_back(first);
  bool after_special = true;
  for (const auto& fragment : splitter_->Split(text, parse_special)) {
    if (fragment.token >= 0) {
      out.push_back(fragment.token);
      after_special = true;
    } else {
      EncodeText(fragment.text, after_special, &out);
      after_special = false;
    }
  }
  if (add_special && last >= 0) out.push_back(last);
  return out;
}

std::string Tokenizer::TokenBytes(int32_t id, bool first, bool render_special) const {
  std::string out;
  switch (TypeOf(id)) {
    case TokenType::kUndefined:  // also: out of range
    case TokenType::kUnused:
      break;
    case TokenType::kControl:
    case TokenType::kUnknown:
      if (!render_special) break;
      if (vocab_.kind == TokenizerKind::kWordPiece && !first) out = " ";
      out += vocab_.tokens[id];
      break;
    case TokenType::kUserDefined:
      out = vocab_.tokens[id];
      break;
    case TokenType::kNormal:
    case TokenType::kByte:
      AppendNormalPiece(id, first, &out);
      break;
  }
  return out;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string out;
  bool first = true;
  for (int32_t id : ids) {
    std::string piece = TokenBytes(id, first, render_special);
    if (!piece.empty()) first = false;
    out += piece;
  }
  return out;
}

std::string Tokenizer::TokenText(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return {};
  return vocab_.tokens[id];
}

}  // namespace kiln::engine
