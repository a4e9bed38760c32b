// One generation on a chat model's scheduler, waited for on the calling
// (agent) thread: the prompt rendered with the model's chat template,
// checked against the context, submitted (batched with every other live
// request), text passed on as it comes. Internal to agent/.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/sampling.h"
#include "engine/serve/served_models.h"
#include "storage/records.h"

namespace kiln::agent::internal {

struct GenerationRequest {
  std::vector<engine::ChatMessage> messages;
  engine::SamplingParams sampling;
  int max_tokens = 256;
  std::unique_ptr<engine::TokenConstraint> constraint;  // optional
  // Text as it comes; false stops the generation (the client went away).
  std::function<bool(std::string_view)> on_text;
};

// Waits for the completion. Its status is the engine's (InvalidArgument for
// a prompt past the context, ResourceExhausted for a full queue, ...).
engine::Completion Generate(const engine::ServedModels::Entry& model, GenerationRequest request);

// The sampling a bot's model_params ask for (seeded from `seed`).
engine::SamplingParams SamplingFor(const storage::ModelParams& params, uint64_t seed);

// A JSON answer under `schema` (compiled by engine/grammar; schemas it cannot
// enforce fall back to any JSON object). Greedy, at most `max_tokens`.
Result<nlohmann::json> GenerateJson(const engine::ServedModels::Entry& model,
                                    std::vector<engine::ChatMessage> messages,
                                    const nlohmann::ordered_json& schema, int max_tokens);

}  // namespace kiln::agent::internal
