// SentencePiece-style BPE (GGUF "llama"; Gemma): spaces become U+2581, then
// adjacent symbols merge greedily by the score of the merged token; pieces
// that are no token fall back to <0xNN> byte tokens. Matches llama.cpp's
// llm_tokenizer_spm. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine::tokenizer_internal {

class SpmTokenizer final : public Tokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

 protected:
  void EncodeText(std::string_view text, bool after_special,
                  std::vector<int32_t>* out) const override;
  void AppendNormalPiece(int32_t id, bool first, std::string* out) const override;

 private:
  int32_t ByteToken(uint8_t byte) const;
};

}  // namespace kiln::engine::tokenizer_internal
