// Generate: runs a decoder model on a prompt and samples a continuation,
// streaming text as it is produced.
//
// Text goes to `on_text` in pieces that never split a UTF-8 character and
// never show any part of a stop string (a tail that might begin one is held
// back until it is clear). Generation ends at an end-of-generation token, a
// stop string, `max_tokens`, the end of the context, or when `on_text`
// returns false (cancelled). Runs on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/model/model.h"
#include "engine/sampling.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/tokenizer.h"

namespace kiln::engine {

struct GenerateOptions {
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::string> stop;  // stop strings; not included in the output
  int64_t n_ctx = 4096;           // context size of the sequence's cache
};

struct GenerateResult {
  std::vector<int32_t> tokens;  // generated tokens, the stopping one excluded
  std::string text;             // what was streamed, all of it
  std::string finish_reason;    // "stop", "length" or "cancelled"
  int prompt_tokens = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

using TextCallback = std::function<bool(std::string_view piece)>;

Result<GenerateResult> Generate(const Model& model, const Tokenizer& tokenizer,
                                std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TextCallback& on_text = nullptr);

// The text of a stream of generated tokens, as readers may see it: never a
// split UTF-8 character, never any part of a stop string (a tail that might
// begin one is held back until it is clear), control tokens left out. Used by
// Generate and by the serving scheduler. Not thread-safe.
class TextStream {
 public:
  // `stop` must outlive the stream.
  TextStream(const Tokenizer& tokenizer, const std::vector<std::string>& stop)
      : decoder_(tokenizer, /*render_special=*/false), stop_(stop) {}

  // Adds a token's text and emits what can be shown now (emit may be null).
  // Returns false when emit asked to stop (cancelled); sets *stopped when a
  // stop string completed: nothing from it on is ever shown.
  bool Push(int32_t token, const TextCallback& emit, bool* stopped);
  // The end of the stream (not after a stop string or a cancellation): emits
  // what was held back, an incomplete character as U+FFFD.
  void Finish(const TextCallback& emit);
  // Everything emitted so far.
  const std::string& text() const { return text_; }

 private:
  bool Emit(size_t n, const TextCallback& emit);

  StreamDecoder decoder_;
  const std::vector<std::string>& stop_;
  std::string pending_;  // decoded, not yet shown
  std::string text_;
};

// InvalidArgument unless a prompt of n tokens leaves room for an answer in a
// context of n_ctx tokens.
Status CheckPromptFits(int64_t n, int64_t n_ctx);

// The part of `pending` that can be shown now: everything before the first
// stop string (sets *stopped), or else everything except a tail that could
// still grow into one. Exposed for tests.
size_t SafePrefixLength(std::string_view pending, const std::vector<std::string>& stop,
                        bool* stopped);

}  // namespace kiln::engine
