// What holds for every channel platform alike: the hook's body cap (set on
// the route, so the server refuses a larger body with 413 before any
// platform code or crypto runs), methods other than the platform's refused
// before a signature is looked at, each platform's answer deadline, and long
// answers cut in the unit the platform counts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/utf8.h"
#include "tests/web/channels/channel_test_util.h"
#include "web/channels/channel.h"
#include "web/handlers/handlers.h"
#include "web/router.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kTypes = {"webhook", "telegram", "slack", "line",
                                         "discord", "feishu",   "wecom"};

TEST(Channels, EveryTypeHasItsOwnPlatform) {
  std::vector<const Platform*> seen;
  for (const std::string& type : kTypes) {
    const Platform* p = PlatformFor(type);
    ASSERT_NE(p, nullptr) << type;
    EXPECT_NE(p->receive, nullptr);
    EXPECT_NE(p->reply, nullptr);
    // A platform that needs a token both asks for one and reads the answer.
    EXPECT_EQ(p->token_request == nullptr, p->token_from == nullptr) << type;
    for (const Platform* other : seen) EXPECT_NE(p, other) << type;
    seen.push_back(p);
  }
  EXPECT_EQ(PlatformFor("whatsapp"), nullptr);
  EXPECT_EQ(PlatformFor(""), nullptr);
}

TEST(Channels, TheHookRouteCapsBodiesAtOneMebibyte) {
  Router router;
  AddHookRoutes(router, /*store=*/nullptr, /*dispatcher=*/nullptr);
  const RouteMatch post = router.Match("POST", "/hooks/ch_1");
  ASSERT_NE(post.route, nullptr);
  EXPECT_EQ(post.route->body_limit, size_t{1} << 20);
  const RouteMatch get = router.Match("GET", "/hooks/ch_1");  // WeCom's URL check: no body
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->body_limit, 0u);
  EXPECT_EQ(router.Match("PUT", "/hooks/ch_1").route, nullptr);
}

