// A turn's tool calls (internal/turn.h: RunTools): routing, arguments
// written by the model under the tool's schema, the call, its outcome.
#include <chrono>

#include "agent/internal/generation.h"
#include "agent/internal/turn.h"
#include "base/json_schema.h"
#include "base/random.h"

namespace kiln::agent::internal {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kMaxStringLength = 200;  // what the model may write into one string argument
constexpr int kArgumentTokens = 160;

// The keywords engine/grammar enforces; the rest are dropped from the
// decoding schema (the call is still validated against the tool's own).
bool Enforced(const std::string& key) {
  static const char* kKeep[] = {"type",
                                "properties",
                                "required",
                                "items",
                                "enum",
                                "const",
                                "minItems",
                                "maxItems",
                                "minLength",
                                "maxLength",
                                "anyOf",
                                "oneOf",
                                "additionalProperties",
                                "description"};
  for (const char* k : kKeep) {
    if (key == k) return true;
  }
  return false;
}

ordered_json Reduce(const json& schema, int depth) {
  if (!schema.is_object() || depth > 16) return ordered_json::object();
  ordered_json out = ordered_json::object();
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (!Enforced(it.key())) continue;
    if (it.key() == "properties" && it->is_object()) {
      ordered_json props = ordered_json::object();
      for (auto p = it->begin(); p != it->end(); ++p) props[p.key()] = Reduce(*p, depth + 1);
      out["properties"] = props;
    } else if (it.key() == "items") {
      out["items"] = Reduce(*it, depth + 1);
    } else if ((it.key() == "anyOf" || it.key() == "oneOf") && it->is_array()) {
      ordered_json options = ordered_json::array();
      for (const json& o : *it) options.push_back(Reduce(o, depth + 1));
      out[it.key()] = options;
    } else if (it.key() == "additionalProperties") {
      // A bounded object: the model writes what the properties name.
      out["additionalProperties"] = false;
    } else if (it.key() != "description") {
      out[it.key()] = ordered_json::parse(it->dump());
    }
  }
  const bool is_string = out.contains("type") && out["type"] == "string";
  if (is_string && !out.contains("enum") && !out.contains("const")) {
    const int limit = out.contains("maxLength") && out["maxLength"].is_number_integer()
                          ? std::min(out["maxLength"].get<int>(), kMaxStringLength)
                          : kMaxStringLength;
    out["maxLength"] = limit;
  }
  return out;
}

std::string ArgumentsPrompt(const plugins::ToolSpec& spec) {
  return "Call the tool " + spec.name +
         (spec.description.empty() ? std::string() : " (" + spec.description + ")") +
         " for the user's message. Write its arguments as JSON, taking the values from the "
         "message.";
}

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ordered_json ArgumentSchema(const json& parameters) {
  ordered_json reduced = Reduce(parameters, 0);
  if (!reduced.contains("type") || reduced["type"] != "object") {
    return ordered_json{{"type", "object"}};
  }
  return reduced;
}

void RunTools(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
              const plugins::ToolList& tools, TurnState& state, const EventSink& sink) {
  const std::vector<ToolRouter::Choice> choices = deps.router.Route(turn.message, tools);
  int steps = 0;
  for (const ToolRouter::Choice& choice : choices) {
    if (steps++ >= config.max_tool_steps || state.cancelled) break;
    plugins::Tool& tool = *tools[choice.tool];
    const plugins::ToolSpec& spec = tool.spec();
    const std::string call_id = "call_" + RandomAlnum(16);
    ToolOutcome outcome;
    outcome.name = spec.name;

    // Arguments, under the tool's schema; the last turns give references
    // ("and in Berlin?") their meaning.
    std::vector<engine::ChatMessage> messages = {{"system", ArgumentsPrompt(spec)}};
    const size_t from = state.history.size() > 2 ? state.history.size() - 2 : 0;
    for (size_t i = from; i < state.history.size(); ++i) messages.push_back(state.history[i]);
    messages.push_back({"user", turn.message});
    Result<json> args =
        GenerateJson(*state.model, messages, ArgumentSchema(spec.parameters), kArgumentTokens);
    Status valid = args.ok() ? ValidateJson(*args, spec.parameters) : args.status();
    const json arguments = args.ok() ? *args : json::object();
    outcome.arguments = arguments.dump(-1, ' ', false, json::error_handler_t::replace);
    if (!sink({"tool_call", {{"id", call_id}, {"name", spec.name}, {"arguments", arguments}}})) {
      state.cancelled = true;
      return;
    }
    const auto started = std::chrono::steady_clock::now();
    json result = {{"id", call_id}, {"name", spec.name}};
    if (!valid.ok()) {
      outcome.is_error = true;
      outcome.output = "the arguments were not valid: " + valid.message() +
                       (valid.param().empty() ? "" : " (" + valid.param() + ")");
    } else {
      plugins::ToolCallOptions options;
      options.timeout_ms = deps.options.tool_timeout_ms;
      options.max_output_bytes = deps.options.max_tool_output_bytes;
      Result<plugins::ToolResult> r = tool.Invoke(arguments, options);
      if (r.ok()) {
        outcome.output = r->output;
        outcome.is_error = r->is_error;
        result["truncated"] = r->truncated;
      } else {
        outcome.is_error = true;
        outcome.output =
            r.status().code() == StatusCode::kDeadlineExceeded
                ? "timed out after " +
                      std::to_string(deps.options.tool_timeout_ms / 1000.0).substr(0, 4) + " s"
                : r.status().message();
      }
    }
    const double ms = MsSince(started);
    result[outcome.is_error ? "error" : "output"] = outcome.output;
    result["is_error"] = outcome.is_error;
    if (!result.contains("truncated")) result["truncated"] = false;
    result["duration_ms"] = std::round(ms * 10) / 10;
    state.tool_calls.push_back({{"id", call_id},
                                {"name", spec.name},
                                {"arguments", arguments},
                                {"result", result},
                                {"route_score", std::round(choice.score * 1000) / 1000}});
    state.outcomes.push_back(std::move(outcome));
    if (!sink({"tool_result", result})) {
      state.cancelled = true;
      return;
    }
  }
}

}  // namespace kiln::agent::internal
