// Agent: runs a bot. One call of Run is one turn of a conversation: the
// bot's config (its draft or a published version), the end user's message,
// memory and variables, knowledge retrieved for the message, tool calls
// decoded under their JSON Schema, executed and fed back (at most
// max_tool_steps), then the answer streamed token by token, and the turn
// stored. Everything happens on the agent's own worker threads, which wait
// on the engine's scheduler for model compute; the caller gets events.
//
// Events, in order (AgentEvent::type, data):
//   conversation  {"id", "new", "opening_message"?, "suggested_questions"?}
//   knowledge     {"chunks": [{"index", "chunk_id", "knowledge_id", "document_id",
//                  "document_name", "position", "heading_path", "text", "score"}]}
//   tool_call     {"id", "name", "arguments"}               (per call)
//   tool_result   {"id", "name", "output"|"error", "is_error", "truncated", "duration_ms"}
//   delta         {"text"}                                   (many)
//   follow_up     {"questions": [3 strings]}                 (bots with follow_up)
//   done          {"message_id", "conversation_id", "text", "citations", "usage", "timing",
//                  "finish_reason"}
//   error         {"code", "message"}                        (instead of done)
//
// Thread-safe. Borrowed: everything in AgentOptions outlives the Agent.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/tool_router.h"
#include "base/result.h"
#include "base/thread_pool.h"
#include "engine/serve/served_models.h"
#include "plugins/net/http_fetch.h"
#include "plugins/tool.h"
#include "rag/knowledge_service.h"
#include "storage/store.h"

namespace kiln::agent {

class ToolCatalog;
class ToolRouter;

struct AgentEvent {
  AgentEvent(std::string t, nlohmann::json d, Status s = Status::OK())
      : type(std::move(t)), data(std::move(d)), status(std::move(s)) {}
  std::string type;
  nlohmann::json data;
  Status status;  // for "error": what failed
};

// Receives the events of a turn, on an agent thread; false: the client has
// gone, the turn stops (and is not stored).
using EventSink = std::function<bool(const AgentEvent& event)>;

struct ChatTurn {
  std::string workspace_id;
  std::string bot_id;
  std::string conversation_id;  // empty: a new conversation
  std::string user_id;          // the end user (memory is kept per bot and user)
  std::string message;
  std::map<std::string, std::string> variables;  // this turn's values, over memory and defaults
  bool draft = false;          // answer with the draft rather than the published version
  std::string source = "api";  // stored on a new conversation
  // Stateless turns (the OpenAI-compatible API): the history is given, no
  // conversation is read or stored.
  bool stateless = false;
  std::vector<engine::ChatMessage> history;  // for stateless turns: earlier user/assistant turns
};

struct AgentOptions {
  storage::Store* store = nullptr;
  engine::ServedModels* models = nullptr;
  rag::KnowledgeService* knowledge = nullptr;  // null: bots' knowledge is unavailable
  // The outbound guard for every HTTP call a tool makes (allow_private, the
  // operator's allowlist, limits).
  plugins::FetchOptions fetch;
  int workers = 8;     // turns running at once (they mostly wait)
  int max_queue = 64;  // turns waiting beyond those: Submit -> ResourceExhausted
  int64_t tool_timeout_ms = 15000;
  size_t max_tool_output_bytes = 2000;  // what the model sees of one tool result
  std::function<int64_t()> now;         // unix seconds; default: the clock
};

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // The cheap checks (bot, version, model, conversation), answered at once;
  // then the turn runs on a worker and `sink` gets its events.
  // ResourceExhausted when too many turns are waiting.
  Status Submit(ChatTurn turn, EventSink sink);
  // The same, on the calling thread (tests, benchmarks).
  Status RunNow(ChatTurn turn, const EventSink& sink);

  // The tools of a plugin as the agent builds them (the plugins API's
  // listing and try-it), on the calling thread: OpenAPI documents parsed,
  // MCP servers connected. Callers keep this off I/O threads.
  Result<plugins::ToolList> PluginTools(const storage::Plugin& plugin);
  // Runs work on the agent's workers (plugin checks that may block).
  void RunInBackground(std::function<void()> work);
  // Drops cached connections of a plugin (after it changed or was deleted).
  void ForgetPlugin(const std::string& plugin_id);

  const AgentOptions& options() const { return options_; }

 private:
  Status Check(const ChatTurn& turn, storage::BotConfig* config);
  void Run(const ChatTurn& turn, const storage::BotConfig& config, const EventSink& sink);
  int64_t Now() const;

  AgentOptions options_;
  std::unique_ptr<ToolCatalog> catalog_;
  std::unique_ptr<ToolRouter> router_;
  std::unique_ptr<ThreadPool> pool_;
  std::atomic<int> waiting_{0};
};

}  // namespace kiln::agent
