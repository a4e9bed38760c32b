// Scheduler: serves many generation requests on one decoder model at once.
//
// Continuous batching: one thread runs steps; each step is one Model::Forward
// over every running sequence's next token plus chunks of prompts still being
// read (chunked prefill), at most max_batch_tokens in all, so weights are read
// once per step for everyone and a long new prompt never stalls the streams
// already running for more than one step's worth. Requests join at the next
// step after they arrive and leave the step they finish.
//
// Memory: one paged KV pool (KvPool) for every sequence. A request is admitted
// when the pool can hold its prompt plus max_tokens next to what the running
// ones may still need, so no running sequence ever runs out; pages are taken
// as tokens arrive and given back when a request ends. Prompt prefixes are
// shared through the PrefixCache: a prompt's whole pages once it is read, and
// a finished sequence's pages (a chat's later turns and a bot's system prompt
// come back cached). A request that shares two pages or more with a prompt
// still being read waits for it in the queue rather than reading them again.
//
// Queue: at most max_queue requests wait besides the max_running in the
// batch; Submit fails with ResourceExhausted (HTTP 429) beyond that. Cancel (or an on_text callback
// returning false, as when a client disconnects) ends a request at the next step and frees its
// pages at once.
//
// Callbacks run on the scheduler thread: keep them short.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/loaded_model.h"
#include "engine/sampling.h"
#include "engine/serve/prefix_cache.h"

namespace kiln::engine {

struct ServeOptions {
  int64_t kv_budget_mb = 1024;    // KV pool size
  int64_t n_ctx = 4096;           // per sequence, capped at the model's
  int max_running = 16;           // sequences in the running batch
  int max_queue = 64;             // requests waiting beyond the running ones
  int64_t max_batch_tokens = 64;  // tokens per step: decodes first, then prompt chunks
  bool prefix_cache = true;
};

struct Completion {
  Status status;                // OK, or why the request failed
  std::string finish_reason;    // "stop", "length" or "cancelled"
  std::string text;             // everything streamed
  std::vector<int32_t> tokens;  // generated, the stopping token excluded
  int prompt_tokens = 0;
  int cached_tokens = 0;           // prompt tokens found in the prefix cache
  double queue_seconds = 0;        // submitted -> admitted
  double first_token_seconds = 0;  // submitted -> first token
  double total_seconds = 0;
};

struct ServeRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;
  int max_tokens = 256;
  std::vector<std::string> stop;
  std::unique_ptr<TokenConstraint> constraint;  // optional
  // Text as it is produced (never a split UTF-8 character, never part of a
  // stop string); returning false cancels. Optional.
  std::function<bool(std::string_view piece)> on_text;
  // Called exactly once, when the request ends in any way.
  std::function<void(Completion)> on_done;
};

class Scheduler {
 public:
  // `model` must be a decoder and outlive the scheduler.
  Scheduler(const LoadedModel& model, ServeOptions options);
  ~Scheduler();  // cancels whatever is queued or running
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request; its id is what Cancel takes. InvalidArgument when it
  // can never run (empty prompt, prompt + 1 beyond the context or the pool),
  // ResourceExhausted when the queue is full.
  Result<uint64_t> Submit(ServeRequest request);
  // Ends a request at the next step (on_done reports "cancelled"); no-op
  // for an unknown or finished id.
  void Cancel(uint64_t id);

  struct Stats {
    int64_t running = 0, queued = 0;
    int64_t steps = 0, tokens_generated = 0, prompt_tokens_run = 0;
    int64_t kv_pages = 0, kv_pages_free = 0;
    PrefixCache::Stats prefix;
  };
  Stats stats() const;
  const ServeOptions& options() const { return options_; }

 private:
  struct Sequence;
  void Loop();
  void Admit();  // under mu_
  // Whether queued `s`, which the prefix cache would give `cached_pages`
  // pages, should rather wait for a running sequence still reading a prompt
  // that shares at least kWaitForPages more whole pages with it (many chats
  // with one bot start at once: its persona is read once, not once each).
  bool WaitsForPrefix(const Sequence& s, int64_t cached_pages) const;
  static constexpr int64_t kWaitForPages = 2;
  bool Step();  // one batch; false when nothing ran
  // Reports a sequence that left (finish_reason unset: cancelled) and frees
  // its pages.
  void Finish(Sequence& s);
  // Takes the cancelled (or, with `all`, every) running sequence out of the
  // batch, then finishes each.
  void Retire(bool all);
  int64_t PagesFor(int64_t positions) const;

  const LoadedModel& model_;
  ServeOptions options_;
  std::shared_ptr<KvPool> pool_;
  std::unique_ptr<PrefixCache> prefix_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  std::deque<std::unique_ptr<Sequence>> queue_;     // under mu_
  std::vector<uint64_t> cancel_requests_;           // under mu_
  std::vector<std::unique_ptr<Sequence>> running_;  // scheduler thread only
  Stats stats_;                                     // under mu_
  std::thread thread_;
};

}  // namespace kiln::engine
