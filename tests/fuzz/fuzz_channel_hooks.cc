// The chat-app receivers past their signatures, and the readers of the
// platforms' API answers. Random bytes never pass a signature, so the harness
// signs them (and, for Feishu and WeCom, encrypts them) exactly as the platform
// would: the parsers behind verification get the fuzzer's bytes. The first
// byte picks what is fuzzed:
//   0 Telegram update   1 Slack event     2 LINE events     3 Discord interaction
//   4 Feishu raw body   5 Feishu event (encrypted)         6 WeCom message (encrypted)
//   7 Kiln's webhook    8 API answers (refusals, tokens)    9 answers split at limits
// Whatever the bytes, a receiver returns a result or an error; a message it
// returns names its event, and the reply calls to it carry valid JSON.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/base64.h"
#include "base/sha256.h"
#include "tests/web/channels/platform_seal.h"
#include "web/channels/channel.h"
#include "web/http.h"

namespace {

using kiln::web::Request;
using nlohmann::json;
namespace ch = kiln::web::channels;

constexpr int64_t kNow = 1700000000;
const std::string kTs = "1700000000";
const std::string kWecomKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

// Discord's key pair: a fixed seed, its public half in the channel's secrets.
struct DiscordKey {
  EVP_PKEY* key = nullptr;
  std::string public_hex;
  DiscordKey() {
    const std::string seed(32, '\x07');
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(seed.data()),
                                       seed.size());
    unsigned char pub[32];
    size_t len = sizeof(pub);
    EVP_PKEY_get_raw_public_key(key, pub, &len);
    public_hex = kiln::HexEncode(std::string_view(reinterpret_cast<const char*>(pub), len));
  }
  std::string SignHex(const std::string& message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char sig[64];
    size_t len = sizeof(sig);
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
    EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                   message.size());
    EVP_MD_CTX_free(ctx);
    return kiln::HexEncode(std::string_view(reinterpret_cast<const char*>(sig), len));
  }
};

const DiscordKey& Discord() {
  static const DiscordKey key;
  return key;
}

