// Vocab: everything a tokenizer needs to know about a model's vocabulary, as
// plain data. Read from a GGUF file's tokenizer.ggml.* metadata by
// VocabFromGguf, or filled in directly (tests build one from vocab.txt).
//
// A value type; Tokenizer::FromVocab takes it by value and validates it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::engine {

class GgufFile;

// tokenizer.ggml.model
enum class TokenizerKind {
  kBpe,        // "gpt2": byte-level BPE with ranked merges
  kSpm,        // "llama": SentencePiece-style BPE by token score, <0xNN> byte fallback
  kWordPiece,  // "bert": BERT WordPiece with "##" continuations
};

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct Vocab {
  TokenizerKind kind = TokenizerKind::kBpe;
  std::string pre = "default";      // tokenizer.ggml.pre: the pre-tokenizer's name
  std::vector<std::string> tokens;  // [n_vocab] token texts
  std::vector<float> scores;        // [n_vocab] or empty (SPM merge priority)
  std::vector<TokenType> types;     // [n_vocab] or empty (all kNormal)
  std::vector<std::string> merges;  // BPE only: "left right", best first

  // Special ids; -1 when the model has none.
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t unk = -1;
  int32_t sep = -1;
  int32_t cls = -1;
  int32_t pad = -1;
  int32_t mask = -1;
  int32_t eot = -1;

  bool add_bos = false;           // Encode(add_special=true) prepends bos
  bool add_eos = false;           // ... and appends eos
  bool add_space_prefix = false;  // SPM: a space before text that starts a fragment
};

// Reads tokenizer.ggml.* from `file`. Fails with InvalidArgument naming the key
// when a required key is missing, arrays disagree in length, or an id is out of range.
Result<Vocab> VocabFromGguf(const GgufFile& file);

// Parses a BERT vocab.txt (one token per line, id = line number) into a
// WordPiece Vocab with [CLS]/[SEP]/[UNK]/[PAD]/[MASK] found by name and typed kControl.
Result<Vocab> WordPieceVocabFromText(std::string_view vocab_txt);

}  // namespace kiln::engine
