// Chat-app channels: what every platform (Telegram, Slack, Discord,
// Feishu/Lark, LINE, WeCom, Kiln's own signed webhook) does in the same
// shape. A Platform reads an inbound webhook request (its raw bytes, verified
// before they are parsed) into an answer to give at once and, maybe, a user
// message for the bot; and it turns the bot's answer into the HTTP calls that
// deliver it. The Dispatcher (dispatcher.h) does the rest for every platform:
// dedup, the turn, retries, the delivery log. Platforms hold no state and are
// thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "web/http.h"

namespace kiln::web::channels {

// A user's message to the bot, as the platform gave it.
struct InboundMessage {
  std::string event_id;  // the platform's id of the delivery: retries carry the same
  std::string user_id;   // the platform user (each keeps their own conversation)
  std::string user_name;
  std::string chat_id;  // where the answer goes (a chat, channel or thread)
  std::string text;
  bool is_group = false;
  nlohmann::json reply;  // what the platform needs to answer (a reply token, ...)
};

// The answer to give the platform at once, and the messages for the bot
// (none for a platform's check or an event that is not answered; LINE sends
// several at a time).
struct Received {
  int status = 200;
  std::string content_type = "application/json";
  std::string body = "{}";
  std::vector<InboundMessage> messages;
};

// One HTTP call to the platform's API.
struct Outbound {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A platform is its two (or three) functions; each .cc file has one.
struct Platform {
  // Verifies and reads the request. Errors: kUnauthenticated (401: a missing,
  // wrong or stale signature; nothing is processed), kInvalidArgument (400:
  // a payload that cannot be read).
  Result<Received> (*receive)(const Request& request, const nlohmann::json& secrets, int64_t now);
  // The calls that deliver `text` as the answer to `message`, in order (long
  // answers split at the platform's limits).
  Result<std::vector<Outbound>> (*reply)(const InboundMessage& message, std::string_view text,
                                         const nlohmann::json& secrets,
                                         std::string_view api_base_url, int64_t now);
  // Why a 2xx answer of the platform's API still refused the call (Slack's
  // {"ok": false, "error": ...}), or ""; null: a 2xx answer is always taken.
  std::string (*refusal)(std::string_view body) = nullptr;
  // Platforms whose API wants a short-lived access token first (Feishu,
  // WeCom): the call that gets one, and how to read its answer (the token and
  // its lifetime in seconds). The Dispatcher caches it per channel and hands
  // it to `reply` as secrets["access_token"].
  Result<Outbound> (*token_request)(const nlohmann::json& secrets,
                                    std::string_view api_base_url) = nullptr;
  Result<std::pair<std::string, int64_t>> (*token_from)(std::string_view body) = nullptr;
  // How long the platform waits for the webhook's answer before it counts a
  // failure (and most then retry), in milliseconds; 0: none documented. The
  // hook answers at once and the bot runs afterwards, so this is the room any
  // work inside the request would have.
  int64_t ack_deadline_ms = 0;
};

// ---- Helpers the platforms share: checks, crypto, text.

// InvalidArgument unless `request` is a POST. GET /hooks/{cid} reaches every
// platform (it exists for WeCom's URL check), and the others send POST only,
// so anything else is refused before a signature is looked at.
Status RequirePost(const Request& request, const char* platform);

// AES-256-CBC decryption of `ciphertext` (a non-empty multiple of 16 bytes)
// with a 32-byte key and 16-byte iv; `pkcs7`: remove PKCS#7 padding of up to
// one block, else leave the plaintext as it is. nullopt when any of that fails.
std::optional<std::string> Aes256CbcDecrypt(std::string_view key, std::string_view iv,
                                            std::string_view ciphertext, bool pkcs7);
// The inverse: `pkcs7` pads to a multiple of 16 bytes first, else the
// plaintext must already be one (WeCom pads to 32 itself). nullopt on a bad
// key, iv or length.
std::optional<std::string> Aes256CbcEncrypt(std::string_view key, std::string_view iv,
                                            std::string_view plaintext, bool pkcs7);
// The bytes of hex text (either case), or nullopt when it is not hex.
std::optional<std::string> HexDecode(std::string_view hex);
// Whether `signature` (64 bytes) is the Ed25519 signature of `message` under
// the raw 32-byte `public_key` (Discord).
bool Ed25519Verify(std::string_view public_key, std::string_view signature,
                   std::string_view message);
// A signed request's timestamp header: unix seconds within `window` seconds
// of `now` either way (a replay defence), else Unauthenticated naming `header`.
Status CheckTimestamp(std::string_view value, int64_t now, int64_t window, const char* header);

// The string `key` of a JSON object, or "" (absent, another type, not an object).
std::string StringOf(const nlohmann::json& object, const char* key);
// The same for a boolean (false unless it is `true`) and an integer
// (`fallback` unless it is one). Outside JSON may hold any type anywhere:
// nlohmann's value(key, default) throws on a mismatch, so these are used
// instead on everything a platform sends.
bool BoolOf(const nlohmann::json& object, const char* key);
int64_t IntOf(const nlohmann::json& object, const char* key, int64_t fallback);
// An offset or length member: an integer in [0, 2^31), else -1 (so that two
// of them add without overflow).
int64_t IndexOf(const nlohmann::json& object, const char* key);
// The configured value of a credential, or "".
inline std::string SecretOf(const nlohmann::json& secrets, const char* name) {
  return StringOf(secrets, name);
}

// The byte offset in UTF-8 `text` of UTF-16 code unit `units` (the unit
// Telegram's and LINE's mention offsets count), or npos when it falls inside
// a character or past the end.
size_t ByteOfUtf16(std::string_view text, int64_t units);

// Erases from `text` every `prefix` + one or more id characters + `suffix`,
// with the whitespace after it: Slack's "<@U0BOT> " and Feishu's "@_user_1 ".
// A plain scan on purpose: std::regex recurses once a character, and a user's
// 40,000 spaces after a mention overflowed the stack.
std::string EraseMarkers(std::string_view text, std::string_view prefix, bool (*is_id)(char),
                         std::string_view suffix);

// What a platform's message-length limit counts.
enum class TextUnit {
  // UTF-16 code units: what LINE documents, and never fewer than code
  // points, so also safe where a platform says "characters" without more.
  kUtf16,
  kUtf8Bytes,  // WeCom's 2,048 bytes
};

// Cuts `text` into pieces of at most `max_units` each, at a paragraph, line
// or word break where there is one in the second half of a piece, and never
// inside a UTF-8 sequence (a piece holds at least one code point, even one
// wider than the limit). Empty text gives no pieces.
std::vector<std::string> SplitText(std::string_view text, size_t max_units,
                                   TextUnit unit = TextUnit::kUtf16);

// The platform of a channel type; null for a type without one yet.
const Platform* PlatformFor(std::string_view type);

// Each platform, one object for the process (in its own .cc file).
const Platform* WebhookPlatform();
const Platform* TelegramPlatform();
const Platform* SlackPlatform();
const Platform* LinePlatform();
const Platform* DiscordPlatform();
const Platform* FeishuPlatform();
const Platform* WecomPlatform();

// Kiln's own webhook's X-Kiln-Signature for a timestamp and body (webhook.cc).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

}  // namespace kiln::web::channels
