// Feishu / Lark without a server: the spec's signature and decryption
// vectors and what can be wrong with them, the URL check, messages (groups
// only when the bot is mentioned, apps' own messages skipped), and the token
// and reply calls. Deliveries are encrypted here as Feishu does
// (channel_test_util.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/sha256.h"
#include "tests/web/channels/channel_test_util.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

const json kFeishuSecrets = {{"app_id", "cli_test"},
                             {"app_secret", "feishu-secret"},
                             {"verification_token", "VT_test"},
                             {"encrypt_key", "test key"}};

Result<Received> Feishu(const std::string& body, bool sign = true,
                        const std::string& ts = "1700000000", const std::string& key = "test key") {
  std::vector<std::pair<std::string, std::string>> headers;
  if (sign) {
    headers = {{"x-lark-request-timestamp", ts},
               {"x-lark-request-nonce", "n0nce"},
               {"x-lark-signature", Sha256Hex(ts + "n0nce" + key + body)}};
  }
  return FeishuPlatform()->receive(Post(body, headers), kFeishuSecrets, 1700000000);
}

TEST(FeishuPlatform, TheSpecsVectors) {
  const std::string body = R"({"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="})";
  EXPECT_EQ(Sha256Hex("1700000000n0ncetest key" + body),
            "bed8fdd3e4bbc581364c140b572ec676edff3db612d57bbc07a24d062c40ddf3");
  auto raw = Base64Decode("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=");
  ASSERT_TRUE(raw.has_value());
  auto plain = Aes256CbcDecrypt(Sha256Bytes("test key"), raw->substr(0, 16), raw->substr(16), true);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, "hello world");
  // Signed, but "hello world" is not an event.
  EXPECT_EQ(Feishu(body).status().code(), StatusCode::kInvalidArgument);
  // Derived negatives: a flipped byte, uppercase hex, a wrong key, stale.
  std::string flipped = body;
  flipped[15] ^= 1;
  auto sig_of = [](const std::string& b) { return Sha256Hex("1700000000n0ncetest key" + b); };
  auto with_sig = [&](const std::string& b, const std::string& sig) {
    return FeishuPlatform()->receive(Post(b, {{"x-lark-request-timestamp", "1700000000"},
                                              {"x-lark-request-nonce", "n0nce"},
                                              {"x-lark-signature", sig}}),
                                     kFeishuSecrets, 1700000000);
  };
  EXPECT_EQ(with_sig(flipped, sig_of(body)).status().code(), StatusCode::kUnauthenticated);
  std::string upper = sig_of(body);
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(with_sig(body, upper).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Feishu(body, true, "1700000000", "other key").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Feishu(body, true, "1699999000").status().code(), StatusCode::kUnauthenticated);
  // Bad padding or sizes, bad base64, plaintext bodies.
  auto wrong_key =
      Aes256CbcDecrypt(Sha256Bytes("other"), raw->substr(0, 16), raw->substr(16), true);
  EXPECT_TRUE(!wrong_key.has_value() || *wrong_key != "hello world");
  EXPECT_EQ(Feishu(R"({"encrypt":"AAAA"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Feishu(R"({"encrypt":"not base64"})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Feishu(R"({"schema":"2.0","header":{}})").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_FALSE(
      Aes256CbcDecrypt(std::string(32, 'k'), std::string(16, 'i'), std::string(15, 'c'), true));
}

// The spec's im.message.receive_v1 example with `text` in its content.
json TextEvent(const std::string& text, const std::string& chat_type = "p2p") {
  return {{"schema", "2.0"},
          {"header",
           {{"event_id", "5e3702a84e847582be8db7fb00000001"},
            {"event_type", "im.message.receive_v1"},
            {"token", "VT_test"},
            {"app_id", "cli_test"}}},
          {"event",
           {{"sender", {{"sender_id", {{"open_id", "ou_user1"}}}, {"sender_type", "user"}}},
            {"message",
             {{"message_id", "om_msg1"},
              {"chat_id", "oc_chat1"},
              {"chat_type", chat_type},
              {"message_type", "text"},
              {"content", json({{"text", text}}).dump()},
              {"mentions", json::array()}}}}}};
}

Result<Received> FeishuEvent(const json& event) {
  return Feishu(json({{"encrypt", FeishuEncrypt(event.dump())}}).dump());
}

TEST(FeishuPlatform, ChallengeAndAMessage) {
  const std::string challenge =
      FeishuEncrypt(R"({"challenge":"ch-1","token":"VT_test","type":"url_verification"})");
  // The URL check is not signed; its token proves it.
  auto r = Feishu(json({{"encrypt", challenge}}).dump(), false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::parse(r->body), json({{"challenge", "ch-1"}}));
  EXPECT_EQ(
      Feishu(json({{"encrypt",
                    FeishuEncrypt(R"({"challenge":"c","token":"bad","type":"url_verification"})")}})
                 .dump(),
             false)
          .status()
          .code(),
      StatusCode::kUnauthenticated);
  const json event = TextEvent("hello bot");
  const std::string body = json({{"encrypt", FeishuEncrypt(event.dump())}}).dump();
  r = Feishu(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].event_id, "5e3702a84e847582be8db7fb00000001");
  EXPECT_EQ(r->messages[0].text, "hello bot");
  EXPECT_EQ(r->messages[0].user_id, "ou_user1");
  // Unsigned events are refused; so is another verification token.
  EXPECT_EQ(Feishu(body, false).status().code(), StatusCode::kUnauthenticated);
  json wrong = event;
  wrong["header"]["token"] = "VT_other";
  EXPECT_EQ(Feishu(json({{"encrypt", FeishuEncrypt(wrong.dump())}}).dump()).status().code(),
            StatusCode::kUnauthenticated);
  // Plaintext events are refused when an Encrypt Key is set.
  EXPECT_EQ(Feishu(event.dump()).status().code(), StatusCode::kUnauthenticated);
  // Groups: only with an @mention, which is cut from the text.
  json group = event;
  group["event"]["message"]["chat_type"] = "group";
  EXPECT_TRUE(Feishu(json({{"encrypt", FeishuEncrypt(group.dump())}}).dump())->messages.empty());
  group["event"]["message"]["content"] = R"({"text":"@_user_1 在吗"})";
  group["event"]["message"]["mentions"] = json::array({{{"key", "@_user_1"}, {"name", "Kiln"}}});
  r = Feishu(json({{"encrypt", FeishuEncrypt(group.dump())}}).dump());
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].text, "在吗");
  // The reply: a token first, then the reply API with code 0 for success.
  const Platform& p = *FeishuPlatform();
  auto token_call = p.token_request(kFeishuSecrets, "http://127.0.0.1:9");
  ASSERT_TRUE(token_call.ok());
  EXPECT_EQ(token_call->url, "http://127.0.0.1:9/open-apis/auth/v3/tenant_access_token/internal");
  EXPECT_EQ(json::parse(token_call->body),
            json({{"app_id", "cli_test"}, {"app_secret", "feishu-secret"}}));
  auto token = p.token_from(R"({"code":0,"msg":"ok","tenant_access_token":"t-abc","expire":7200})");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->first, "t-abc");
  EXPECT_FALSE(p.token_from(R"({"code":10003,"msg":"invalid"})").ok());
  json with_token = kFeishuSecrets;
  with_token["access_token"] = "t-abc";
  auto calls = p.reply(r->messages[0], "好的", with_token, "http://127.0.0.1:9", 0);
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/open-apis/im/v1/messages/om_msg1/reply");
  EXPECT_EQ(json::parse(json::parse((*calls)[0].body)["content"].get<std::string>())["text"],
            "好的");
  EXPECT_EQ(p.refusal(R"({"code":230002,"msg":"bot not in chat"})"),
            "Feishu refused it: code 230002 bot not in chat");
  EXPECT_EQ(p.refusal(R"({"code":0})"), "");
}

