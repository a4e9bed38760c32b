// Agent: checks, the worker pool, and one turn from start to end (agent.h).
#include "agent/agent.h"

#include <chrono>
#include <ctime>

#include "agent/citations.h"
#include "agent/internal/generation.h"
#include "agent/internal/turn.h"
#include "agent/prompt.h"
#include "agent/tool_catalog.h"
#include "base/log.h"
#include "base/random.h"

namespace kiln::agent {

using nlohmann::json;

namespace {

constexpr size_t kMaxMessageBytes = 32 * 1024;

}  // namespace

Agent::Agent(AgentOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  catalog_ = std::make_unique<ToolCatalog>(CatalogOptions{options_.fetch, options_.now});
  const engine::ServedModels::Entry* embedder = nullptr;
  if (options_.models != nullptr) {
    for (const auto& e : options_.models->entries()) {
      if (!e->chat() && embedder == nullptr) embedder = e.get();
    }
  }
  router_ = std::make_unique<ToolRouter>(embedder);
  pool_ = std::make_unique<ThreadPool>(static_cast<size_t>(std::max(1, options_.workers)));
}

Agent::~Agent() { pool_.reset(); }

int64_t Agent::Now() const { return options_.now(); }

Status Agent::Check(const ChatTurn& turn, storage::BotConfig* config) {
  if (options_.store == nullptr) return Unavailable("the agent has no store");
  if (turn.message.empty()) return InvalidArgument("message is empty", "message");
  if (turn.message.size() > kMaxMessageBytes) {
    return InvalidArgument("message is longer than 32 KiB", "message");
  }
  KILN_ASSIGN_OR_RETURN(storage::Bot bot,
                        options_.store->bots().Get(turn.workspace_id, turn.bot_id));
  if (turn.draft) {
    *config = bot.config;
  } else if (bot.latest_version == 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "bot " + bot.id +
                      " has no published version: publish it, or chat with its draft "
                      "(\"draft\": true)",
                  "draft");
  } else {
    KILN_ASSIGN_OR_RETURN(
        storage::BotVersion v,
        options_.store->bots().GetVersion(turn.workspace_id, turn.bot_id, bot.latest_version));
    *config = v.config;
  }
  const engine::ServedModels::Entry* model =
      options_.models != nullptr ? options_.models->Find(config->model) : nullptr;
  if (model == nullptr || !model->chat()) {
    std::string loaded;
    if (options_.models != nullptr) {
      for (const auto& e : options_.models->entries()) {
        if (e->chat()) loaded += (loaded.empty() ? "" : ", ") + e->name;
      }
    }
    return Status(StatusCode::kFailedPrecondition,
                  "the bot's model '" + config->model + "' is not loaded on this server" +
                      (loaded.empty() ? "" : " (chat models: " + loaded + ")"),
                  "model");
  }
  if (!turn.stateless && !turn.conversation_id.empty()) {
    KILN_ASSIGN_OR_RETURN(storage::Conversation c, options_.store->conversations().Get(
                                                       turn.workspace_id, turn.conversation_id));
    if (c.bot_id != turn.bot_id) {
      return InvalidArgument("conversation " + c.id + " belongs to another bot", "conversation_id");
    }
  }
  return Status::OK();
}

Status Agent::Submit(ChatTurn turn, EventSink sink) {
  storage::BotConfig config;
  KILN_RETURN_IF_ERROR(Check(turn, &config));
  if (waiting_.fetch_add(1) >= options_.max_queue + options_.workers) {
    waiting_.fetch_sub(1);
    return ResourceExhausted("too many chats are running; try again shortly");
  }
  auto task = std::make_shared<std::tuple<ChatTurn, storage::BotConfig, EventSink>>(
      std::move(turn), std::move(config), std::move(sink));
  const bool queued = pool_->Submit([this, task] {
    auto& [t, c, s] = *task;
    Run(t, c, s);
    waiting_.fetch_sub(1);
  });
  if (!queued) {
    waiting_.fetch_sub(1);
    return Unavailable("the server is shutting down");
  }
  return Status::OK();
}

Status Agent::RunNow(ChatTurn turn, const EventSink& sink) {
  storage::BotConfig config;
  KILN_RETURN_IF_ERROR(Check(turn, &config));
  Run(turn, config, sink);
  return Status::OK();
}

void Agent::RunInBackground(std::function<void()> work) {
  auto shared = std::make_shared<std::function<void()>>(std::move(work));
  if (!pool_->Submit([shared] { (*shared)(); })) (*shared)();
}

Result<plugins::ToolList> Agent::PluginTools(const storage::Plugin& plugin) {
  return catalog_->PluginTools(plugin, nullptr);
}

void Agent::ForgetPlugin(const std::string& plugin_id) { catalog_->Forget(plugin_id); }

void Agent::Run(const ChatTurn& turn, const storage::BotConfig& config, const EventSink& sink) {
  internal::TurnDeps deps{options_, *catalog_, *router_};
  internal::RunTurn(deps, turn, config, sink);
}

}  // namespace kiln::agent
