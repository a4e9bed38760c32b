// The built-in tools that need to know the turn they run in: searching the
// bot's own knowledge, and setting or reading the variables the bot keeps
// for this end user (long-term memory, as Coze's variables). Made per turn;
// thread-safe like every Tool. Borrowed: the store and the knowledge service
// outlive the tools.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "plugins/tool.h"
#include "rag/knowledge_service.h"
#include "storage/store.h"

namespace kiln::agent {

struct TurnToolContext {
  std::string workspace_id;
  std::string bot_id;
  std::string user_id;
  std::vector<std::string> knowledge_ids;
  std::vector<std::string> variable_names;  // the bot's declared variables
  storage::Store* store = nullptr;
  rag::KnowledgeService* knowledge = nullptr;
  std::function<int64_t()> now;
};

// "knowledge_search" (only for a bot with knowledge), "set_variable" and
// "get_variable" (only for a bot with variables; names limited to its own).
plugins::ToolList AgentTools(const TurnToolContext& ctx);

// The names AgentTools may make, which a builtin plugin can list.
const std::vector<std::string>& AgentToolNames();

}  // namespace kiln::agent
