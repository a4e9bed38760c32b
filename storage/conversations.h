// Conversations between end users and bots, their messages, and the
// long-term memory (variables a bot keeps per end user): the records and the
// repositories the agent and the chat API store them through.
//
// A turn (the user's message and the bot's answer) is written in one
// transaction when it ends, so a conversation never holds half a turn, and a
// message once stored is never changed. Thread-safe, like every repository.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "storage/records.h"

namespace kiln::storage {

struct Conversation {
  std::string id;  // "conv_..."
  std::string workspace_id;
  std::string bot_id;
  std::string user_id;         // the end user: an API caller's "user", a channel's user id
  std::string source = "api";  // "api", "preview", "openai", "channel"
  bool draft = false;          // answered by the bot's draft rather than its published version
  std::string title;           // the first user message, cut short
  int64_t message_count = 0;   // computed on read
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Message {
  std::string id;  // "msg_..."
  std::string conversation_id;
  int64_t seq = 0;   // 1, 2, 3, ... within the conversation, assigned by the store
  std::string role;  // "user" or "assistant"
  std::string content;
  std::string trace = "{}";  // JSON object: knowledge used, tool calls, citations, usage, timing
  int64_t created_at = 0;
};

class ConversationRepository {
 public:
  virtual ~ConversationRepository() = default;
  // The bot must exist in the workspace (NotFound).
  virtual Status Create(const Conversation& conversation) = 0;
  virtual Result<Conversation> Get(std::string_view workspace_id, std::string_view id) = 0;
  // Newest first; `bot_id` empty: every bot's; `user_id` non-empty: only that
  // end user's.
  virtual Result<Page<Conversation>> List(std::string_view workspace_id, std::string_view bot_id,
                                          std::string_view user_id, const ListOptions& options) = 0;
  // Deletes it with its messages.
  virtual Status Delete(std::string_view workspace_id, std::string_view id) = 0;

  // One transaction: the messages (seq and conversation_id assigned, written
  // back), the conversation's updated_at, and its title if it had none.
  virtual Status AppendMessages(std::string_view workspace_id, std::string_view conversation_id,
                                std::vector<Message>& messages, int64_t now) = 0;
  // Oldest first; the cursor is a seq.
  virtual Result<Page<Message>> ListMessages(std::string_view workspace_id,
                                             std::string_view conversation_id,
                                             const ListOptions& options) = 0;
  // The last `n` messages, oldest first (the history a bot sees).
  virtual Result<std::vector<Message>> RecentMessages(std::string_view conversation_id, int n) = 0;
};

// Long-term memory: named values a bot keeps for one end user, across
// conversations (Coze's variables).
class MemoryRepository {
 public:
  virtual ~MemoryRepository() = default;
  virtual Result<std::map<std::string, std::string>> Get(std::string_view bot_id,
                                                         std::string_view user_id) = 0;
  // Sets (or replaces) one value. At most `max_entries` names per bot and
  // user: a new name past that is ResourceExhausted.
  virtual Status Set(std::string_view bot_id, std::string_view user_id, std::string_view name,
                     std::string_view value, int64_t now, int max_entries = 100) = 0;
  virtual Status Erase(std::string_view bot_id, std::string_view user_id,
                       std::string_view name) = 0;
};

}  // namespace kiln::storage