TEST(FeishuPlatform, AppsOwnMessagesAndOtherEventsAreSkipped) {
  ASSERT_EQ(FeishuEvent(TextEvent("hello"))->messages.size(), 1u);
  json from_app = TextEvent("hello");
  from_app["event"]["sender"]["sender_type"] = "app";
  auto r = FeishuEvent(from_app);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->messages.empty());
  json image = TextEvent("hello");
  image["event"]["message"]["message_type"] = "image";
  EXPECT_TRUE(FeishuEvent(image)->messages.empty());
  json added = TextEvent("hello");
  added["header"]["event_type"] = "im.chat.member.bot.added_v1";
  EXPECT_TRUE(FeishuEvent(added)->messages.empty());
  // Schema 1.0 events are not read.
  json v1 = TextEvent("hello");
  v1["schema"] = "1.0";
  EXPECT_EQ(FeishuEvent(v1).status().code(), StatusCode::kInvalidArgument);
}

// The placeholder was cut by a std::regex, which recursed once a character
// and overflowed the stack on a long run after a mention.
TEST(FeishuPlatform, ALongRunAfterAMentionDoesNotOverflowTheStack) {
  json group = TextEvent("@_user_1" + std::string(200000, ' ') + "在吗", "group");
  group["event"]["message"]["mentions"] = json::array({{{"key", "@_user_1"}, {"name", "Kiln"}}});
  auto r = FeishuEvent(group);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].text, "在吗");
  EXPECT_TRUE(r->messages[0].is_group);
  group["event"]["message"]["content"] =
      json({{"text", "@_user_" + std::string(200000, '7') + " hi"}}).dump();
  EXPECT_EQ(FeishuEvent(group)->messages.at(0).text, "hi");
}

