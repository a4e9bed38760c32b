// Feishu / Lark (event subscription, schema 2.0; ../shared/specs/channels.md
// section 4). Inbound: {"encrypt": ...} bodies, signed with
// SHA-256(timestamp + nonce + encrypt_key + raw body) (not an HMAC), in our
// own 5-minute window, then AES-256-CBC decrypted with SHA-256(encrypt_key)
// (iv first, PKCS#7); the verification token checked; the URL check answered
// with its challenge; im.message.receive_v1 text messages answered (group
// chats only when the bot is @mentioned), deduplicated on header.event_id.
// Outbound: a tenant_access_token (cached), then the reply API on the user's
// message; success is code 0 in the body.
#include <algorithm>

#include "base/base64.h"
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

constexpr int64_t kFeishuWindowSeconds = 300;
constexpr size_t kFeishuMaxChars = 4000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Result<Received> Receive(const Request& request, const json& secrets, int64_t now) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "Feishu"));
  const std::string encrypt_key = SecretOf(secrets, "encrypt_key");
  const std::string verification = SecretOf(secrets, "verification_token");
  if (encrypt_key.empty() || verification.empty()) {
    return Unauthenticated("the channel has no encrypt_key or verification_token");
  }
  // A signature, when there is one, is checked over the raw bytes before
  // anything is parsed or decrypted.
  const std::string_view signature = request.Header("x-lark-signature");
  const std::string_view ts = request.Header("x-lark-request-timestamp");
  const std::string_view nonce = request.Header("x-lark-request-nonce");
  const bool signed_request = !signature.empty();
  if (signed_request) {
    KILN_RETURN_IF_ERROR(CheckTimestamp(ts, now, kFeishuWindowSeconds, "X-Lark-Request-Timestamp"));
    std::string base;
    base.append(ts).append(nonce).append(encrypt_key).append(request.body);
    if (!ConstantTimeEquals(signature, Sha256Hex(base))) {
      return Unauthenticated("the Feishu signature does not match");
    }
  }
  json outer = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (outer.is_discarded() || !outer.is_object()) return InvalidArgument("the body must be JSON");
  if (StringOf(outer, "encrypt").empty()) {
    return Unauthenticated("with an Encrypt Key set, Feishu sends encrypted bodies only");
  }
  const std::optional<std::string> raw = Base64Decode(StringOf(outer, "encrypt"));
  if (!raw || raw->size() < 32)
    return InvalidArgument("encrypt is not base64 of iv and ciphertext");
  const std::optional<std::string> plain =
      Aes256CbcDecrypt(Sha256Bytes(encrypt_key), std::string_view(*raw).substr(0, 16),
                       std::string_view(*raw).substr(16), /*pkcs7=*/true);
  if (!plain) return InvalidArgument("encrypt does not decrypt with the channel's encrypt_key");
  json body = json::parse(*plain, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return InvalidArgument("the decrypted event is not JSON");

  Received out;
  if (StringOf(body, "type") == "url_verification") {
    // The one request Feishu does not sign: the token proves it.
    if (!ConstantTimeEquals(StringOf(body, "token"), verification)) {
      return Unauthenticated("the verification token does not match");
    }
    out.body = json{{"challenge", StringOf(body, "challenge")}}.dump();
    return out;
  }
  if (!signed_request) return Unauthenticated("X-Lark-Signature is required");
  if (StringOf(body, "schema") != "2.0" || !body.contains("header") ||
      !body["header"].is_object()) {
    return InvalidArgument("only schema 2.0 events are read");
  }
  const json& header = body["header"];
  if (!ConstantTimeEquals(StringOf(header, "token"), verification)) {
    return Unauthenticated("the verification token does not match");
  }
  if (StringOf(header, "event_type") != "im.message.receive_v1") return out;
  const json event = body.value("event", json::object());
  const json sender = event.is_object() ? event.value("sender", json::object()) : json::object();
  const json message = event.is_object() ? event.value("message", json::object()) : json::object();
  if (!sender.is_object() || !message.is_object())
    return InvalidArgument("the event has no message");
  if (StringOf(sender, "sender_type") != "user" || StringOf(message, "message_type") != "text") {
    return out;
  }
  // content is JSON inside the JSON.
  const json content = json::parse(StringOf(message, "content"), nullptr, false);
  std::string text = content.is_object() ? StringOf(content, "text") : "";
  const bool group = StringOf(message, "chat_type") == "group";
  const json mentions = message.value("mentions", json::array());
  // Feishu delivers group messages to a bot when it is @mentioned.
  if (group && (!mentions.is_array() || mentions.empty())) return out;
  text = EraseMarkers(text, "@_user_", IsDigit, "");
  const std::string event_id = StringOf(header, "event_id");
  const json sender_id = sender.value("sender_id", json::object());
  const std::string user = StringOf(sender_id, "open_id");
  if (text.empty() || event_id.empty() || user.empty() || StringOf(message, "message_id").empty()) {
    return out;
  }
  InboundMessage& m = out.messages.emplace_back();
  m.event_id = event_id;
  m.user_id = user;
  m.chat_id = StringOf(message, "chat_id");
  m.is_group = group;
  m.text = text;
  m.reply = {{"message_id", StringOf(message, "message_id")}};
  return out;
}

