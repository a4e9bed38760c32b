// Tokenizer: text <-> token ids for the models Kiln runs, matching llama.cpp's
// tokenizers bit for bit (fixtures in tests/engine/tokenizer/fixtures).
//
//   byte-level BPE ("gpt2" in GGUF; SmolLM2), SentencePiece-style BPE by score
//   ("llama"; Gemma 3) and BERT WordPiece ("bert"; all-MiniLM-L6-v2).
//
// A Tokenizer is immutable after construction and safe to share between threads.
//
// Defined behaviour on awkward input:
//  - Encode never fails. Invalid UTF-8: BPE and WordPiece read each bad byte as
//    U+FFFD (as llama.cpp does); SPM passes it on as its <0xNN> byte token.
//  - Decode/TokenBytes: ids outside [0, n_vocab) are skipped (they add no bytes).
//    BPE and SPM decode to the exact bytes encoded (Decode(Encode(s)) == s for
//    valid UTF-8). WordPiece is lossy (lower-cased, accents and spacing lost):
//    pieces are joined with single spaces, "##" pieces glued on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/tokenizer/vocab.h"

namespace kiln::engine {

class GgufFile;
namespace tokenizer_internal {
class SpecialSplitter;
}  // namespace tokenizer_internal

class Tokenizer {
 public:
  // Dispatches on tokenizer.ggml.model ("gpt2", "llama", "bert"); anything
  // else is InvalidArgument naming the model.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  static Result<std::unique_ptr<Tokenizer>> FromVocab(Vocab vocab);
  virtual ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: BOS/EOS as the model asks (add_bos/add_eos); WordPiece: [CLS] ... [SEP].
  // parse_special: control-token texts inside `text` ("<|im_start|>") become
  // those tokens. User-defined tokens are always recognised, as in llama.cpp.
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes of `ids` concatenated. render_special=false drops control tokens.
  std::string Decode(const std::vector<int32_t>& ids, bool render_special = true) const;
  // The bytes one token adds to a decoded stream; `first` matters only for
  // WordPiece (no space before the first word).
  std::string TokenBytes(int32_t id, bool first = false, bool render_special = true) const;
  // The token's text as stored in the vocabulary ("Ġthe", "▁the", "<0x0A>"); "" if out of range.
  std::string TokenText(int32_t id) const;

  int32_t n_vocab() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  int32_t bos_id() const { return vocab_.bos; }
  int32_t eos_id() const { return vocab_.eos; }
  int32_t unk_id() const { return vocab_.unk; }
  TokenizerKind kind() const { return vocab_.kind; }
  const Vocab& vocab() const { return vocab_; }

  // True for eos, eot and the turn/stream enders llama.cpp recognises by name
  // (<|im_end|>, <end_of_turn>, <|endoftext|>, <|eot_id|>, ...).
  bool IsEndOfGeneration(int32_t id) const;
  TokenType TypeOf(int32_t id) const;

 protected:
  explicit Tokenizer(Vocab vocab);
  // Encodes text that holds no special tokens. `after_special`: the fragment
  // starts the text or follows a special token (SPM's space prefix).
  virtual void EncodeText(std::string_view text, bool after_special,
                          std::vector<int32_t>* out) const = 0;
  // Appends the bytes of a normal token.
  virtual void AppendNormalPiece(int32_t id, bool first, std::string* out) const = 0;
  // The id whose text is exactly `text`, or -1 (the last one wins on duplicates).
  int32_t Find(std::string_view text) const;

  Vocab vocab_;

 private:
  Status Init();

  // Views into vocab_.tokens, which never changes after construction.
  std::unordered_map<std::string_view, int32_t> text_to_id_;
  std::vector<int32_t> eog_ids_;  // sorted
  std::unique_ptr<tokenizer_internal::SpecialSplitter> splitter_;
};

}  // namespace kiln::engine
