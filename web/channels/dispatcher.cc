#include "web/channels/dispatcher.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <thread>

#include "base/clock.h"
#include "base/log.h"

namespace kiln::web::channels {
namespace {

bool Retryable(int status) { return status == 429 || status >= 500; }

// How long the platform asks us to wait, or -1: the Retry-After header in
// seconds, or the Bot API's {"parameters": {"retry_after": S}} in the body.
int64_t RetryAfterMs(const plugins::FetchResponse& r) {
  const std::string v = r.Header("retry-after");
  int64_t s = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  // Capped at a day (the backoff cap applies later), so the product cannot overflow.
  if (!v.empty() && ec == std::errc() && end == v.data() + v.size() && s >= 0) {
    return std::min<int64_t>(s, 86400) * 1000;
  }
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("parameters") && body["parameters"].is_object()) {
    const nlohmann::json& after = body["parameters"].value("retry_after", nlohmann::json());
    if (after.is_number_integer() && after.get<int64_t>() >= 0) {
      return std::min<int64_t>(after.get<int64_t>(), 86400) * 1000;
    }
  }
  return -1;
}

std::string Short(std::string text, size_t max = 300) {
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

}  // namespace

Dispatcher::Dispatcher(DispatcherOptions options)
    : options_(std::move(options)),
      pool_(std::make_unique<ThreadPool>(
          static_cast<size_t>(std::max(1, options_.delivery_threads)))) {}

Dispatcher::~Dispatcher() {
  // A turn still running at shutdown gets a while to finish and be delivered.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pending_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pool_.reset();  // runs what is queued, then joins
}

int64_t Dispatcher::Now() const { return options_.now ? options_.now() : UnixSeconds(); }

void Dispatcher::WaitIdle() {
  while (pending_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pool_->WaitIdle();
}

Result<bool> Dispatcher::Take(const storage::Channel& channel, const Platform& platform,
                              InboundMessage message) {
  storage::ChannelRepository& repo = options_.store->channels();
  KILN_ASSIGN_OR_RETURN(bool fresh, repo.RecordEvent(channel.id, message.event_id, Now()));
  if (!fresh) return false;

  // Each platform user keeps their own conversation with the bot.
  agent::ChatTurn turn;
  turn.workspace_id = channel.workspace_id;
  turn.bot_id = channel.bot_id;
  turn.user_id = channel.type + ":" + message.user_id;
  turn.message = message.text;
  turn.source = "channel";
  storage::ListOptions latest;
  latest.limit = 1;
  Result<storage::Page<storage::Conversation>> conversations = options_.store->conversations().List(
      channel.workspace_id, channel.bot_id, turn.user_id, latest);
  if (conversations.ok() && !conversations->items.empty()) {
    turn.conversation_id = conversations->items[0].id;
  }

  struct State {
    std::string text;
    std::string error;
    bool finished = false;
  };
  auto state = std::make_shared<State>();
  pending_++;
  auto finish = [this, channel, &platform, message, state]() {
    if (state->finished) return;
    state->finished = true;
    const bool queued = pool_->Submit([this, channel, &platform, message, state] {
      // The platform code reads outside JSON through nlohmann, which throws
      // on a type it did not expect. The readers check types, and this is
      // the backstop: a slip costs one reply, never the server (an exception
      // leaving a pool thread would end the process).
      try {
        Deliver(channel, platform, message, state->text, state->error);
      } catch (const std::exception& e) {
        KILN_LOG(ERROR) << "channel " << channel.id << ": delivery of " << message.event_id
                        << " failed: " << e.what();
      }
      pending_--;
    });
    if (!queued) pending_--;
  };
  Status submitted = options_.agent->Submit(turn, [state, finish](const agent::AgentEvent& e) {
    if (e.type == "delta") {
      state->text += e.data.value("text", "");
    } else if (e.type == "done") {
      if (e.data.contains("text") && e.data["text"].is_string()) {
        state->text = e.data["text"].get<std::string>();
      }
      finish();
    } else if (e.type == "error") {
      state->error = "the bot could not answer: " + e.data.value("message", std::string("error"));
      finish();
    }
    return true;
  });
  if (submitted.code() == StatusCode::kResourceExhausted) {
    pending_--;
    KILN_RETURN_IF_ERROR(repo.ForgetEvent(channel.id, message.event_id));
    return submitted;
  }
  if (!submitted.ok()) {
    // Not published, a model missing, ...: nothing to say on the platform,
    // but the delivery log says why.
    state->error = "the bot could not answer: " + submitted.message();
    finish();
  }
  return true;
}

plugins::FetchOptions Dispatcher::FetchFor(const Outbound& call) const {
  plugins::FetchOptions fetch = options_.fetch;  // the outbound guard and allowlist
  fetch.method = call.method;
  fetch.headers = call.headers;
  fetch.body = call.body;
  fetch.timeout_ms = options_.call_timeout_ms;
  fetch.max_redirects = 0;  // platform APIs answer where they are asked
  fetch.max_response_bytes = 1 << 20;
  fetch.pool = &connections_;
  return fetch;
}

void Dispatcher::ForgetToken(const std::string& channel_id) {
  std::lock_guard<std::mutex> lock(tokens_mu_);
  tokens_.erase(channel_id);
}

Result<std::string> Dispatcher::AccessToken(const storage::Channel& channel,
                                            const Platform& platform,
                                            const nlohmann::json& secrets) {
  {
    std::lock_guard<std::mutex> lock(tokens_mu_);
    auto it = tokens_.find(channel.id);
    // Keyed by channel; a changed secret gets a new token once this expires
    // or the platform refuses it.
    if (it != tokens_.end() && it->second.second - 300 > Now()) return it->second.first;
  }
  KILN_ASSIGN_OR_RETURN(Outbound call, platform.token_request(secrets, channel.api_base_url));
  const plugins::FetchOptions fetch = FetchFor(call);
  Status last = Unavailable("no answer");
  for (int attempt = 1; attempt <= 3; ++attempt) {
    Result<plugins::FetchResponse> r = plugins::HttpFetch(call.url, fetch);
    if (r.ok() && r->status >= 200 && r->status < 300) {
      KILN_ASSIGN_OR_RETURN(auto token, platform.token_from(r->body));
      std::lock_guard<std::mutex> lock(tokens_mu_);
      tokens_[channel.id] = {token.first, Now() + token.second};
      return token.first;
    }
    last = r.ok() ? Unavailable("HTTP " + std::to_string(r->status) + ": " + Short(r->body, 200))
                  : r.status();
    if (r.ok() && !Retryable(r->status)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.first_backoff_ms * attempt));
  }
  return last;
}

void Dispatcher::Deliver(const storage::Channel& channel, const Platform& platform,
                         const InboundMessage& message, const std::string& text,
                         const std::string& error) {
  storage::ChannelRepository& repo = options_.store->channels();
  storage::ChannelDelivery d;
  d.channel_id = channel.id;
  d.event_id = message.event_id;
  d.target = message.chat_id;
  d.created_at = d.updated_at = Now();
  auto record = [&](const std::string& status, const std::string& why) {
    d.status = status;
    d.last_error = Short(why);
    d.updated_at = Now();
    Result<int64_t> id = repo.AddDelivery(d);
    if (!id.ok()) {
      KILN_LOG(WARNING) << "channel " << channel.id << ": " << id.status().ToString();
    }
  };
  if (!error.empty()) return record("failed", error);
  if (text.empty()) return record("failed", "the bot's answer was empty");

  nlohmann::json secrets = nlohmann::json::parse(channel.secrets, nullptr, false);
  if (platform.token_request != nullptr) {
    Result<std::string> token = AccessToken(channel, platform, secrets);
    if (!token.ok()) return record("failed", "no access token: " + token.status().message());
    secrets["access_token"] = *token;
  }
  Result<std::vector<Outbound>> calls =
      platform.reply(message, text, secrets, channel.api_base_url, Now());
  if (!calls.ok()) return record("failed", calls.status().message());

  for (const Outbound& call : *calls) {
    const plugins::FetchOptions fetch = FetchFor(call);
    int64_t backoff = options_.first_backoff_ms;
    bool sent = false;
    std::string why;
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      d.attempts++;
      Result<plugins::FetchResponse> r = plugins::HttpFetch(call.url, fetch);
      int64_t wait = backoff;
      if (r.ok()) {
        d.http_status = r->status;
        if (r->status >= 200 && r->status < 300) {
          why = platform.refusal != nullptr ? platform.refusal(r->body) : "";
          sent = why.empty();
          break;  // a refusal in a 2xx answer (a bad channel id) will not get better
        }
        why = "HTTP " + std::to_string(r->status) + ": " + Short(r->body, 200);
        // A token the platform no longer takes is fetched afresh next time.
        if (r->status == 401 || r->status == 403) ForgetToken(channel.id);
        if (!Retryable(r->status)) break;
        if (int64_t after = RetryAfterMs(*r); after >= 0) wait = after;
      } else {
        d.http_status = 0;
        why = r.status().message();
        // A refused address or a bad URL will not get better.
        if (r.status().code() == StatusCode::kPermissionDenied ||
            r.status().code() == StatusCode::kInvalidArgument) {
          break;
        }
      }
      if (attempt == options_.max_attempts) break;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(wait, options_.max_backoff_ms)));
      backoff = std::min(backoff * 2, options_.max_backoff_ms);
    }
    if (!sent) {
      return record("failed", why + " (after " + std::to_string(d.attempts) + " attempts)");
    }
  }
  record("sent", "");
}

}  // namespace kiln::web::channels
