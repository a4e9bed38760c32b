// One turn of a bot, start to end (internal/turn.h: RunTurn).
#include "agent/internal/turn.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "agent/citations.h"
#include "agent/internal/generation.h"
#include "base/log.h"
#include "base/random.h"

namespace kiln::agent::internal {
namespace {

using nlohmann::json;

constexpr int kMaxPassages = 5;
constexpr int kFollowUpTokens = 120;

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::round(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t)
                        .count() *
                    10) /
         10;
}

uint64_t RandomSeed() {
  uint64_t seed;
  SecureRandomBytes(&seed, sizeof(seed));
  return seed;
}

std::string DefaultNoHitReply(const std::string& message) {
  return LooksCjk(message) ? "抱歉，我的知识库里没有找到与这个问题相关的内容。"
                           : "Sorry, I couldn't find anything about that in my knowledge base.";
}

// "I couldn't use get_weather (timed out after 15 s)." for each failed call.
std::string FailureNote(const std::vector<ToolOutcome>& outcomes, const std::string& message) {
  std::string note;
  for (const ToolOutcome& o : outcomes) {
    if (!o.is_error) continue;
    std::string why = o.output.substr(0, 120);
    note += LooksCjk(message) ? "无法使用工具 " + o.name + "（" + why + "）。"
                              : "I couldn't use " + o.name + " (" + why + "). ";
  }
  return note;
}

std::string TimeText(int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC (%A)", &tm);
  return buf;
}

// Conversation, variables and history (the cheap reads of a turn).
Status Prepare(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
               TurnState& state, bool* is_new) {
  storage::Store& store = *deps.options.store;
  state.user_id = turn.user_id;
  state.conversation_id = turn.conversation_id;
  *is_new = false;
  if (!turn.stateless) {
    if (state.conversation_id.empty()) {
      storage::Conversation c;
      c.id = NewId("conv");
      c.workspace_id = turn.workspace_id;
      c.bot_id = turn.bot_id;
      c.user_id = turn.user_id;
      c.source = turn.source;
      c.draft = turn.draft;
      c.created_at = c.updated_at = deps.options.now();
      KILN_RETURN_IF_ERROR(store.conversations().Create(c));
      state.conversation_id = c.id;
      *is_new = true;
    } else {
      KILN_ASSIGN_OR_RETURN(storage::Conversation c,
                            store.conversations().Get(turn.workspace_id, state.conversation_id));
      if (!c.user_id.empty()) state.user_id = c.user_id;
    }
  }
  for (const storage::BotVariable& v : config.variables) state.values[v.name] = v.default_value;
  if (!state.user_id.empty()) {
    KILN_ASSIGN_OR_RETURN(auto memory, store.memories().Get(turn.bot_id, state.user_id));
    for (auto& [name, value] : memory) state.values[name] = value;
  }
  for (const auto& [name, value] : turn.variables) {
    if (state.values.count(name) != 0) state.values[name] = value;  // declared ones only
  }
  if (turn.stateless) {
    state.history = turn.history;
  } else if (!*is_new && config.history_turns > 0) {
    KILN_ASSIGN_OR_RETURN(
        std::vector<storage::Message> recent,
        store.conversations().RecentMessages(state.conversation_id, 2 * config.history_turns));
    for (const storage::Message& m : recent) state.history.push_back({m.role, m.content});
  }
  return Status::OK();
}

// Knowledge for the message: every base's hits (each with its own settings),
// best first, numbered as the prompt shows them.
void Retrieve(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
              TurnState& state) {
  std::vector<rag::SearchHit> hits;
  for (const std::string& kb : config.knowledge_ids) {
    rag::SearchRequest r;
    r.query = turn.message;
    Result<std::vector<rag::SearchHit>> found =
        deps.options.knowledge->Search(turn.workspace_id, kb, r);
    if (!found.ok()) {
      KILN_LOG(WARNING) << "bot " << turn.bot_id << ": knowledge " << kb << ": "
                        << found.status().ToString();
      continue;
    }
    for (rag::SearchHit& h : *found) hits.push_back(std::move(h));
  }
  std::stable_sort(hits.begin(), hits.end(), [](const rag::SearchHit& a, const rag::SearchHit& b) {
    return a.score > b.score;
  });
  if (hits.size() > static_cast<size_t>(kMaxPassages)) hits.resize(kMaxPassages);
  for (size_t i = 0; i < hits.size(); ++i) {
    const rag::SearchHit& h = hits[i];
    const int index = static_cast<int>(i) + 1;
    // Parent-child bases hand the model the enclosing paragraph.
    const std::string& text = h.chunk.parent_text.empty() ? h.chunk.text : h.chunk.parent_text;
    state.passages.push_back({index, h.document_name, text});
    state.knowledge.push_back({{"index", index},
                               {"chunk_id", h.chunk.id},
                               {"knowledge_id", h.chunk.knowledge_id},
                               {"document_id", h.chunk.document_id},
                               {"document_name", h.document_name},
                               {"position", h.chunk.position},
                               {"heading_path", h.chunk.heading_path},
                               {"text", h.chunk.text},
                               {"score", std::round(h.score * 1000) / 1000}});
  }
}

