// Byte-level BPE (GGUF "gpt2"): GPT-2's byte-to-unicode mapping, a
// pre-tokenizer chosen by tokenizer.ggml.pre, then ranked merges per word.
// Matches llama.cpp's llm_tokenizer_bpe. Immutable after Create; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine::tokenizer_internal {

class BpeTokenizer final : public Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> Create(Vocab vocab);
  explicit BpeTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {}

 protected:
  void EncodeText(std::string_view text, bool after_special,
                  std::vector<int32_t>* out) const override;
  void AppendNormalPiece(int32_t id, bool first, std::string* out) const override;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol id of the merged text
  };
  Status BuildMerges();
  // Symbol ids: vocabulary ids, then ids >= n_vocab for texts a merge names
  // that are not tokens themselves (llama.cpp keys merges by text, not id).
  int32_t SymbolId(const std::string& text);
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;
  void EmitSymbol(int32_t symbol, std::vector<int32_t>* out) const;

  bool split_digits_ = false;                   // pre-tokenizer isolates every \p{N}
  std::unordered_map<uint64_t, Merge> merges_;  // (left << 32 | right) -> merge
  std::unordered_map<std::string, int32_t> extra_ids_;
  std::vector<std::string> extra_texts_;  // [symbol id - n_vocab]
  int32_t byte_symbol_[256] = {};         // symbol of each byte's mapped character
  std::string byte_char_[256];            // GPT-2 byte -> UTF-8 of its stand-in character
  std::unordered_map<uint32_t, uint8_t> char_to_byte_;
};

}  // namespace kiln::engine::tokenizer_internal
