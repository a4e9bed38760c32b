// LINE (Messaging API; ../shared/specs/channels.md section 6). Inbound: the
// x-line-signature header, base64 of HMAC-SHA256 of the raw body under the
// channel secret; several events a request, each deduplicated on its
// webhookEventId; text messages answered (standby mode skipped), in groups
// and rooms only when the bot is mentioned. Outbound: the reply API with the
// event's reply token (up to 5 messages of 5,000 characters), then push for
// what does not fit; push for all of it once the token may have expired.
#include <regex>

#include "base/base64.h"
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

constexpr size_t kLineMaxChars = 5000;
constexpr size_t kLineMessagesPerCall = 5;
// A reply token "becomes invalid after a certain period": about 30 s was
// observed (the spec). Answers later than this go by push (which counts
// against the channel's message quota, where replies are free).
constexpr int64_t kReplyTokenSeconds = 20;

using json = nlohmann::json;

Result<Received> Receive(const Request& request, const json& secrets, int64_t now) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "LINE"));
  const std::string secret = SecretOf(secrets, "channel_secret");
  if (secret.empty()) return Unauthenticated("the channel has no channel_secret");
  const std::string_view signature = request.Header("x-line-signature");
  if (signature.empty()) return Unauthenticated("x-line-signature is required");
  if (!Base64Decode(signature).has_value())
    return Unauthenticated("x-line-signature is not base64");
  if (!ConstantTimeEquals(signature, Base64Encode(HmacSha256(secret, request.body)))) {
    return Unauthenticated("the LINE signature does not match");
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return InvalidArgument("the body must be JSON");
  static const std::regex kDestination("U[0-9a-f]{32}");
  if (!std::regex_match(StringOf(body, "destination"), kDestination)) {
    return InvalidArgument("destination must be the bot's user id (U and 32 hex digits)");
  }
  if (!body.contains("events") || !body["events"].is_array()) {
    return InvalidArgument("events must be an array");
  }
  Received out;  // 200 {}; "Verify" in the console sends no events
  for (const json& e : body["events"]) {
    if (!e.is_object() || StringOf(e, "type") != "message" || StringOf(e, "mode") == "standby")
      continue;
    const json& msg = e.value("message", json::object());
    if (!msg.is_object() || StringOf(msg, "type") != "text") continue;
    const json& source = e.value("source", json::object());
    const std::string source_type = StringOf(source, "type");
    const std::string user = StringOf(source, "userId");
    std::string text = StringOf(msg, "text");
    const bool group = source_type == "group" || source_type == "room";
    if (group) {
      // Only when the bot is mentioned; the mention is cut from the question.
      bool mentioned = false;
      const json mention = msg.value("mention", json::object());
      if (mention.is_object() && mention.contains("mentionees") &&
          mention["mentionees"].is_array()) {
        for (const json& who : mention["mentionees"]) {
          if (!BoolOf(who, "isSelf")) continue;
          mentioned = true;
          const int64_t index = IndexOf(who, "index"), length = IndexOf(who, "length");
          if (index >= 0 && length >= 0) {
            const size_t from = ByteOfUtf16(text, index);
            const size_t to = ByteOfUtf16(text, index + length);
            if (from != std::string::npos && to != std::string::npos && to >= from) {
              text.erase(from, to - from);
            }
          }
          break;
        }
      }
      if (!mentioned) continue;
    }
    while (!text.empty() && text.front() == ' ') text.erase(0, 1);
    if (text.empty()) continue;
    std::string event_id = StringOf(e, "webhookEventId");
    if (event_id.empty()) event_id = "message:" + StringOf(msg, "id");
    if (event_id == "message:") continue;
    const std::string chat = source_type == "group"  ? StringOf(source, "groupId")
                             : source_type == "room" ? StringOf(source, "roomId")
                                                     : user;
    if (chat.empty()) continue;
    InboundMessage& m = out.messages.emplace_back();
    m.event_id = event_id;
    m.user_id = user.empty() ? chat : user;
    m.chat_id = chat;
    m.is_group = group;
    m.text = text;
    m.reply = {{"to", chat}};
    if (!StringOf(e, "replyToken").empty()) {
      m.reply["replyToken"] = StringOf(e, "replyToken");
      m.reply["received_at"] = now;
    }
  }
  return out;
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url,
                                    int64_t now) {
  const std::string token = SecretOf(secrets, "channel_access_token");
  if (token.empty()) return FailedPrecondition("the channel has no channel_access_token");
  const std::string base = api_base_url.empty() ? "https://api.line.me" : std::string(api_base_url);
  const std::vector<std::string> pieces = SplitText(text, kLineMaxChars);
  const int64_t received_at = message.reply.value("received_at", int64_t{0});
  const bool token_fresh =
      message.reply.contains("replyToken") && now - received_at < kReplyTokenSeconds;
  std::vector<Outbound> calls;
  for (size_t i = 0; i < pieces.size(); i += kLineMessagesPerCall) {
    json messages = json::array();
    for (size_t k = i; k < pieces.size() && k < i + kLineMessagesPerCall; ++k) {
      messages.push_back({{"type", "text"}, {"text", pieces[k]}});
    }
    // The reply token answers once; what does not fit goes by push.
    const bool reply = i == 0 && token_fresh;
    json body =
        reply ? json{{"replyToken", message.reply["replyToken"]}, {"messages", messages}}
              : json{{"to", message.reply.value("to", message.chat_id)}, {"messages", messages}};
    Outbound call;
    call.url = base + (reply ? "/v2/bot/message/reply" : "/v2/bot/message/push");
    call.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
    call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace

const Platform* LinePlatform() {
  static const Platform platform{
      .receive = Receive, .reply = Reply, .ack_deadline_ms = 2000};  // request_timeout
  return &platform;
}

}  // namespace kiln::web::channels
