#include "engine/serve/scheduler.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "base/clock.h"
#include "engine/generate.h"

namespace kiln::engine {

struct Scheduler::Sequence {
  Sequence(uint64_t id, ServeRequest r, const Tokenizer& tokenizer)
      : id(id),
        req(std::move(r)),
        sampler(req.sampling),
        text(tokenizer, req.stop),
        history(req.prompt),
        submitted(MonoNow()) {
    result.prompt_tokens = static_cast<int>(req.prompt.size());
  }

  int64_t prompt_size() const { return static_cast<int64_t>(req.prompt.size()); }

  uint64_t id;
  ServeRequest req;
  Sampler sampler;
  TextStream text;
  std::vector<int32_t> history;  // prompt, then the tokens sampled so far
  std::unique_ptr<KvCache> cache;
  int64_t fed = 0;         // history[0, fed) is in the cache
  int64_t need_pages = 0;  // pages it may hold at most
  std::vector<float> logits;
  bool cancelled = false;
  bool started = false;  // a token has been sampled
  bool stopped = false;  // a stop string ended the text
  MonoClock::time_point submitted;
  Completion result;
};

Scheduler::Scheduler(const LoadedModel& model, ServeOptions options)
    : model_(model), options_(options) {
  const ModelInfo& info = model_.model->info();
  KILN_CHECK(info.causal) << "a scheduler needs a decoder model";
  options_.n_ctx = std::min(options_.n_ctx, info.n_ctx_train);
  const int64_t page_bytes =
      static_cast<int64_t>(KvPool::PageBytes(info.n_layer, info.kv_dim, kKvPageSize));
  const int64_t pages = std::max<int64_t>(options_.kv_budget_mb * 1048576 / page_bytes, 1);
  pool_ = model_.model->NewKvPool(pages);
  if (options_.prefix_cache) prefix_ = std::make_unique<PrefixCache>(pool_);
  stats_.kv_pages = pages;
  thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int64_t Scheduler::PagesFor(int64_t positions) const {
  return (positions + pool_->page_size() - 1) / pool_->page_size();
}

Result<uint64_t> Scheduler::Submit(ServeRequest request) {
  const int64_t n = static_cast<int64_t>(request.prompt.size());
  if (n == 0) return InvalidArgument("the prompt is empty", "messages");
  if (request.max_tokens < 0) return InvalidArgument("max_tokens must be >= 0", "max_tokens");
  KILN_RETURN_IF_ERROR(ValidateSamplingParams(request.sampling));
  KILN_RETURN_IF_ERROR(CheckPromptFits(n, options_.n_ctx));
  for (int32_t t : request.prompt) {
    if (t < 0 || t >= model_.model->info().n_vocab) {
      return InvalidArgument("token id " + std::to_string(t) + " is outside the vocabulary");
    }
  }
  if (PagesFor(n + 1) > pool_->n_pages()) {
    return InvalidArgument("the prompt has " + std::to_string(n) +
                           " tokens, more than the KV cache budget holds");
  }
  std::unique_lock lock(mu_);
  // Room for max_running in the batch plus max_queue waiting.
  const int64_t in_flight = static_cast<int64_t>(queue_.size()) + stats_.running;
  if (in_flight >= options_.max_running + options_.max_queue) {
    return ResourceExhausted("the server is busy: " + std::to_string(stats_.running) +
                             " requests running and " + std::to_string(queue_.size()) +
                             " waiting; retry shortly");
  }
  const uint64_t id = next_id_++;
  queue_.push_back(std::make_unique<Sequence>(id, std::move(request), *model_.tokenizer));
  lock.unlock();
  cv_.notify_all();
  return id;
}

void Scheduler::Cancel(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    cancel_requests_.push_back(id);
  }
  cv_.notify_all();
}

Scheduler::Stats Scheduler::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.queued = static_cast<int64_t>(queue_.size());
  s.kv_pages_free = pool_->free_pages();
  if (prefix_ != nullptr) s.prefix = prefix_->stats();
  return s;
}

