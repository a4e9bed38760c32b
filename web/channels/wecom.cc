// WeCom (企业微信) self-built app callbacks (../shared/specs/channels.md
// section 5). Both directions are signed with msg_signature =
// SHA-1 of the sorted (token, timestamp, nonce, encrypted text) and encrypted
// with AES-256-CBC under base64(EncodingAESKey + "="), iv its first 16 bytes,
// padded to 32-byte blocks; the plaintext is 16 random bytes, a 4-byte
// length, the message and the receiver id, which must be the channel's
// corp_id. GET checks the URL (the decrypted echostr is the answer); POST
// brings an XML message, acknowledged with an empty body (no passive reply,
// so WeCom does not retry while the bot thinks), deduplicated on MsgId, and
// answered through message/send with an access token from gettoken.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "base/base64.h"
#include "base/sha256.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

constexpr size_t kWecomMaxBytes = 2048;  // a text message's content

std::string MsgSignature(std::string token, std::string ts, std::string nonce, std::string text) {
  std::array<std::string, 4> parts = {std::move(token), std::move(ts), std::move(nonce),
                                      std::move(text)};
  std::sort(parts.begin(), parts.end());
  return Sha1Hex(parts[0] + parts[1] + parts[2] + parts[3]);
}

// The text of the first <name>...</name> of a flat XML document, CDATA
// unwrapped; nullopt when it is not there.
std::optional<std::string> XmlField(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const size_t a = xml.find(open);
  if (a == std::string_view::npos) return std::nullopt;
  const size_t from = a + open.size();
  const size_t b = xml.find(close, from);
  if (b == std::string_view::npos) return std::nullopt;
  std::string_view v = xml.substr(from, b - from);
  if (v.starts_with("<![CDATA[") && v.ends_with("]]>")) v = v.substr(9, v.size() - 12);
  return std::string(v);
}

// Decrypts and unpacks; the receiver id must be the channel's corp id.
Result<std::string> Open(std::string_view encrypted, const json& secrets) {
  const std::optional<std::string> key = Base64Decode(SecretOf(secrets, "encoding_aes_key") + "=");
  if (!key || key->size() != 32)
    return Unauthenticated("the channel's encoding_aes_key is not valid");
  const std::optional<std::string> raw = Base64Decode(encrypted);
  if (!raw) return InvalidArgument("the encrypted text is not base64");
  std::optional<std::string> plain =
      Aes256CbcDecrypt(*key, std::string_view(*key).substr(0, 16), *raw, /*pkcs7=*/false);
  if (!plain || plain->empty()) return InvalidArgument("the encrypted text does not decrypt");
  // WeCom's own padding: PKCS#7 to a multiple of 32 bytes (pad 1-32).
  const unsigned char pad = static_cast<unsigned char>(plain->back());
  if (pad < 1 || pad > 32 || pad > plain->size()) return InvalidArgument("bad padding");
  plain->resize(plain->size() - pad);
  if (plain->size() < 20) return InvalidArgument("the decrypted text is too short");
  const uint32_t len = (static_cast<uint32_t>(static_cast<unsigned char>((*plain)[16])) << 24) |
                       (static_cast<uint32_t>(static_cast<unsigned char>((*plain)[17])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>((*plain)[18])) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>((*plain)[19]));
  if (len > plain->size() - 20) return InvalidArgument("msg_len is larger than the message");
  const std::string msg = plain->substr(20, len);
  const std::string receiver = plain->substr(20 + len);
  if (!ConstantTimeEquals(receiver, SecretOf(secrets, "corp_id"))) {
    return Unauthenticated("the message is for another receiver id");
  }
  return msg;
}

