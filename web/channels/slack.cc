// Slack (Events API; ../shared/specs/channels.md section 2). Inbound: the v0
// signature, HMAC-SHA256 of "v0:" + timestamp + ":" + raw body under the
// signing secret, with the timestamp within 300 s; url_verification answered
// with its challenge; app_mention events and direct messages answered
// (bots' own messages and edits skipped), deduplicated on team and event id.
// Outbound: chat.postMessage in the thread of the message, 4,000 characters
// a message; {"ok": false} answers count as refusals.
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

constexpr int64_t kSlackWindowSeconds = 300;
constexpr size_t kSlackMaxChars = 4000;

using json = nlohmann::json;

bool IsSlackIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

Result<Received> Receive(const Request& request, const json& secrets, int64_t now) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "Slack"));
  const std::string secret = SecretOf(secrets, "signing_secret");
  if (secret.empty()) return Unauthenticated("the channel has no signing_secret");
  const std::string_view ts = request.Header("x-slack-request-timestamp");
  const std::string_view signature = request.Header("x-slack-signature");
  if (ts.empty() || signature.empty()) {
    return Unauthenticated("X-Slack-Request-Timestamp and X-Slack-Signature are required");
  }
  KILN_RETURN_IF_ERROR(CheckTimestamp(ts, now, kSlackWindowSeconds, "X-Slack-Request-Timestamp"));
  std::string base = "v0:";
  base.append(ts).append(":").append(request.body);
  if (!ConstantTimeEquals(signature, "v0=" + HmacSha256Hex(secret, base))) {
    return Unauthenticated("the Slack signature does not match");
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return InvalidArgument("the body must be JSON");
  const std::string type = StringOf(body, "type");
  Received out;
  if (type == "url_verification") {
    const std::string challenge = StringOf(body, "challenge");
    if (challenge.empty()) return InvalidArgument("url_verification needs its challenge");
    out.body = json{{"challenge", challenge}}.dump();
    return out;
  }
  if (type != "event_callback")
    return InvalidArgument("unknown Slack request type '" + type.substr(0, 40) + "'");
  const std::string event_id = StringOf(body, "event_id");
  if (event_id.empty() || !body.contains("event") || !body["event"].is_object()) {
    return InvalidArgument("an event_callback needs event_id and event");
  }
  const json& e = body["event"];
  // Bots (this one included) and edits are not answered.
  if (e.contains("bot_id") || e.contains("subtype")) return out;
  const std::string etype = StringOf(e, "type");
  const bool mention = etype == "app_mention";
  const bool direct = etype == "message" && StringOf(e, "channel_type") == "im";
  if (!mention && !direct) return out;
  // "<@U0BOT> summarize": the mention is not part of the question.
  const std::string text = EraseMarkers(StringOf(e, "text"), "<@", IsSlackIdChar, ">");
  const std::string channel = StringOf(e, "channel");
  const std::string user = StringOf(e, "user");
  if (text.empty() || channel.empty() || user.empty()) return out;
  InboundMessage& m = out.messages.emplace_back();
  m.event_id = StringOf(body, "team_id") + ":" + event_id;
  m.user_id = user;
  m.chat_id = channel;
  m.is_group = !direct;
  m.text = text;
  const std::string thread =
      StringOf(e, "thread_ts").empty() ? StringOf(e, "ts") : StringOf(e, "thread_ts");
  m.reply = {{"channel", channel}};
  if (!thread.empty()) m.reply["thread_ts"] = thread;
  return out;
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url, int64_t) {
  const std::string token = SecretOf(secrets, "bot_token");
  if (token.empty()) return FailedPrecondition("the channel has no bot_token");
  const std::string base =
      api_base_url.empty() ? "https://slack.com/api" : std::string(api_base_url);
  std::vector<Outbound> calls;
  for (const std::string& piece : SplitText(text, kSlackMaxChars)) {
    json body = message.reply;
    body["text"] = piece;
    Outbound call;
    call.url = base + "/chat.postMessage";
    call.headers = {{"Content-Type", "application/json; charset=utf-8"},
                    {"Authorization", "Bearer " + token}};
    call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

std::string Refusal(std::string_view body) {
  const json r = json::parse(body, nullptr, false);
  if (r.is_object() && r.contains("ok") && r["ok"] == false) {
    return "Slack refused it: " + StringOf(r, "error");
  }
  return "";
}

}  // namespace

const Platform* SlackPlatform() {
  static const Platform platform{
      .receive = Receive, .reply = Reply, .refusal = Refusal, .ack_deadline_ms = 3000};
  return &platform;
}

}  // namespace kiln::web::channels
