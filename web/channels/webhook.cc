// Kiln's own signed webhook: any system can talk to a bot over plain HTTPS.
//
// Inbound, POST /hooks/{id} with a JSON body
//   {"event_id": "...", "user": {"id": "...", "name"?: "..."}, "text": "...",
//    "conversation"?: "..."}
// and two headers:
//   X-Kiln-Timestamp: unix seconds, within 300 s of the server's clock
//   X-Kiln-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// The answer goes to the channel's callback_url as a POST with the same two
// headers (signed with the same secret, so the receiver can check it) and
//   {"event_id", "user_id", "conversation", "text"}.
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

constexpr int64_t kWebhookWindowSeconds = 300;

using json = nlohmann::json;

const json* StringField(const json& object, const char* name, size_t max) {
  if (!object.contains(name)) return nullptr;
  const json& v = object[name];
  if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
      v.get_ref<const std::string&>().size() > max) {
    return nullptr;
  }
  return &v;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "sha256=" + HmacSha256Hex(secret, signed_text);
}

namespace {

Result<Received> Receive(const Request& request, const json& secrets, int64_t now) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "Kiln's webhook"));
  const std::string secret = SecretOf(secrets, "secret");
  if (secret.empty()) return Unauthenticated("the channel has no secret");
  // The signature first, over the raw bytes; nothing is parsed before it holds.
  const std::string_view timestamp = request.Header("x-kiln-timestamp");
  const std::string_view signature = request.Header("x-kiln-signature");
  if (timestamp.empty() || signature.empty()) {
    return Unauthenticated("X-Kiln-Timestamp and X-Kiln-Signature are required");
  }
  KILN_RETURN_IF_ERROR(CheckTimestamp(timestamp, now, kWebhookWindowSeconds, "X-Kiln-Timestamp"));
  if (!ConstantTimeEquals(signature, WebhookSignature(secret, timestamp, request.body))) {
    return Unauthenticated("the signature does not match the body");
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return InvalidArgument("the body must be a JSON object");
  }
  const json* event_id = StringField(body, "event_id", 200);
  const json* text = StringField(body, "text", 20000);
  if (event_id == nullptr) return InvalidArgument("event_id must be a string of 1-200 characters");
  if (text == nullptr) return InvalidArgument("text must be a string of 1-20000 characters");
  if (!body.contains("user") || !body["user"].is_object()) {
    return InvalidArgument("user must be an object with an id");
  }
  const json* user_id = StringField(body["user"], "id", 200);
  if (user_id == nullptr) return InvalidArgument("user.id must be a string of 1-200 characters");
  Received out;
  out.status = 202;
  InboundMessage& m = out.messages.emplace_back();
  m.event_id = event_id->get<std::string>();
  m.user_id = user_id->get<std::string>();
  if (const json* name = StringField(body["user"], "name", 200))
    m.user_name = name->get<std::string>();
  m.chat_id = m.user_id;
  if (const json* conv = StringField(body, "conversation", 200))
    m.chat_id = conv->get<std::string>();
  m.text = text->get<std::string>();
  out.body = json{{"accepted", true}, {"event_id", m.event_id}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  return out;
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url,
                                    int64_t now) {
  std::string url = SecretOf(secrets, "callback_url");
  // A test (or a relay) may point the channel elsewhere.
  if (!api_base_url.empty()) url = std::string(api_base_url);
  if (url.empty()) return FailedPrecondition("the channel has no callback_url");
  Outbound call;
  call.url = url;
  call.body = json{
      {"event_id", message.event_id},
      {"user_id", message.user_id},
      {"conversation", message.chat_id},
      {"text",
       text}}.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string ts = std::to_string(now);
  call.headers = {
      {"Content-Type", "application/json"},
      {"X-Kiln-Timestamp", ts},
      {"X-Kiln-Signature", WebhookSignature(SecretOf(secrets, "secret"), ts, call.body)}};
  return std::vector<Outbound>{std::move(call)};
}

}  // namespace

const Platform* WebhookPlatform() {
  // The sender's own timeout: none of ours to state.
  static const Platform platform{.receive = Receive, .reply = Reply};
  return &platform;
}

}  // namespace kiln::web::channels