Request Post(std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = "POST";
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The platform's reply calls for `m` with `text`: each has a URL and a JSON
// body (every platform API here takes JSON).
void CheckReplies(const ch::Platform& p, const ch::InboundMessage& m, const std::string& text,
                  json secrets) {
  secrets["access_token"] = "at";
  auto calls = p.reply(m, text, secrets, "http://127.0.0.1:9", kNow);
  if (!calls.ok()) return;
  for (const ch::Outbound& call : *calls) {
    if (call.url.empty()) __builtin_trap();
    if (json::parse(call.body, nullptr, false).is_discarded()) __builtin_trap();
  }
}

// The checks every receiver's result must pass: a message names its event
// and has text, and the answers to it (its own text, and the fuzzed bytes as
// a model's or a tool's output) are well-formed calls.
void Check(const kiln::Result<ch::Received>& r, const ch::Platform& p, const json& secrets,
           const std::string& bytes) {
  if (!r.ok()) return;
  for (const ch::InboundMessage& m : r->messages) {
    if (m.event_id.empty() || m.text.empty()) __builtin_trap();
    CheckReplies(p, m, m.text, secrets);
    CheckReplies(p, m, bytes, secrets);
  }
}

// Pieces of any bytes: none empty, none over the limit unless it is a single
// code point, and no byte but whitespace lost.
void CheckSplit(const std::string& text, size_t max_units, ch::TextUnit unit) {
  size_t kept = 0;
  for (const std::string& piece : ch::SplitText(text, max_units, unit)) {
    if (piece.empty()) __builtin_trap();
    // Counted as SplitText counts: a sequence is a byte and the
    // continuation bytes (10xxxxxx) after it; four bytes or more are two
    // UTF-16 units.
    size_t units = 0, points = 0;
    for (size_t i = 0; i < piece.size();) {
      size_t next = i + 1;
      while (next < piece.size() && (static_cast<unsigned char>(piece[next]) & 0xC0) == 0x80) {
        ++next;
      }
      if ((static_cast<unsigned char>(piece[i]) & 0xC0) != 0x80) ++points;
      units += unit == ch::TextUnit::kUtf8Bytes ? next - i : (next - i >= 4 ? 2 : 1);
      i = next;
    }
    if (units > max_units && points > 1) __builtin_trap();
    kept += piece.size();
  }
  size_t solid = 0;
  for (char c : text) solid += (c != ' ' && c != '\n' && c != '\t' && c != '\r') ? 1 : 0;
  if (kept < solid || kept > text.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const json telegram = {{"bot_token", "1:t"}, {"secret_token", "s3cret"}};
  const json slack = {{"bot_token", "xoxb"}, {"signing_secret", "slack-secret"}};
  const json line = {{"channel_secret", "line-secret"}, {"channel_access_token", "lat"}};
  const json discord = {{"public_key", Discord().public_hex},
                        {"application_id", "1100000000000000001"},
                        {"bot_token", "dbt"}};
  const json feishu = {{"app_id", "cli"},
                       {"app_secret", "fs"},
                       {"verification_token", "VT"},
                       {"encrypt_key", "fkey"}};
  const json wecom = {{"corp_id", "wxcorp"},
                      {"agent_id", "1000002"},
                      {"secret", "ws"},
                      {"token", "wtok"},
                      {"encoding_aes_key", kWecomKey}};
  const json webhook = {{"secret", "hook-secret"}, {"callback_url", "http://127.0.0.1:9/cb"}};
  switch (data[0] % 10) {
    case 0:
      Check(ch::TelegramPlatform()->receive(
                Post(bytes, {{"x-telegram-bot-api-secret-token", "s3cret"}}), telegram, kNow),
            *ch::TelegramPlatform(), telegram, bytes);
      break;
    case 1:
      Check(ch::SlackPlatform()->receive(
                Post(bytes,
                     {{"x-slack-request-timestamp", kTs},
                      {"x-slack-signature",
                       "v0=" + kiln::HmacSha256Hex("slack-secret", "v0:" + kTs + ":" + bytes)}}),
                slack, kNow),
            *ch::SlackPlatform(), slack, bytes);
      break;
    case 2:
      Check(ch::LinePlatform()->receive(
                Post(bytes, {{"x-line-signature",
                              kiln::Base64Encode(kiln::HmacSha256("line-secret", bytes))}}),
                line, kNow),
            *ch::LinePlatform(), line, bytes);
      break;
    case 3:
      Check(ch::DiscordPlatform()->receive(
                Post(bytes, {{"x-signature-ed25519", Discord().SignHex(kTs + bytes)},
                             {"x-signature-timestamp", kTs}}),
                discord, kNow),
            *ch::DiscordPlatform(), discord, bytes);
      break;
    case 4:
    case 5: {
      const std::string body =
          data[0] % 10 == 4 ? bytes : json{{"encrypt", ch::FeishuSeal(bytes, "fkey")}}.dump();
      Check(ch::FeishuPlatform()->receive(
                Post(body, {{"x-lark-request-timestamp", kTs},
                            {"x-lark-request-nonce", "n"},
                            {"x-lark-signature", kiln::Sha256Hex(kTs + "n" + "fkey" + body)}}),
                feishu, kNow),
            *ch::FeishuPlatform(), feishu, bytes);
      break;
    }
    case 6: {
      const std::string enc = ch::WecomSeal(bytes, "wxcorp", kWecomKey);
      Request r = Post("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>", {});
      r.query.emplace("msg_signature", ch::WecomSig({"wtok", kTs, "n", enc}));
      r.query.emplace("timestamp", kTs);
      r.query.emplace("nonce", "n");
      Check(ch::WecomPlatform()->receive(r, wecom, kNow), *ch::WecomPlatform(), wecom, bytes);
      break;
    }
    case 7:
      Check(
          ch::WebhookPlatform()->receive(
              Post(bytes, {{"x-kiln-timestamp", kTs},
                           {"x-kiln-signature", ch::WebhookSignature("hook-secret", kTs, bytes)}}),
              webhook, kNow),
          *ch::WebhookPlatform(), webhook, bytes);
      break;
    case 8:
      for (const ch::Platform* p :
           {ch::SlackPlatform(), ch::FeishuPlatform(), ch::WecomPlatform()}) {
        if (p->refusal != nullptr) (void)p->refusal(bytes);
        if (p->token_from != nullptr) (void)p->token_from(bytes);
      }
      break;
    case 9:
      // Answers of any bytes cut at each platform's limit (small limits
      // too, so that short inputs reach the breaks).
      for (size_t limit : {1, 2, 3, 7, 64, 2000, 2048}) {
        CheckSplit(bytes, limit, ch::TextUnit::kUtf16);
        CheckSplit(bytes, limit, ch::TextUnit::kUtf8Bytes);
      }
      break;
  }
  return 0;
}
