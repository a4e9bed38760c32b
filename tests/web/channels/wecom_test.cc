// WeCom without a server: the spec's URL-check vector and what can be wrong
// with it, encrypted XML messages (another receiver id refused), and the
// token and message/send calls. Deliveries are encrypted and signed here as
// WeCom does (channel_test_util.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "tests/web/channels/channel_test_util.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

const json kWecomSecrets = {{"corp_id", "wx5823bf96d3bd56c7"},
                            {"agent_id", "1000002"},
                            {"secret", "wecom-secret"},
                            {"token", "QDG6eK"},
                            {"encoding_aes_key", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}};

// Encrypted as WeCom does, for the channel's corp id unless told otherwise.
std::string Encrypt(const std::string& msg, const std::string& receiver = "wx5823bf96d3bd56c7") {
  return WecomEncrypt(msg, receiver, kWecomSecrets["encoding_aes_key"]);
}

Request WecomRequest(const std::string& method, const std::string& sig,
                     const std::string& body = "", const std::string& echostr = "") {
  Request r;
  r.method = method;
  r.body = body;
  r.query.emplace("msg_signature", sig);
  r.query.emplace("timestamp", "1409659589");
  r.query.emplace("nonce", "263014780");
  if (!echostr.empty()) r.query.emplace("echostr", echostr);
  return r;
}

