// One turn of a bot (agent.h's Run), split out of agent.cc: the state a
// turn carries and the steps it goes through. Internal to agent/.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/prompt.h"
#include "agent/tool_catalog.h"
#include "agent/tool_router.h"

namespace kiln::agent::internal {

struct TurnDeps {
  const AgentOptions& options;
  ToolCatalog& catalog;
  ToolRouter& router;
};

// Runs the turn to its end, reporting through `sink` (an error event on
// failure; nothing stored then).
void RunTurn(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
             const EventSink& sink);

// What a turn has gathered so far.
struct TurnState {
  std::chrono::steady_clock::time_point start;
  const engine::ServedModels::Entry* model = nullptr;
  std::string conversation_id;
  std::string user_id;
  std::map<std::string, std::string> values;  // variables: defaults < memory < this turn's
  std::vector<engine::ChatMessage> history;
  std::vector<Passage> passages;
  nlohmann::json knowledge = nlohmann::json::array();  // the chunks, as the event shows them
  std::vector<ToolOutcome> outcomes;
  nlohmann::json tool_calls = nlohmann::json::array();  // trace: call, result, duration
  int prompt_tokens = 0, completion_tokens = 0;
  double first_token_ms = -1;
  bool cancelled = false;  // the sink refused an event
};

// Calls the tools the router picks for the message (at most
// config.max_tool_steps), each with arguments the model writes under the
// tool's schema, and records the outcomes (tool_call / tool_result events).
void RunTools(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
              const plugins::ToolList& tools, TurnState& state, const EventSink& sink);

// The schema the model writes a tool's arguments under: the tool's own with
// every string given a maxLength (so that decoding always ends) and
// keywords the grammar cannot enforce removed; any object when it is not
// an object schema.
nlohmann::ordered_json ArgumentSchema(const nlohmann::json& parameters);

}  // namespace kiln::agent::internal