void Scheduler::Admit() {
  // Pages the running sequences may still take, against what the pool can
  // give (free, or held only by the prefix cache).
  int64_t reserved = 0;
  for (const auto& s : running_) {
    reserved +=
        std::max<int64_t>(0, s->need_pages - static_cast<int64_t>(s->cache->pages().size()));
  }
  for (auto it = queue_.begin();
       it != queue_.end() && static_cast<int>(running_.size()) < options_.max_running;) {
    Sequence& s = **it;
    const int64_t positions = std::min<int64_t>(s.prompt_size() + s.req.max_tokens, options_.n_ctx);
    // (one that could outgrow the whole pool runs when it is alone, and
    // fails cleanly if it does fill it)
    const int64_t need = std::min(PagesFor(positions), pool_->n_pages());
    PrefixCache::Prefix prefix;
    if (prefix_ != nullptr) prefix = prefix_->Peek(s.req.prompt, s.prompt_size() - 1);
    const int64_t shared = static_cast<int64_t>(prefix.pages.size());
    if (prefix_ != nullptr && WaitsForPrefix(s, shared)) {
      ++it;  // admitted once that prompt's pages are recorded; later ones may go first
      continue;
    }
    const int64_t available =
        pool_->free_pages() + (prefix_ != nullptr ? prefix_->EvictablePages() : 0);
    // Adopting the prefix pins its pages: they stop being evictable (and the
    // partial page is pinned while its rows are copied).
    int64_t pinned = 0;
    if (prefix_ != nullptr) {
      pinned = prefix_->EvictableAmong(prefix.pages);
      if (prefix.partial_page >= 0) pinned += prefix_->EvictableAmong({&prefix.partial_page, 1});
    }
    if (available - pinned - reserved < need - shared) break;
    if (prefix_ != nullptr) prefix_->Match(s.req.prompt, s.prompt_size() - 1);  // now it counts
    s.cache = model_.model->NewCache(pool_, options_.n_ctx);
    s.cache->AdoptPrefix(prefix.pages);
    // (The copy takes one of the `need` pages; were the pool out after all,
    // the rows are simply computed again.)
    if (prefix.partial_page >= 0)
      s.cache->CopyPartialPage(prefix.partial_page, prefix.partial_tokens);
    s.fed = s.cache->size();
    s.need_pages = need;
    s.result.cached_tokens = static_cast<int>(s.fed);
    s.result.queue_seconds = SecondsSince(s.submitted);
    s.logits.resize(static_cast<size_t>(model_.model->info().n_vocab));
    reserved += need - shared;
    running_.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  stats_.running = static_cast<int64_t>(running_.size());
}

bool Scheduler::WaitsForPrefix(const Sequence& s, int64_t cached_pages) const {
  const int64_t ps = pool_->page_size();
  const int64_t usable = s.prompt_size() - 1;  // (a prompt keeps its last token to compute)
  for (const auto& r : running_) {
    if (r->fed >= r->prompt_size()) continue;  // read: its pages are recorded already
    const int64_t n = std::min(usable, r->prompt_size());
    const auto& a = s.req.prompt;
    const auto& b = r->req.prompt;
    const int64_t common = std::mismatch(a.begin(), a.begin() + n, b.begin()).first - a.begin();
    if (common / ps >= cached_pages + kWaitForPages) return true;
  }
  return false;
}

void Scheduler::Finish(Sequence& s) {
  if (s.result.finish_reason.empty()) s.result.finish_reason = "cancelled";
  // The end shows what was held back (an incomplete character, a tail that
  // could have begun a stop string), unless a stop string or a cancel ended it.
  if (s.result.status.ok() && s.result.finish_reason != "cancelled" && !s.stopped) {
    s.text.Finish(s.req.on_text);
  }
  s.result.text = s.text.text();
  if (s.cache != nullptr) {
    if (prefix_ != nullptr && s.result.status.ok()) {
      prefix_->Insert(std::span(s.history).first(static_cast<size_t>(s.cache->size())), *s.cache);
    }
    s.cache.reset();  // its pages go back at once
  }
  s.result.total_seconds = SecondsSince(s.submitted);
  if (s.req.on_done) s.req.on_done(std::move(s.result));
}

bool Scheduler::Step() {
  std::vector<SequenceInput> inputs;
  std::vector<Sequence*> fed;
  int64_t budget = options_.max_batch_tokens;
  for (auto& s : running_) {  // decodes first: running streams never wait
    if (s->fed >= s->prompt_size() && s->fed < static_cast<int64_t>(s->history.size())) {
      inputs.push_back(
          {s->cache.get(), std::span(s->history).subspan(s->fed, 1), s->logits.data()});
      fed.push_back(s.get());
      --budget;
    }
  }
  for (auto& s : running_) {  // then prompts, oldest first, in chunks
    const int64_t remaining = s->prompt_size() - s->fed;
    if (remaining <= 0) continue;
    int64_t chunk = std::min(remaining, budget);
    if (inputs.empty()) chunk = std::min(remaining, options_.max_batch_tokens);
    if (chunk <= 0) break;
    const bool last = chunk == remaining;
    inputs.push_back(
        {s->cache.get(),
         std::span(s->history).subspan(static_cast<size_t>(s->fed), static_cast<size_t>(chunk)),
         last ? s->logits.data() : nullptr});
    fed.push_back(s.get());
    budget -= chunk;
  }
  if (inputs.empty()) return false;
  const Status st = model_.model->Forward(inputs);
  int64_t prompt_tokens = 0, generated = 0;
  for (size_t i = 0; i < fed.size(); ++i) {
    Sequence& s = *fed[i];
    if (!st.ok()) {
      s.cancelled = true;
      s.result.status = st;
      continue;
    }
    const int64_t n = static_cast<int64_t>(inputs[i].tokens.size());
    if (s.fed < s.prompt_size()) {
      prompt_tokens += n;
      // Read now: its whole pages are shared with requests that come while
      // it still runs (their last page, still being written, is not).
      if (s.fed + n == s.prompt_size() && prefix_ != nullptr) {
        prefix_->Insert(s.req.prompt, *s.cache, /*finished=*/false);
      }
    }
    s.fed += n;
    if (inputs[i].logits == nullptr) continue;
    if (s.req.constraint) s.req.constraint->Mask(s.logits);
    const int32_t token = s.sampler.Sample(s.logits, s.history);
    ++generated;
    if (!s.started) {
      s.started = true;
      s.result.first_token_seconds = SecondsSince(s.submitted);
    }
    std::string reason;
    if (model_.tokenizer->IsEndOfGeneration(token)) {
      reason = "stop";
    } else {
      s.result.tokens.push_back(token);
      s.history.push_back(token);
      if (s.req.constraint) s.req.constraint->Accept(token);
      if (!s.text.Push(token, s.req.on_text, &s.stopped)) {
        reason = "cancelled";
      } else if (s.stopped || (s.req.constraint && s.req.constraint->Done())) {
        reason = "stop";
      } else if (static_cast<int>(s.result.tokens.size()) >= s.req.max_tokens ||
                 s.fed + 1 > options_.n_ctx) {
        reason = "length";
      }
    }
    if (!reason.empty()) {
      s.cancelled = true;  // leaves the batch below
      s.result.finish_reason = reason;
    }
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.steps;
    stats_.prompt_tokens_run += prompt_tokens;
    stats_.tokens_generated += generated;
  }
  Retire(false);  // finished sequences leave now
  return true;
}

void Scheduler::Retire(bool all) {
  std::vector<std::unique_ptr<Sequence>> done;
  for (auto it = running_.begin(); it != running_.end();) {
    if ((*it)->cancelled || all) {
      done.push_back(std::move(*it));
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  {
    std::lock_guard lock(mu_);
    stats_.running = static_cast<int64_t>(running_.size());
  }
  for (auto& s : done) Finish(*s);
}

void Scheduler::Loop() {
  for (;;) {
    std::vector<std::unique_ptr<Sequence>> dropped;  // cancelled while queued
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || !running_.empty() || !queue_.empty() || !cancel_requests_.empty();
      });
      stopping = stop_;
      for (uint64_t id : cancel_requests_) {
        for (auto& s : running_) {
          if (s->id == id) s->cancelled = true;
        }
        for (auto& s : queue_) {
          if (s->id == id) s->cancelled = true;
        }
      }
      cancel_requests_.clear();
      for (auto it = queue_.begin(); it != queue_.end();) {
        if ((*it)->cancelled || stopping) {
          dropped.push_back(std::move(*it));
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      if (!stopping) Admit();
    }
    for (auto& s : dropped) Finish(*s);
    Retire(stopping);
    if (stopping) return;
    Step();
  }
}

}  // namespace kiln::engine