plugins::ToolList BotTools(const TurnDeps& deps, const ChatTurn& turn,
                           const storage::BotConfig& config, const TurnState& state) {
  TurnToolContext ctx;
  ctx.workspace_id = turn.workspace_id;
  ctx.bot_id = turn.bot_id;
  ctx.user_id = state.user_id;
  ctx.knowledge_ids = config.knowledge_ids;
  for (const storage::BotVariable& v : config.variables) ctx.variable_names.push_back(v.name);
  ctx.store = deps.options.store;
  ctx.knowledge = deps.options.knowledge;
  ctx.now = deps.options.now;
  plugins::ToolList tools;
  for (const std::string& id : config.plugin_ids) {
    Result<storage::Plugin> plugin = deps.options.store->plugins().Get(turn.workspace_id, id);
    if (!plugin.ok()) continue;  // deleted since the bot was saved
    Result<plugins::ToolList> made = deps.catalog.PluginTools(*plugin, &ctx);
    if (!made.ok()) {
      KILN_LOG(WARNING) << "bot " << turn.bot_id << ": plugin " << id << ": "
                        << made.status().ToString();
      continue;
    }
    for (auto& t : *made) tools.push_back(std::move(t));
  }
  return tools;
}

json CitationsJson(const std::vector<Citation>& citations, const TurnState& state) {
  json out = json::array();
  for (const Citation& c : citations) {
    json chunk = state.knowledge[static_cast<size_t>(c.index - 1)];
    out.push_back({{"index", c.index},
                   {"chunk_id", chunk["chunk_id"]},
                   {"document_name", chunk["document_name"]},
                   {"position", chunk["position"]},
                   {"marked", c.marked}});
  }
  return out;
}

json FollowUps(const TurnState& state, const ChatTurn& turn, const std::string& answer) {
  nlohmann::ordered_json schema = {
      {"type", "object"},
      {"properties",
       {{"questions",
         {{"type", "array"},
          {"minItems", 3},
          {"maxItems", 3},
          {"items", {{"type", "string"}, {"minLength", 4}, {"maxLength", 80}}}}}}},
      {"required", {"questions"}}};
  std::vector<engine::ChatMessage> messages = {
      {"system",
       "Suggest three short follow-up questions the user could ask next, in the user's language."},
      {"user", "Question: " + turn.message + "\nAnswer: " + answer.substr(0, 1500)}};
  Result<json> r = GenerateJson(*state.model, messages, schema, kFollowUpTokens);
  if (!r.ok() || !r->contains("questions")) return json::array();
  return (*r)["questions"];
}

}  // namespace

