// Chat-app channels of a bot (Telegram, Slack, Discord, Feishu/Lark, LINE,
// WeCom, a generic webhook): the record, the platform events already taken
// (dedup that survives a restart), and the log of outbound replies. What a
// platform's payloads and signatures are belongs to web/channels/; here a
// channel is a type, a config object the API shows, a secrets object it never
// returns, and its platform API base URL. Thread-safe, like every repository.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "storage/records.h"

namespace kiln::storage {

struct Channel {
  std::string id;  // "chn_..."
  std::string workspace_id;
  std::string bot_id;
  std::string type;  // "telegram", "slack", "discord", "feishu", "line", "wecom", "webhook"
  std::string config = "{}";   // JSON object: settings that may be shown
  std::string secrets = "{}";  // JSON object: credentials; write-only in the API
  std::string api_base_url;    // the platform API's base URL; empty: the platform's own
  bool enabled = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// One outbound reply (or its failure), as the channel's delivery log shows it.
struct ChannelDelivery {
  int64_t id = 0;  // assigned by the store, increasing
  std::string channel_id;
  std::string event_id;            // the inbound event it answers ("" for none)
  std::string status = "pending";  // "pending", "sent", "failed"
  int attempts = 0;
  int http_status = 0;     // the platform's last answer (0: none, a network error)
  std::string last_error;  // why the last attempt failed
  std::string target;      // where it went: the chat, user or channel id on the platform
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class ChannelRepository {
 public:
  virtual ~ChannelRepository() = default;
  // FailedPrecondition when the bot is not in the workspace.
  virtual Status Create(const Channel& channel) = 0;
  virtual Result<Channel> Get(std::string_view workspace_id, std::string_view id) = 0;
  // By id alone, for inbound webhooks (the URL names the channel, not a workspace).
  virtual Result<Channel> Find(std::string_view id) = 0;
  // The bot's channels, newest first.
  virtual Result<Page<Channel>> ListForBot(std::string_view workspace_id, std::string_view bot_id,
                                           const ListOptions& options) = 0;
  // Reads the channel, lets `mutate` change it (or refuse), stores it; under the writer.
  virtual Result<Channel> Modify(std::string_view workspace_id, std::string_view id,
                                 const std::function<Status(Channel&)>& mutate) = 0;
  virtual Status Delete(std::string_view workspace_id, std::string_view id) = 0;

  // Records that the platform's event `event_id` reached the channel: true the
  // first time, false for a retry or a replay (committed before it returns, so
  // a restart keeps it).
  virtual Result<bool> RecordEvent(std::string_view channel_id, std::string_view event_id,
                                   int64_t now) = 0;
  // Forgets one event (it could not be queued: the platform's retry is taken).
  virtual Status ForgetEvent(std::string_view channel_id, std::string_view event_id) = 0;
  // Forgets events received before `before` (platforms retry for minutes to hours).
  virtual Result<int64_t> PruneEvents(int64_t before) = 0;

  // Adds a delivery and returns its id.
  virtual Result<int64_t> AddDelivery(const ChannelDelivery& delivery) = 0;
  // Stores status, attempts, http_status, last_error and updated_at.
  virtual Status UpdateDelivery(const ChannelDelivery& delivery) = 0;
  // Newest first; the cursor is the last id seen.
  virtual Result<Page<ChannelDelivery>> ListDeliveries(std::string_view channel_id,
                                                       const ListOptions& options) = 0;
};

}  // namespace kiln::storage
