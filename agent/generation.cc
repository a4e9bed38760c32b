#include "agent/internal/generation.h"

#include <future>

#include "engine/generate.h"
#include "engine/grammar/json_schema.h"
#include "engine/grammar/token_constraint.h"

namespace kiln::agent::internal {

engine::Completion Generate(const engine::ServedModels::Entry& model, GenerationRequest request) {
  engine::Completion failed;
  Result<std::vector<int32_t>> prompt = model.model->EncodeChat(request.messages, true);
  if (!prompt.ok()) {
    failed.status = prompt.status();
    return failed;
  }
  const int64_t n_ctx = model.scheduler->options().n_ctx;
  if (Status fits = engine::CheckPromptFits(static_cast<int64_t>(prompt->size()), n_ctx);
      !fits.ok()) {
    failed.status = fits;
    return failed;
  }
  engine::ServeRequest req;
  req.prompt = std::move(prompt).value();
  req.sampling = request.sampling;
  req.max_tokens = static_cast<int>(
      std::min<int64_t>(request.max_tokens, n_ctx - static_cast<int64_t>(req.prompt.size())));
  req.constraint = std::move(request.constraint);
  req.on_text = std::move(request.on_text);
  auto done = std::make_shared<std::promise<engine::Completion>>();
  std::future<engine::Completion> result = done->get_future();
  req.on_done = [done](engine::Completion c) { done->set_value(std::move(c)); };
  Result<uint64_t> id = model.scheduler->Submit(std::move(req));
  if (!id.ok()) {
    failed.status = id.status();
    return failed;
  }
  return result.get();
}

engine::SamplingParams SamplingFor(const storage::ModelParams& params, uint64_t seed) {
  engine::SamplingParams s;
  s.temperature = static_cast<float>(params.temperature);
  s.top_p = static_cast<float>(params.top_p);
  s.top_k = params.top_k;
  s.min_p = 0;
  s.presence_penalty = static_cast<float>(params.presence_penalty);
  s.frequency_penalty = static_cast<float>(params.frequency_penalty);
  s.seed = seed;
  return s;
}

Result<nlohmann::json> GenerateJson(const engine::ServedModels::Entry& model,
                                    std::vector<engine::ChatMessage> messages,
                                    const nlohmann::ordered_json& schema, int max_tokens) {
  Result<std::shared_ptr<const engine::JsonGrammar>> grammar = engine::JsonGrammar::Compile(schema);
  GenerationRequest request;
  request.messages = std::move(messages);
  request.sampling.temperature = 0;  // a decision, not prose: the most likely one
  request.max_tokens = max_tokens;
  request.constraint = std::make_unique<engine::JsonTokenConstraint>(
      model.vocab, grammar.ok() ? *grammar : engine::JsonGrammar::AnyObject(), /*lazy=*/false);
  engine::Completion c = Generate(model, std::move(request));
  if (!c.status.ok()) return c.status;
  nlohmann::json parsed = nlohmann::json::parse(c.text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Unavailable("the model's JSON was cut short after " + std::to_string(c.tokens.size()) +
                       " tokens");
  }
  return parsed;
}

}  // namespace kiln::agent::internal
