#include "engine/generate.h"

#include <algorithm>

#include "base/clock.h"

namespace kiln::engine {

size_t SafePrefixLength(std::string_view pending, const std::vector<std::string>& stop,
                        bool* stopped) {
  *stopped = false;
  size_t first = std::string_view::npos;
  for (const std::string& s : stop) {
    if (s.empty()) continue;
    size_t at = pending.find(s);
    if (at != std::string_view::npos) first = std::min(first, at);
  }
  if (first != std::string_view::npos) {
    *stopped = true;
    return first;
  }
  // Hold back the longest tail of `pending` that is a proper prefix of a stop string.
  size_t hold = 0;
  for (const std::string& s : stop) {
    if (s.empty()) continue;
    for (size_t len = std::min(s.size() - 1, pending.size()); len > hold; --len) {
      if (pending.substr(pending.size() - len) == std::string_view(s).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  return pending.size() - hold;
}

bool TextStream::Emit(size_t n, const TextCallback& emit) {
  if (n == 0) return true;
  const std::string_view piece(pending_.data(), n);
  text_ += piece;
  const bool go_on = !emit || emit(piece);
  pending_.erase(0, n);
  return go_on;
}

bool TextStream::Push(int32_t token, const TextCallback& emit, bool* stopped) {
  pending_ += decoder_.Push(token);
  const size_t safe = SafePrefixLength(pending_, stop_, stopped);
  const bool go_on = Emit(safe, emit);
  if (*stopped) pending_.clear();
  return go_on;
}

void TextStream::Finish(const TextCallback& emit) {
  pending_ += decoder_.Flush();
  Emit(pending_.size(), emit);
}

Status CheckPromptFits(int64_t n, int64_t n_ctx) {
  if (n < n_ctx) return Status::OK();
  return InvalidArgument("the prompt has " + std::to_string(n) + " tokens; the context holds " +
                             std::to_string(n_ctx) + ", with room needed for the answer",
                         "messages");
}

Result<GenerateResult> Generate(const Model& model, const Tokenizer& tokenizer,
                                std::span<const int32_t> prompt, const GenerateOptions& options,
                                const TextCallback& on_text) {
  if (!model.info().causal) {
    return FailedPrecondition(model.info().arch + " is an embedding model; it cannot generate");
  }
  KILN_RETURN_IF_ERROR(ValidateSamplingParams(options.sampling));
  if (options.max_tokens < 0) return InvalidArgument("max_tokens must be >= 0", "max_tokens");
  std::unique_ptr<KvCache> cache = model.NewCache(options.n_ctx);
  KILN_RETURN_IF_ERROR(CheckPromptFits(static_cast<int64_t>(prompt.size()), cache->n_ctx()));
  GenerateResult result;
  result.prompt_tokens = static_cast<int>(prompt.size());
  std::vector<float> logits(static_cast<size_t>(model.info().n_vocab));
  MonoClock::time_point start = MonoNow();
  KILN_RETURN_IF_ERROR(model.Decode(*cache, prompt, logits.data()));
  result.prefill_seconds = SecondsSince(start);
  start = MonoNow();

  Sampler sampler(options.sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  TextStream text(tokenizer, options.stop);
  result.finish_reason = "length";
  bool stopped = false;
  for (int i = 0; i < options.max_tokens; ++i) {
    int32_t token = sampler.Sample(logits, history);
    if (tokenizer.IsEndOfGeneration(token)) {
      result.finish_reason = "stop";
      break;
    }
    result.tokens.push_back(token);
    history.push_back(token);
    if (!text.Push(token, on_text, &stopped)) {
      result.finish_reason = "cancelled";
      break;
    }
    if (stopped) {
      result.finish_reason = "stop";
      break;
    }
    if (cache->size() >= cache->n_ctx()) break;  // context full: "length"
    if (i + 1 == options.max_tokens) break;      // no need to run the last token
    int32_t next[1] = {token};
    KILN_RETURN_IF_ERROR(model.Decode(*cache, next, logits.data()));
  }
  // The end of the stream shows what was held back (an end-of-generation
  // token, the length limit), but nothing after a stop string or a cancel.
  if (result.finish_reason != "cancelled" && !stopped) text.Finish(on_text);
  result.text = text.text();
  result.decode_seconds = SecondsSince(start);
  return result;
}

}  // namespace kiln::engine