void RunTurn(const TurnDeps& deps, const ChatTurn& turn, const storage::BotConfig& config,
             const EventSink& sink) {
  TurnState state;
  state.start = std::chrono::steady_clock::now();
  state.model = deps.options.models->Find(config.model);
  auto fail = [&](const Status& s) {
    sink({"error", {{"code", std::string(StatusCodeName(s.code()))}, {"message", s.message()}}, s});
  };
  auto emit = [&](const char* type, json data) {
    if (!state.cancelled && !sink({type, std::move(data)})) state.cancelled = true;
    return !state.cancelled;
  };
  bool is_new = false;
  if (Status s = Prepare(deps, turn, config, state, &is_new); !s.ok()) return fail(s);
  if (!turn.stateless) {
    json conv = {{"id", state.conversation_id}, {"new", is_new}};
    if (is_new) {
      conv["opening_message"] = SubstituteVariables(config.opening_message, state.values);
      conv["suggested_questions"] = config.suggested_questions;
    }
    if (!emit("conversation", conv)) return;
  }
  const bool has_knowledge = !config.knowledge_ids.empty() && deps.options.knowledge != nullptr;
  if (has_knowledge) {
    Retrieve(deps, turn, config, state);
    if (!emit("knowledge", {{"chunks", state.knowledge}})) return;
  }
  const plugins::ToolList tools = BotTools(deps, turn, config, state);
  if (!tools.empty() && config.max_tool_steps > 0) {
    RunTools(deps, turn, config, tools, state, sink);
    if (state.cancelled) return;
  }

  // The answer: the no-hit reply, or the model's, after a note on failed tools.
  std::string answer, finish_reason = "stop";
  const std::string note = FailureNote(state.outcomes, turn.message);
  if (!note.empty()) {
    answer = note;
    state.first_token_ms = MsSince(state.start);
    if (!emit("delta", {{"text", note}})) return;
  }
  if (has_knowledge && state.passages.empty() && state.outcomes.empty()) {
    answer = config.no_hit_reply.empty() ? DefaultNoHitReply(turn.message) : config.no_hit_reply;
    finish_reason = "no_hit";
    state.first_token_ms = MsSince(state.start);
    if (!emit("delta", {{"text", answer}})) return;
  } else {
    PromptParts parts;
    parts.persona = SubstituteVariables(config.persona, state.values);
    parts.passages = state.passages;
    parts.tools = state.outcomes;
    parts.guard_prompt = config.guard_prompt;
    if (config.inject_current_time) parts.current_time = TimeText(deps.options.now());
    for (const storage::BotVariable& v : config.variables) {
      const std::string& value = state.values[v.name];
      if (!value.empty()) parts.memory += v.name + ": " + value + "\n";
    }
    const int64_t n_ctx = state.model->scheduler->options().n_ctx;
    const int max_tokens = config.model_params.max_tokens;
    const auto& tokenizer = *state.model->model->tokenizer;
    GenerationRequest request;
    request.messages =
        FitHistory(SystemMessage(parts), state.history, UserMessage(parts, turn.message),
                   std::max<int64_t>(256, n_ctx - max_tokens - 16), [&](std::string_view text) {
                     return static_cast<int64_t>(tokenizer.Encode(text, false, false).size());
                   });
    request.sampling = SamplingFor(config.model_params, RandomSeed());
    request.max_tokens = max_tokens;
    request.on_text = [&](std::string_view piece) {
      if (state.first_token_ms < 0) state.first_token_ms = MsSince(state.start);
      return emit("delta", {{"text", std::string(piece)}});
    };
    engine::Completion c = Generate(*state.model, std::move(request));
    if (state.cancelled) return;
    if (!c.status.ok()) return fail(c.status);
    answer += c.text;
    finish_reason = c.finish_reason;
    state.prompt_tokens += c.prompt_tokens;
    state.completion_tokens += static_cast<int>(c.tokens.size());
  }

  std::vector<std::string> passage_texts;
  for (const Passage& p : state.passages) passage_texts.push_back(p.text);
  const json citations = CitationsJson(FindCitations(answer, passage_texts), state);
  json follow_up;
  if (config.follow_up) {
    follow_up = FollowUps(state, turn, answer);
    if (!emit("follow_up", {{"questions", follow_up}})) return;
  }
  const json usage = {{"prompt_tokens", state.prompt_tokens},
                      {"completion_tokens", state.completion_tokens},
                      {"total_tokens", state.prompt_tokens + state.completion_tokens}};
  const json timing = {{"first_token_ms", state.first_token_ms},
                       {"total_ms", MsSince(state.start)}};
  std::string message_id;
  if (!turn.stateless) {
    json trace = {{"knowledge", state.knowledge},
                  {"tool_calls", state.tool_calls},
                  {"citations", citations},
                  {"usage", usage},
                  {"timing", timing},
                  {"finish_reason", finish_reason}};
    if (!follow_up.is_null()) trace["follow_up"] = follow_up;
    std::vector<storage::Message> messages(2);
    messages[0].id = NewId("msg");
    messages[0].role = "user";
    messages[0].content = turn.message;
    messages[1].id = NewId("msg");
    messages[1].role = "assistant";
    messages[1].content = answer;
    messages[1].trace = trace.dump(-1, ' ', false, json::error_handler_t::replace);
    Status stored = deps.options.store->conversations().AppendMessages(
        turn.workspace_id, state.conversation_id, messages, deps.options.now());
    if (!stored.ok()) return fail(stored);
    message_id = messages[1].id;
  }
  emit("done", {{"message_id", message_id},
                {"conversation_id", state.conversation_id},
                {"text", answer},
                {"citations", citations},
                {"tool_calls", state.tool_calls},
                {"usage", usage},
                {"timing", timing},
                {"finish_reason", finish_reason}});
}

}  // namespace kiln::agent::internal
