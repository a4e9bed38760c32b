// Telegram (Bot API webhooks; ../shared/specs/channels.md section 1).
// Inbound: the X-Telegram-Bot-Api-Secret-Token header must equal the
// channel's secret_token (Telegram signs nothing else); one Update per
// request, deduplicated on update_id. Private chats are answered; groups only
// when the bot is mentioned (config bot_username, or any @mention when it is
// not set) or replied to. Outbound: sendMessage, the answer cut at 4096
// characters, the first piece as a reply to the user's message.
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

constexpr size_t kTelegramMaxChars = 4096;

using json = nlohmann::json;

Received Ignore() {
  Received r;
  r.status = 200;
  r.body = "{}";
  return r;
}

Result<Received> Receive(const Request& request, const json& secrets, int64_t) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "Telegram"));
  const std::string secret = SecretOf(secrets, "secret_token");
  if (secret.empty()) return Unauthenticated("the channel has no secret_token");
  if (!ConstantTimeEquals(request.Header("x-telegram-bot-api-secret-token"), secret)) {
    return Unauthenticated("X-Telegram-Bot-Api-Secret-Token is missing or wrong");
  }
  json update = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (update.is_discarded() || !update.is_object()) {
    return InvalidArgument("the body must be a JSON object (an Update)");
  }
  if (!update.contains("update_id") || !update["update_id"].is_number_integer()) {
    return InvalidArgument("update_id must be an integer");
  }
  if (!update.contains("message")) return Ignore();  // edits, callbacks, ...: not answered
  const json& m = update["message"];
  if (!m.is_object() || !m.contains("chat") || !m["chat"].is_object() ||
      !m["chat"].contains("id") || !m["chat"]["id"].is_number_integer()) {
    return InvalidArgument("message.chat.id must be an integer");
  }
  if (!m.contains("text") || !m["text"].is_string()) return Ignore();  // media
  const json from = m.value("from", json::object());
  if (!from.is_object() || BoolOf(from, "is_bot")) return Ignore();

  std::string text = m["text"].get<std::string>();
  std::string type = StringOf(m["chat"], "type");
  if (type.empty()) type = "private";
  const bool group = type == "group" || type == "supergroup";
  if (type == "channel") return Ignore();
  if (group) {
    // Answered only when addressed: an @mention of the bot (any, without a
    // configured bot_username), or a reply to one of its messages.
    std::string username = SecretOf(secrets, "bot_username");
    if (!username.empty() && username[0] != '@') username = "@" + username;
    bool addressed = false;
    const json entities = m.value("entities", json::array());
    if (entities.is_array()) {
      for (const json& e : entities) {
        if (StringOf(e, "type") != "mention") continue;
        const int64_t offset = IndexOf(e, "offset"), length = IndexOf(e, "length");
        if (offset < 0 || length < 0) continue;
        const size_t from_byte = ByteOfUtf16(text, offset);
        const size_t to_byte = ByteOfUtf16(text, offset + length);
        if (from_byte == std::string::npos || to_byte == std::string::npos || to_byte < from_byte) {
          continue;
        }
        const std::string mention = text.substr(from_byte, to_byte - from_byte);
        if (username.empty() || mention == username) {
          addressed = true;
          text.erase(from_byte, to_byte - from_byte);
          break;
        }
      }
    }
    const json reply_to = m.value("reply_to_message", json::object());
    if (reply_to.is_object() && reply_to.contains("from") && BoolOf(reply_to["from"], "is_bot")) {
      addressed = true;
    }
    if (!addressed) return Ignore();
  }
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  if (text.empty()) return Ignore();

  Received out = Ignore();
  InboundMessage& msg = out.messages.emplace_back();
  msg.event_id = "update:" + std::to_string(update["update_id"].get<int64_t>());
  msg.user_id = from.contains("id") && from["id"].is_number_integer()
                    ? std::to_string(from["id"].get<int64_t>())
                    : std::to_string(m["chat"]["id"].get<int64_t>());
  msg.user_name = StringOf(from, "first_name");
  msg.chat_id = std::to_string(m["chat"]["id"].get<int64_t>());
  msg.is_group = group;
  msg.text = text;
  msg.reply = {{"chat_id", m["chat"]["id"]}};
  if (m.contains("message_id") && m["message_id"].is_number_integer()) {
    msg.reply["message_id"] = m["message_id"];
  }
  if (m.contains("message_thread_id") && m["message_thread_id"].is_number_integer()) {
    msg.reply["message_thread_id"] = m["message_thread_id"];
  }
  return out;
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url, int64_t) {
  const std::string token = SecretOf(secrets, "bot_token");
  if (token.empty()) return FailedPrecondition("the channel has no bot_token");
  const std::string base =
      api_base_url.empty() ? "https://api.telegram.org" : std::string(api_base_url);
  std::vector<Outbound> calls;
  for (const std::string& piece : SplitText(text, kTelegramMaxChars)) {
    json body = {{"chat_id", message.reply.value("chat_id", json(message.chat_id))},
                 {"text", piece}};
    if (message.reply.contains("message_thread_id")) {
      body["message_thread_id"] = message.reply["message_thread_id"];
    }
    if (calls.empty() && message.reply.contains("message_id")) {
      body["reply_parameters"] = {{"message_id", message.reply["message_id"]},
                                  {"allow_sending_without_reply", true}};
    }
    Outbound call;
    call.url = base + "/bot" + token + "/sendMessage";
    call.headers = {{"Content-Type", "application/json"}};
    call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace

const Platform* TelegramPlatform() {
  // No deadline documented: ack_deadline_ms stays 0.
  static const Platform platform{.receive = Receive, .reply = Reply};
  return &platform;
}

}  // namespace kiln::web::channels
