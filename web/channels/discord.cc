// Discord (the Interactions endpoint; ../shared/specs/channels.md section 3).
// Inbound: X-Signature-Ed25519 over X-Signature-Timestamp + raw body, checked
// with the application's public key (Discord also sends bad signatures on
// purpose and drops endpoints that take them); PING answered with PONG;
// application commands taken from the command's text options, deduplicated on
// the interaction id, and acknowledged at once with a deferred response (the
// user sees "thinking", inside the 3 s Discord allows). Outbound: the answer
// edits that deferred message, then follow-ups, 2,000 characters each, with
// no mentions allowed (the bot may quote user text).
#include <optional>

#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

constexpr size_t kDiscordMaxChars = 2000;

// What the user asked: the command's string options, or its name.
std::string CommandText(const json& data) {
  std::string text;
  const json options = data.value("options", json::array());
  if (options.is_array()) {
    for (const json& o : options) {
      if (o.is_object() && o.contains("value") && o["value"].is_string()) {
        if (!text.empty()) text += " ";
        text += o["value"].get<std::string>();
      }
    }
  }
  return text.empty() ? StringOf(data, "name") : text;
}

Result<Received> Receive(const Request& request, const json& secrets, int64_t) {
  KILN_RETURN_IF_ERROR(RequirePost(request, "Discord"));
  const std::optional<std::string> key = HexDecode(SecretOf(secrets, "public_key"));
  if (!key || key->size() != 32) return Unauthenticated("the channel has no valid public_key");
  const std::string_view sig_hex = request.Header("x-signature-ed25519");
  const std::string_view ts = request.Header("x-signature-timestamp");
  if (sig_hex.empty() || ts.empty()) {
    return Unauthenticated("X-Signature-Ed25519 and X-Signature-Timestamp are required");
  }
  const std::optional<std::string> signature = HexDecode(sig_hex);
  if (!signature || signature->size() != 64) {
    return Unauthenticated("X-Signature-Ed25519 must be 64 bytes in hex");
  }
  std::string message(ts);
  message += request.body;
  if (!Ed25519Verify(*key, *signature, message)) {
    return Unauthenticated("the Ed25519 signature does not verify");
  }
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("type") ||
      !body["type"].is_number_integer()) {
    return InvalidArgument("the body must be an Interaction with a type");
  }
  Received out;
  const int64_t type = body["type"].get<int64_t>();
  if (type == 1) {  // PING
    out.body = R"({"type":1})";
    return out;
  }
  if (type != 2) return InvalidArgument("only PING and application commands are answered");
  if (StringOf(body, "application_id") != SecretOf(secrets, "application_id")) {
    return InvalidArgument("the interaction is for another application");
  }
  const std::string id = StringOf(body, "id");
  const std::string token = StringOf(body, "token");
  const json data = body.value("data", json::object());
  if (id.empty() || token.empty() || !data.is_object()) {
    return InvalidArgument("an application command needs id, token and data");
  }
  json user = json::object();
  if (body.contains("member") && body["member"].is_object()) {
    user = body["member"].value("user", json::object());
  } else if (body.contains("user")) {
    user = body["user"];
  }
  const std::string text = CommandText(data);
  if (text.empty() || StringOf(user, "id").empty()) {
    return InvalidArgument("the command has no text or no user");
  }
  out.body = R"({"type":5})";  // deferred: answered by editing it
  InboundMessage& m = out.messages.emplace_back();
  m.event_id = "interaction:" + id;
  m.user_id = StringOf(user, "id");
  m.user_name = StringOf(user, "username");
  m.chat_id = StringOf(body, "channel_id").empty() ? m.user_id : StringOf(body, "channel_id");
  m.is_group = body.contains("guild_id");
  m.text = text;
  m.reply = {{"application_id", StringOf(body, "application_id")}, {"token", token}};
  return out;
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json&, std::string_view api_base_url, int64_t) {
  const std::string base =
      api_base_url.empty() ? "https://discord.com/api/v10" : std::string(api_base_url);
  const std::string hook = base + "/webhooks/" + message.reply.value("application_id", "") + "/" +
                           message.reply.value("token", "");
  std::vector<Outbound> calls;
  for (const std::string& piece : SplitText(text, kDiscordMaxChars)) {
    Outbound call;
    // The first piece replaces the "thinking" message; the rest follow it.
    call.method = calls.empty() ? "PATCH" : "POST";
    call.url = calls.empty() ? hook + "/messages/@original" : hook;
    call.headers = {{"Content-Type", "application/json"}};
    call.body = json{{"content", piece}, {"allowed_mentions", {{"parse", json::array()}}}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

}  // namespace

const Platform* DiscordPlatform() {
  static const Platform platform{
      .receive = Receive, .reply = Reply, .ack_deadline_ms = 3000};  // then the token dies
  return &platform;
}

}  // namespace kiln::web::channels