TEST(WecomPlatform, TheSpecsUrlCheckVector) {
  const std::string echostr =
      "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
  EXPECT_EQ(WecomSig({"QDG6eK", "1409659589", "263014780", echostr}),
            "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3");
  const Platform& p = *WecomPlatform();
  auto r = p.receive(WecomRequest("GET", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "", echostr),
                     kWecomSecrets, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "1616140317555161061");
  EXPECT_EQ(r->content_type.rfind("text/plain", 0), 0u);
  // A flipped signature, another receiver id, a bad key, no parameters.
  EXPECT_EQ(p.receive(WecomRequest("GET", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4", "", echostr),
                      kWecomSecrets, 0)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  json other = kWecomSecrets;
  other["corp_id"] = "ww_another_corp";
  EXPECT_EQ(p.receive(WecomRequest("GET", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "", echostr),
                      other, 0)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  other = kWecomSecrets;
  other["encoding_aes_key"] = "short";
  EXPECT_EQ(p.receive(WecomRequest("GET", "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "", echostr),
                      other, 0)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  Request bare;
  bare.method = "GET";
  EXPECT_EQ(p.receive(bare, kWecomSecrets, 0).status().code(), StatusCode::kUnauthenticated);
}

TEST(WecomPlatform, AMessageIsReadAndAnsweredByMessageSend) {
  const std::string xml =
      "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><FromUserName><![CDATA[zhangsan]]></"
      "FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></"
      "MsgType><Content><![CDATA[你好]]></Content>"
      "<MsgId>7300000000000000001</MsgId><AgentID>1000002</AgentID></xml>";
  const std::string enc = Encrypt(xml);
  const std::string body =
      "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
      "<Encrypt><![CDATA[" +
      enc + "]]></Encrypt></xml>";
  const std::string sig = WecomSig({"QDG6eK", "1409659589", "263014780", enc});
  const Platform& p = *WecomPlatform();
  auto r = p.receive(WecomRequest("POST", sig, body), kWecomSecrets, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "");
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].event_id, "msg:7300000000000000001");
  EXPECT_EQ(r->messages[0].user_id, "zhangsan");
  EXPECT_EQ(r->messages[0].text, "你好");
  // Refusals: a wrong signature, no <Encrypt>, another receiver, a truncated ciphertext.
  EXPECT_EQ(
      p.receive(WecomRequest("POST", sig.substr(1) + "0", body), kWecomSecrets, 0).status().code(),
      StatusCode::kUnauthenticated);
  EXPECT_EQ(p.receive(WecomRequest("POST", sig, "<xml></xml>"), kWecomSecrets, 0).status().code(),
            StatusCode::kInvalidArgument);
  const std::string foreign = Encrypt(xml, "wx_someone_else");
  EXPECT_EQ(p.receive(WecomRequest("POST", WecomSig({"QDG6eK", "1409659589", "263014780", foreign}),
                                   "<xml><Encrypt>" + foreign + "</Encrypt></xml>"),
                      kWecomSecrets, 0)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  const std::string cut = enc.substr(0, 20);
  EXPECT_EQ(p.receive(WecomRequest("POST", WecomSig({"QDG6eK", "1409659589", "263014780", cut}),
                                   "<xml><Encrypt>" + cut + "</Encrypt></xml>"),
                      kWecomSecrets, 0)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  // The answer: gettoken, then message/send in pieces within 2,048 bytes.
  auto token = p.token_request(kWecomSecrets, "http://127.0.0.1:9");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->method, "GET");
  EXPECT_EQ(
      token->url,
      "http://127.0.0.1:9/cgi-bin/gettoken?corpid=wx5823bf96d3bd56c7&corpsecret=wecom-secret");
  EXPECT_EQ(
      p.token_from(R"({"errcode":0,"errmsg":"ok","access_token":"AT","expires_in":7200})")->first,
      "AT");
  json with_token = kWecomSecrets;
  with_token["access_token"] = "AT";
  std::string answer;
  for (int i = 0; i < 1000; ++i) answer += "好";
  auto calls = p.reply(r->messages[0], answer, with_token, "http://127.0.0.1:9", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/cgi-bin/message/send?access_token=AT");
  json first = json::parse((*calls)[0].body);
  EXPECT_EQ(first["touser"], "zhangsan");
  EXPECT_EQ(first["agentid"], 1000002);
  EXPECT_LE(first["text"]["content"].get<std::string>().size(), 2048u);
  EXPECT_EQ(p.refusal(R"({"errcode":40014,"errmsg":"invalid access_token"})"),
            "WeCom refused it: errcode 40014 invalid access_token");
}

const std::string kEchostr =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
const std::string kEchostrSig = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";

StatusCode UrlCheck(const std::string& sig, const std::string& echostr,
                    const json& secrets = kWecomSecrets) {
  return WecomPlatform()
      ->receive(WecomRequest("GET", sig, "", echostr), secrets, 0)
      .status()
      .code();
}

TEST(WecomPlatform, TheUrlCheckVectorsNegatives) {
  std::string upper = kEchostrSig;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(UrlCheck(upper, kEchostr), StatusCode::kUnauthenticated);  // compared as lower hex
  EXPECT_EQ(UrlCheck(kEchostrSig.substr(0, 39), kEchostr), StatusCode::kUnauthenticated);
  EXPECT_EQ(UrlCheck("", kEchostr), StatusCode::kUnauthenticated);
  // A flipped byte of the ciphertext under the original signature.
  std::string flipped = kEchostr;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(UrlCheck(kEchostrSig, flipped), StatusCode::kUnauthenticated);
  // Signed again, it may still decrypt (CBC has no integrity of its own: the
  // signature is the check), but never to the original message.
  auto resigned = WecomPlatform()->receive(
      WecomRequest("GET", WecomSig({"QDG6eK", "1409659589", "263014780", flipped}), "", flipped),
      kWecomSecrets, 0);
  EXPECT_TRUE(!resigned.ok() || resigned->body != "1616140317555161061");
  // Another Token signs differently.
  json other = kWecomSecrets;
  other["token"] = "QDG6eL";
  EXPECT_EQ(UrlCheck(kEchostrSig, kEchostr, other), StatusCode::kUnauthenticated);
  // An EncodingAESKey of 42 characters does not decode to 32 bytes.
  other = kWecomSecrets;
  other["encoding_aes_key"] = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2";
  EXPECT_EQ(UrlCheck(kEchostrSig, kEchostr, other), StatusCode::kUnauthenticated);
  // No echostr at all.
  EXPECT_EQ(UrlCheck(kEchostrSig, ""), StatusCode::kInvalidArgument);
}

// Query values are form-decoded, so a '+' the sender did not escape arrives
// as a space; base64 has no spaces, so it is read back as '+'.
TEST(WecomPlatform, APlusLeftUnescapedInEchostrStillVerifies) {
  std::string spaced = kEchostr;
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  ASSERT_NE(spaced, kEchostr);
  auto r = WecomPlatform()->receive(WecomRequest("GET", kEchostrSig, "", spaced), kWecomSecrets, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "1616140317555161061");
}

TEST(WecomPlatform, EncryptedTextRoundTripsForItsReceiverOnly) {
  const std::string msg = "<xml><Content><![CDATA[你好，世界]]></Content></xml>";
  const std::string enc = Encrypt(msg);
  auto r = WecomPlatform()->receive(
      WecomRequest("GET", WecomSig({"QDG6eK", "1409659589", "263014780", enc}), "", enc),
      kWecomSecrets, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, msg);
  // Another corp, and the empty receiver of a smart robot, are refused.
  for (const std::string receiver : {"wx5823bf96d3bd56c8", "", "wx5823bf96d3bd56c7x"}) {
    const std::string foreign = Encrypt(msg, receiver);
    EXPECT_EQ(UrlCheck(WecomSig({"QDG6eK", "1409659589", "263014780", foreign}), foreign),
              StatusCode::kUnauthenticated)
        << receiver;
  }
}

// Plaintexts WeCom would never send, encrypted with the channel's key: the
// unpacking refuses each one instead of reading past the buffer.
TEST(WecomPlatform, BadPaddingAndLengthsAreRefused) {
  const std::string key = *Base64Decode(std::string(kWecomSecrets["encoding_aes_key"]) + "=");
  auto check = [&](const std::string& plain) {
    const std::string enc =
        Base64Encode(*Aes256CbcEncrypt(key, std::string_view(key).substr(0, 16), plain, false));
    return UrlCheck(WecomSig({"QDG6eK", "1409659589", "263014780", enc}), enc);
  };
  std::string body = std::string(16, 'r') + std::string("\0\0\0\x05", 4) + "hello" +
                     "wx5823bf96d3bd56c7";                                         // 43 bytes
  EXPECT_EQ(check(body + std::string(21, '\x15')), StatusCode::kOk);               // pad 21 to 64
  EXPECT_EQ(check(body + std::string(21, '\x00')), StatusCode::kInvalidArgument);  // pad 0
  std::string pad33 = body + std::string(53, '\x21');  // 96 bytes, pad byte 33
  EXPECT_EQ(check(pad33), StatusCode::kInvalidArgument);
  std::string long_len = body;
  long_len[19] = '\x7f';  // msg_len 127, past the end
  EXPECT_EQ(check(long_len + std::string(21, '\x15')), StatusCode::kInvalidArgument);
  // Shorter than random(16) + msg_len once unpadded.
  EXPECT_EQ(check(std::string(16, 'r') + std::string(16, '\x10')), StatusCode::kInvalidArgument);
}

TEST(WecomPlatform, EventsAreAcknowledgedAndNotAnswered) {
  const std::string xml =
      "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
      "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
      "<Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>";
  const std::string enc = Encrypt(xml);
  auto r = WecomPlatform()->receive(
      WecomRequest("POST", WecomSig({"QDG6eK", "1409659589", "263014780", enc}),
                   "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"),
      kWecomSecrets, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "");
  EXPECT_TRUE(r->messages.empty());
}

}  // namespace
}  // namespace kiln::web::channels