std::string Base(std::string_view api_base_url) {
  return api_base_url.empty() ? "https://open.feishu.cn" : std::string(api_base_url);
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url, int64_t) {
  const std::string token = SecretOf(secrets, "access_token");
  if (token.empty()) return FailedPrecondition("no tenant_access_token");
  std::vector<Outbound> calls;
  const std::string id = message.reply.value("message_id", "");
  for (const std::string& piece : SplitText(text, kFeishuMaxChars)) {
    Outbound call;
    call.url = Base(api_base_url) + "/open-apis/im/v1/messages/" + id + "/reply";
    call.headers = {{"Content-Type", "application/json; charset=utf-8"},
                    {"Authorization", "Bearer " + token}};
    // uuid: Feishu's idempotency key, so a retried call is not posted twice.
    call.body = json{{"msg_type", "text"},
                     {"content", json{{"text", piece}}.dump()},
                     {"uuid", Sha256Hex(id + ":" + std::to_string(calls.size())).substr(0, 32)}}
                    .dump(-1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

std::string Refusal(std::string_view body) {
  const json r = json::parse(body, nullptr, false);
  if (r.is_object() && r.contains("code") && r["code"] != 0) {
    return "Feishu refused it: code " + r["code"].dump() + " " + StringOf(r, "msg");
  }
  return "";
}

Result<Outbound> TokenRequest(const json& secrets, std::string_view api_base_url) {
  Outbound call;
  call.url = Base(api_base_url) + "/open-apis/auth/v3/tenant_access_token/internal";
  call.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  call.body =
      json{{"app_id", SecretOf(secrets, "app_id")}, {"app_secret", SecretOf(secrets, "app_secret")}}
          .dump();
  return call;
}

Result<std::pair<std::string, int64_t>> TokenFrom(std::string_view body) {
  const json r = json::parse(body, nullptr, false);
  if (!r.is_object() || IntOf(r, "code", -1) != 0 || StringOf(r, "tenant_access_token").empty()) {
    return Unavailable("no tenant_access_token: " + std::string(body.substr(0, 200)));
  }
  // Seconds; kept within a day so that a wild value cannot overflow the expiry.
  const int64_t expire = std::clamp<int64_t>(IntOf(r, "expire", 7200), 0, 86400);
  return std::make_pair(StringOf(r, "tenant_access_token"), expire);
}

}  // namespace

const Platform* FeishuPlatform() {
  // 3 s, then it pushes again (1 s for the URL check, by an older doc).
  static const Platform platform{.receive = Receive,
                                 .reply = Reply,
                                 .refusal = Refusal,
                                 .token_request = TokenRequest,
                                 .token_from = TokenFrom,
                                 .ack_deadline_ms = 3000};
  return &platform;
}

}  // namespace kiln::web::channels