TEST(FeishuPlatform, EncryptedBodiesRoundTripAndRefuseTampering) {
  const std::string plain = TextEvent("你好").dump();
  const std::string enc = FeishuEncrypt(plain);
  const std::string raw = *Base64Decode(enc);
  EXPECT_EQ(Aes256CbcDecrypt(Sha256Bytes("test key"), raw.substr(0, 16), raw.substr(16), true),
            plain);
  // Under another encrypt_key the body is signed right but does not decrypt.
  const std::string other = json({{"encrypt", FeishuEncrypt(plain, "other key")}}).dump();
  EXPECT_EQ(Feishu(other).status().code(), StatusCode::kInvalidArgument);
  // A ciphertext cut by a block, or one byte short of a block.
  const std::string cut = Base64Encode(raw.substr(0, raw.size() - 16));
  EXPECT_FALSE(Feishu(json({{"encrypt", cut}}).dump()).ok());
  const std::string ragged = Base64Encode(raw.substr(0, raw.size() - 1));
  EXPECT_EQ(Feishu(json({{"encrypt", ragged}}).dump()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FeishuPlatform, ASignatureWithoutItsTimestampIsRefused) {
  const std::string body = json({{"encrypt", FeishuEncrypt(TextEvent("hi").dump())}}).dump();
  const std::string sig = Sha256Hex("1700000000n0ncetest key" + body);
  auto without_ts = FeishuPlatform()->receive(
      Post(body, {{"x-lark-request-nonce", "n0nce"}, {"x-lark-signature", sig}}), kFeishuSecrets,
      1700000000);
  EXPECT_EQ(without_ts.status().code(), StatusCode::kUnauthenticated);
  // The nonce is part of what is signed.
  auto other_nonce =
      FeishuPlatform()->receive(Post(body, {{"x-lark-request-timestamp", "1700000000"},
                                            {"x-lark-request-nonce", "n0nce2"},
                                            {"x-lark-signature", sig}}),
                                kFeishuSecrets, 1700000000);
  EXPECT_EQ(other_nonce.status().code(), StatusCode::kUnauthenticated);
  // A truncated signature.
  auto truncated = FeishuPlatform()->receive(Post(body, {{"x-lark-request-timestamp", "1700000000"},
                                                         {"x-lark-request-nonce", "n0nce"},
                                                         {"x-lark-signature", sig.substr(0, 63)}}),
                                             kFeishuSecrets, 1700000000);
  EXPECT_EQ(truncated.status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace kiln::web::channels
