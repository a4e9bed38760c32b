#include "engine/generate.h"

#include <algorithm>

#include "base/clock.h"
#include "engine/tokenizer/stream_decoder.h"

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
    for (size_t len = std::min(s.size() - 1, pending.size()); len > hold; --len) {
      if (pending.substr(pending.size() - len) == std::string_view(s).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  return pending.size() - hold;
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
  if (static_cast<int64_t>(prompt.size()) >= cache->n_ctx()) {
    return InvalidArgument("the prompt has " + std::to_string(prompt.size()) +
                           " tokens; the context holds " + std::to_string(cache->n_ctx()) +
                           ", with room needed for the answer");
  }
  GenerateResult result;
  result.prompt_tokens = static_cast<int>(prompt.size());
  std::vector<float> logits(static_cast<size_t>(model.info().n_vocab));
  MonoClock::time_point start = MonoNow();
  KILN_RETURN_IF_ERROR(model.Decode(*cache, prompt, logits.data()));
  result.prefill_seconds = SecondsSince(start);
  start = MonoNow();

  Sampler sampler(options.sampling);
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  // Control tokens the model emits mid-answer are not shown to readers.
  StreamDecoder decoder(tokenizer, /*render_special=*/false);
  std::string pending;  // decoded text not yet shown
  result.finish_reason = "length";
  auto emit = [&](size_t n) {
    if (n == 0) return true;
    std::string_view piece(pending.data(), n);
    result.text += piece;
    bool go_on = !on_text || on_text(piece);
    pending.erase(0, n);
    return go_on;
  };
  for (int i = 0; i < options.max_tokens; ++i) {
    int32_t token = sampler.Sample(logits, history);
    if (tokenizer.IsEndOfGeneration(token)) {
      result.finish_reason = "stop";
      break;
    }
    result.tokens.push_back(token);
    history.push_back(token);
    pending += decoder.Push(token);
    bool stopped = false;
    size_t safe = SafePrefixLength(pending, options.stop, &stopped);
    if (!emit(safe)) {
      result.finish_reason = "cancelled";
      break;
    }
    if (stopped) {
      result.finish_reason = "stop";
      pending.clear();
      break;
    }
    if (cache->size() >= cache->n_ctx()) break;  // context full: "length"
    if (i + 1 == options.max_tokens) break;      // no need to run the last token
    int32_t next[1] = {token};
    KILN_RETURN_IF_ERROR(model.Decode(*cache, next, logits.data()));
  }
  if (result.finish_reason != "cancelled" && result.finish_reason != "stop") {
    pending += decoder.Flush();
    emit(pending.size());
  } else if (result.finish_reason == "stop" && !pending.empty()) {
    // An end-of-generation token: show what was held back for a stop string.
    pending += decoder.Flush();
    emit(pending.size());
  }
  result.decode_seconds = SecondsSince(start);
  return result;
}

}  // namespace kiln::engine