// With no secrets every platform refuses a POST as unauthenticated, so an
// InvalidArgument here is the method check, made first.
TEST(Channels, OtherMethodsAreRefusedBeforeAnySignature) {
  for (const std::string& type : kTypes) {
    const Platform& p = *PlatformFor(type);
    Request post = Post("{}", {});
    EXPECT_EQ(p.receive(post, json::object(), 0).status().code(), StatusCode::kUnauthenticated)
        << type;
    for (const char* method : {"GET", "PUT", "DELETE", "HEAD", ""}) {
      if (type == "wecom" && std::string(method) == "GET") continue;  // its URL check
      Request r = post;
      r.method = method;
      EXPECT_EQ(p.receive(r, json::object(), 0).status().code(), StatusCode::kInvalidArgument)
          << type << " " << method;
    }
  }
  Request get;
  get.method = "GET";
  EXPECT_EQ(WecomPlatform()->receive(get, json::object(), 0).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(Channels, AnswerDeadlinesAreTheSpecs) {
  EXPECT_EQ(SlackPlatform()->ack_deadline_ms, 3000);
  EXPECT_EQ(DiscordPlatform()->ack_deadline_ms, 3000);
  EXPECT_EQ(FeishuPlatform()->ack_deadline_ms, 3000);
  EXPECT_EQ(LinePlatform()->ack_deadline_ms, 2000);
  EXPECT_EQ(WecomPlatform()->ack_deadline_ms, 5000);
  EXPECT_EQ(TelegramPlatform()->ack_deadline_ms, 0);  // none documented
  EXPECT_EQ(WebhookPlatform()->ack_deadline_ms, 0);   // the sender's own
}

// Each signed platform wants all of its headers: any one missing is 401.
TEST(Channels, AnyOneMissingSignatureHeaderIsRefused) {
  struct Case {
    const Platform* platform;
    json secrets;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  const std::string body = R"({"type":1})";
  const std::vector<Case> cases = {
      {SlackPlatform(),
       {{"signing_secret", "s"}, {"bot_token", "xoxb-1"}},
       {{"x-slack-request-timestamp", "1700000000"},
        {"x-slack-signature", "v0=" + HmacSha256Hex("s", "v0:1700000000:" + body)}}},
      {WebhookPlatform(),
       {{"secret", "s"}},
       {{"x-kiln-timestamp", "1700000000"},
        {"x-kiln-signature", WebhookSignature("s", "1700000000", body)}}},
      {DiscordPlatform(),
       {{"public_key", "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"},
        {"application_id", "1"}},
       {{"x-signature-timestamp", "1700000000"},
        {"x-signature-ed25519",
         "9ef52e0980512fc86504213828935ead2d8ad69632af84e31aae7c0a1593a04f"
         "81779d871c1d68240dce56038c60788e51e59a6c3f14c72a4183c785b1e8b70e"}}},
  };
  for (const Case& c : cases) {
    // All headers: taken (the vectors above are valid).
    ASSERT_TRUE(c.platform->receive(Post(body, c.headers), c.secrets, 1700000000).status().code() !=
                StatusCode::kUnauthenticated);
    for (size_t drop = 0; drop < c.headers.size(); ++drop) {
      auto headers = c.headers;
      headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(drop));
      EXPECT_EQ(c.platform->receive(Post(body, headers), c.secrets, 1700000000).status().code(),
                StatusCode::kUnauthenticated)
          << c.headers[drop].first;
    }
  }
}

size_t Utf16Units(const std::string& s) {
  size_t n = 0;
  for (uint32_t cp : DecodeUtf8(s)) n += cp > 0xFFFF ? 2 : 1;
  return n;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The texts a platform's calls carry, in order.
std::vector<std::string> SentTexts(const std::string& type, const std::vector<Outbound>& calls) {
  std::vector<std::string> texts;
  for (const Outbound& call : calls) {
    const json body = json::parse(call.body);
    if (type == "line") {
      for (const json& m : body["messages"]) texts.push_back(m["text"]);
    } else if (type == "discord") {
      texts.push_back(body["content"]);
    } else if (type == "feishu") {
      texts.push_back(json::parse(body["content"].get<std::string>())["text"]);
    } else {
      texts.push_back(body["text"]);
    }
  }
  return texts;
}

// An answer of emoji (two UTF-16 units each) is cut so that no message passes
// the platform's limit counted in UTF-16 units (LINE's documented count, and
// never less than the code points the others may count), and nothing is lost.
TEST(Channels, LongAnswersStayWithinEachLimitInUtf16Units) {
  struct Case {
    std::string type;
    json secrets;
    json reply;
    size_t limit;
  };
  const std::vector<Case> cases = {
      {"telegram", {{"bot_token", "1:x"}}, {{"chat_id", 5}}, 4096},
      {"slack", {{"bot_token", "xoxb-1"}}, {{"channel", "C1"}}, 4000},
      {"discord", json::object(), {{"application_id", "1"}, {"token", "t"}}, 2000},
      {"line", {{"channel_access_token", "a"}}, {{"replyToken", "r"}, {"to", "U1"}}, 5000},
      {"feishu", {{"access_token", "t-1"}}, {{"message_id", "om_1"}}, 4000},
  };
  const std::string answer = Repeat("\xF0\x9F\x8D\x8E", 6001);  // 12,002 units
  for (const Case& c : cases) {
    InboundMessage m;
    m.user_id = m.chat_id = "u1";
    m.reply = c.reply;
    auto calls = PlatformFor(c.type)->reply(m, answer, c.secrets, "http://127.0.0.1:9", 0);
    ASSERT_TRUE(calls.ok()) << c.type << ": " << calls.status().ToString();
    std::string back;
    const std::vector<std::string> texts = SentTexts(c.type, *calls);
    for (const std::string& t : texts) {
      EXPECT_LE(Utf16Units(t), c.limit) << c.type;
      back += t;
    }
    EXPECT_EQ(back, answer) << c.type;
    EXPECT_EQ(texts.size(), (12002 + c.limit - 1) / c.limit) << c.type;
  }
}

TEST(Channels, WecomAnswersStayWithin2048BytesWithoutCuttingACharacter) {
  InboundMessage m;
  m.user_id = m.chat_id = "zhangsan";
  const std::string answer = Repeat("你好", 1500);  // 9,000 bytes
  auto calls = WecomPlatform()->reply(m, answer, {{"access_token", "AT"}, {"agent_id", "1000002"}},
                                      "http://127.0.0.1:9", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 5u);  // 682 characters (2,046 bytes) each, then 272
  std::string back;
  for (const Outbound& call : *calls) {
    const std::string text = json::parse(call.body)["text"]["content"];
    EXPECT_LE(text.size(), 2048u);
    EXPECT_EQ(text.size() % 3, 0u);
    back += text;
  }
  EXPECT_EQ(back, answer);
}

// Outside JSON may hold any type anywhere. A member of the wrong type reads
// as absent: nothing throws (an exception in a delivery worker would end the
// server; fuzz_channel_hooks found a string errcode in gettoken's answer).
TEST(Channels, MembersOfTheWrongTypeReadAsAbsent) {
  const json o = {{"s", "x"}, {"b", true}, {"n", 7}, {"big", int64_t{1} << 40}, {"neg", -1}};
  EXPECT_TRUE(BoolOf(o, "b"));
  EXPECT_FALSE(BoolOf(o, "s"));
  EXPECT_FALSE(BoolOf(json::array(), "b"));
  EXPECT_EQ(IntOf(o, "n", -1), 7);
  EXPECT_EQ(IntOf(o, "s", -1), -1);
  EXPECT_EQ(IndexOf(o, "n"), 7);
  EXPECT_EQ(IndexOf(o, "big"), -1);
  EXPECT_EQ(IndexOf(o, "neg"), -1);

  // The platforms' API answers.
  for (const char* body : {R"({"errcode": "code", "access_token": "t"})",
                           R"({"code": "0", "tenant_access_token": "t"})", R"({"code": [0]})",
                           R"({"errcode": {}, "access_token": 5})", "[1]", "7", "nul"}) {
    for (const Platform* p : {FeishuPlatform(), WecomPlatform(), SlackPlatform()}) {
      if (p->token_from != nullptr) {
        EXPECT_FALSE(p->token_from(body).ok()) << body;
      }
      if (p->refusal != nullptr) (void)p->refusal(body);
    }
  }
  // A token's lifetime is read within a day, whatever the number.
  auto wild = WecomPlatform()->token_from(
      R"({"errcode": 0, "access_token": "t", "expires_in": 9000000000000000000})");
  ASSERT_TRUE(wild.ok());
  EXPECT_EQ(wild->second, 86400);
  auto odd =
      FeishuPlatform()->token_from(R"({"code": 0, "tenant_access_token": "t", "expire": "soon"})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->second, 7200);

  // Telegram: is_bot, the chat type and the mention entity of the wrong types.
  const json update = {{"update_id", 1},
                       {"message",
                        {{"message_id", 2},
                         {"from", {{"id", 5}, {"is_bot", "no"}, {"first_name", 12}}},
                         {"chat", {{"id", -100}, {"type", 3}}},
                         {"text", "@kiln_bot hello"},
                         {"entities", json::array({{{"type", 9}},
                                                   {{"type", "mention"}, {"offset", "0"}},
                                                   {{"type", "mention"},
                                                    {"offset", int64_t{1} << 62},
                                                    {"length", int64_t{1} << 62}}})}}}};
  auto t = TelegramPlatform()->receive(
      Post(update.dump(), {{"x-telegram-bot-api-secret-token", "s"}}), {{"secret_token", "s"}}, 0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->messages.size(), 1u);  // a chat without a (string) type is a private chat
  EXPECT_EQ(t->messages[0].user_name, "");
  EXPECT_EQ(t->messages[0].text, "@kiln_bot hello");

  // LINE: a mentionee's isSelf and index of the wrong types.
  const std::string line =
      json{{"destination", "U00000000000000000000000000000000"},
           {"events",
            json::array({{{"type", "message"},
                          {"webhookEventId", "e"},
                          {"replyToken", "r"},
                          {"source", {{"type", "group"}, {"groupId", "C1"}, {"userId", "U1"}}},
                          {"message",
                           {{"id", "1"},
                            {"type", "text"},
                            {"text", "@Kiln hi"},
                            {"mention",
                             {{"mentionees", json::array({{{"isSelf", "true"}},
                                                          {{"isSelf", true},
                                                           {"index", int64_t{1} << 62},
                                                           {"length", 5}}})}}}}}}})}}
          .dump();
  auto l = LinePlatform()->receive(
      Post(line, {{"x-line-signature", Base64Encode(HmacSha256("ls", line))}}),
      {{"channel_secret", "ls"}}, 0);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->messages.size(), 1u);
  EXPECT_EQ(l->messages[0].text, "@Kiln hi");  // the mention's span is unusable: kept
}

}  // namespace
}  // namespace kiln::web::channels
