// The Dispatcher takes the messages that channels' webhooks bring and gets
// the bot's answers back to the platforms, the same way for every platform:
//   - an event is taken once: its id is recorded (storage, so a restart keeps
//     it) before anything runs, and a retried or replayed delivery is told it
//     is a duplicate;
//   - the bot's published version answers on the agent's workers, each
//     platform user in their own conversation, so the webhook is answered at
//     once, within every platform's deadline;
//   - the answer is sent through the platform's API; 429 and 5xx answers and
//     network errors are retried with backoff (Retry-After honoured), and the
//     outcome, sent or failed with the reason, goes to the channel's delivery
//     log;
//   - connections to a platform's API are kept alive and reused.
// Thread-safe. The destructor waits for the deliveries in flight.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "agent/agent.h"
#include "base/thread_pool.h"
#include "plugins/net/http_fetch.h"
#include "storage/store.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {

struct DispatcherOptions {
  storage::Store* store = nullptr;
  agent::Agent* agent = nullptr;
  plugins::FetchOptions fetch;  // the outbound guard for platform API calls
  int max_attempts = 5;         // per call to the platform
  int64_t first_backoff_ms = 500;
  int64_t max_backoff_ms = 8000;
  int64_t call_timeout_ms = 10000;
  int delivery_threads = 2;
  std::function<int64_t()> now;  // unix seconds; default: the clock
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Takes a message of `channel`: true when it is new (the turn is queued),
  // false when the event was taken before. ResourceExhausted when no turn can
  // be queued now (the event is then not recorded, so the platform's retry
  // is taken).
  Result<bool> Take(const storage::Channel& channel, const Platform& platform,
                    InboundMessage message);

  // Waits until every queued turn has been answered and delivered (tests).
  void WaitIdle();

 private:
  void Deliver(const storage::Channel& channel, const Platform& platform,
               const InboundMessage& message, const std::string& text, const std::string& error);
  // The channel's access token (Feishu, WeCom): cached until 5 minutes
  // before it expires.
  Result<std::string> AccessToken(const storage::Channel& channel, const Platform& platform,
                                  const nlohmann::json& secrets);
  void ForgetToken(const std::string& channel_id);
  plugins::FetchOptions FetchFor(const Outbound& call) const;
  int64_t Now() const;

  DispatcherOptions options_;
  mutable plugins::ConnectionPool
      connections_;  // kept alive between calls to the same platform API
  std::mutex tokens_mu_;
  std::map<std::string, std::pair<std::string, int64_t>> tokens_;  // channel -> token, expiry
  std::atomic<int> pending_{0};
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace kiln::web::channels