Result<Received> Receive(const Request& request, const json& secrets, int64_t) {
  if (request.method != "GET" && request.method != "POST") {
    return InvalidArgument("WeCom sends GET (the URL check) and POST only");
  }
  const std::string token = SecretOf(secrets, "token");
  if (token.empty()) return Unauthenticated("the channel has no token");
  const std::string* signature = request.Query("msg_signature");
  const std::string* ts = request.Query("timestamp");
  const std::string* nonce = request.Query("nonce");
  if (signature == nullptr || ts == nullptr || nonce == nullptr) {
    return Unauthenticated("msg_signature, timestamp and nonce are required");
  }
  Received out;
  if (request.method == "GET") {  // the URL check
    const std::string* query_echostr = request.Query("echostr");
    if (query_echostr == nullptr) return InvalidArgument("echostr is required");
    // Query values are form-decoded ('+' is a space), and echostr is base64,
    // which has no spaces: a '+' the sender left unescaped is put back.
    std::string echostr = *query_echostr;
    std::replace(echostr.begin(), echostr.end(), ' ', '+');
    if (!ConstantTimeEquals(*signature, MsgSignature(token, *ts, *nonce, echostr))) {
      return Unauthenticated("msg_signature does not match");
    }
    KILN_ASSIGN_OR_RETURN(out.body, Open(echostr, secrets));
    out.content_type = "text/plain; charset=utf-8";
    return out;
  }
  const std::optional<std::string> encrypted = XmlField(request.body, "Encrypt");
  if (!encrypted || encrypted->empty()) return InvalidArgument("the body has no <Encrypt>");
  if (!ConstantTimeEquals(*signature, MsgSignature(token, *ts, *nonce, *encrypted))) {
    return Unauthenticated("msg_signature does not match");
  }
  KILN_ASSIGN_OR_RETURN(std::string xml, Open(*encrypted, secrets));
  out.body = "";  // acknowledged; the answer goes by message/send
  out.content_type = "text/plain; charset=utf-8";
  if (XmlField(xml, "MsgType").value_or("") != "text") return out;
  const std::string user = XmlField(xml, "FromUserName").value_or("");
  const std::string text = XmlField(xml, "Content").value_or("");
  const std::string id = XmlField(xml, "MsgId").value_or("");
  if (user.empty() || text.empty())
    return InvalidArgument("a text message needs FromUserName and Content");
  InboundMessage& m = out.messages.emplace_back();
  m.event_id = id.empty() ? user + ":" + XmlField(xml, "CreateTime").value_or("") : "msg:" + id;
  m.user_id = user;
  m.chat_id = user;
  m.text = text;
  return out;
}

std::string Base(std::string_view api_base_url) {
  return api_base_url.empty() ? "https://qyapi.weixin.qq.com" : std::string(api_base_url);
}

Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                    const json& secrets, std::string_view api_base_url, int64_t) {
  const std::string token = SecretOf(secrets, "access_token");
  if (token.empty()) return FailedPrecondition("no access_token");
  int64_t agent = 0;
  const std::string agent_id = SecretOf(secrets, "agent_id");
  std::from_chars(agent_id.data(), agent_id.data() + agent_id.size(), agent);
  std::vector<Outbound> calls;
  for (const std::string& piece : SplitText(text, kWecomMaxBytes, TextUnit::kUtf8Bytes)) {
    Outbound call;
    call.url = Base(api_base_url) + "/cgi-bin/message/send?access_token=" + token;
    call.headers = {{"Content-Type", "application/json"}};
    call.body = json{{"touser", message.user_id},
                     {"msgtype", "text"},
                     {"agentid", agent},
                     {"text", {{"content", piece}}}}
                    .dump(-1, ' ', false, json::error_handler_t::replace);
    calls.push_back(std::move(call));
  }
  return calls;
}

std::string Refusal(std::string_view body) {
  const json r = json::parse(body, nullptr, false);
  if (r.is_object() && r.contains("errcode") && r["errcode"] != 0) {
    return "WeCom refused it: errcode " + r["errcode"].dump() + " " + StringOf(r, "errmsg");
  }
  return "";
}

// Query values in a URL: letters, digits and -._~ as they are, the rest %XX.
std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<Outbound> TokenRequest(const json& secrets, std::string_view api_base_url) {
  Outbound call;
  call.method = "GET";
  call.url = Base(api_base_url) +
             "/cgi-bin/gettoken?corpid=" + UrlEncode(SecretOf(secrets, "corp_id")) +
             "&corpsecret=" + UrlEncode(SecretOf(secrets, "secret"));
  return call;
}

Result<std::pair<std::string, int64_t>> TokenFrom(std::string_view body) {
  const json r = json::parse(body, nullptr, false);
  if (!r.is_object() || IntOf(r, "errcode", -1) != 0 || StringOf(r, "access_token").empty()) {
    return Unavailable("no access_token: " + std::string(body.substr(0, 200)));
  }
  // Seconds; kept within a day so that a wild value cannot overflow the expiry.
  const int64_t expires = std::clamp<int64_t>(IntOf(r, "expires_in", 7200), 0, 86400);
  return std::make_pair(StringOf(r, "access_token"), expires);
}

}  // namespace

const Platform* WecomPlatform() {
  // 5 s, then it retries (1 s for the GET URL check).
  static const Platform platform{.receive = Receive,
                                 .reply = Reply,
                                 .refusal = Refusal,
                                 .token_request = TokenRequest,
                                 .token_from = TokenFrom,
                                 .ack_deadline_ms = 5000};
  return &platform;
}

}  // namespace kiln::web::channels
