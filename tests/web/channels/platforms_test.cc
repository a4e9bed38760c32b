// The channel platforms without a server: long answers cut at the platform's
// limits (never inside a character), Kiln's signed webhook, Telegram, Slack,
// LINE and Discord read from raw requests (every way a request can be wrong),
// and the calls that deliver an answer. The encrypted platforms (Feishu,
// WeCom) are in feishu_test.cc and wecom_test.cc.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/sha256.h"
#include "tests/web/channels/channel_test_util.h"
#include "web/channels/channel.h"

namespace kiln::web::channels {
namespace {

using json = nlohmann::json;

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(SplitText, CutsAtBreaksWithinTheLimitAndNeverInsideACharacter) {
  EXPECT_TRUE(SplitText("", 10).empty());
  EXPECT_EQ(SplitText("short", 10), std::vector<std::string>{"short"});
  auto words = SplitText("one two three four five six", 10);
  for (const auto& w : words) EXPECT_LE(CodePoints(w), 10u) << w;
  EXPECT_EQ(words.front(), "one two");
  std::string joined;
  for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
  EXPECT_EQ(joined, "one two three four five six");
  // Chinese has no spaces: cut by code points, each piece valid UTF-8.
  std::string zh;
  for (int i = 0; i < 1000; ++i) zh += "大模型";
  auto pieces = SplitText(zh, 4096);
  ASSERT_EQ(pieces.size(), 1u);
  pieces = SplitText(zh, 1000);
  ASSERT_EQ(pieces.size(), 3u);
  std::string back;
  for (const auto& p : pieces) {
    EXPECT_LE(CodePoints(p), 1000u);
    EXPECT_EQ(p.size() % 3, 0u);  // whole characters only
    back += p;
  }
  EXPECT_EQ(back, zh);
  // A paragraph break in the second half wins over a hard cut.
  std::string text = std::string(70, 'a') + "\n\n" + std::string(70, 'b');
  pieces = SplitText(text, 100);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], std::string(70, 'a'));
  EXPECT_EQ(pieces[1], std::string(70, 'b'));
  // Emoji (4 bytes) stay whole.
  std::string emoji;
  for (int i = 0; i < 9; ++i) emoji += "\xF0\x9F\x98\x80";
  for (const auto& p : SplitText(emoji, 4)) EXPECT_EQ(p.size() % 4, 0u);
}

const json kWebhookSecrets = {{"secret", "a-webhook-secret-of-length"},
                              {"callback_url", "https://example.com/cb"}};

TEST(WebhookPlatform, AcceptsASignedMessageAndRefusesEverythingElse) {
  const Platform& p = *WebhookPlatform();
  const int64_t now = 1700000000;
  const std::string body = R"({"event_id":"e1","user":{"id":"u1","name":"Ada"},"text":"hi"})";
  const std::string sig = WebhookSignature("a-webhook-secret-of-length", "1700000000", body);
  EXPECT_EQ(sig, "sha256=" + HmacSha256Hex("a-webhook-secret-of-length", "1700000000." + body));
  auto ok = p.receive(Post(body, {{"x-kiln-timestamp", "1700000000"}, {"x-kiln-signature", sig}}),
                      kWebhookSecrets, now);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 202);
  ASSERT_EQ(ok->messages.size(), 1u);
  EXPECT_EQ(ok->messages[0].event_id, "e1");
  EXPECT_EQ(ok->messages[0].user_id, "u1");
  EXPECT_EQ(ok->messages[0].user_name, "Ada");
  EXPECT_EQ(ok->messages[0].text, "hi");

  auto code = [&](std::string b, std::string ts, std::string s, int64_t at = 1700000000) {
    return p
        .receive(Post(b, {{"x-kiln-timestamp", ts}, {"x-kiln-signature", s}}), kWebhookSecrets, at)
        .status()
        .code();
  };
  std::string flipped = body;
  flipped[5] ^= 1;
  EXPECT_EQ(code(flipped, "1700000000", sig), StatusCode::kUnauthenticated);
  EXPECT_EQ(code(body, "1700000000", sig.substr(0, sig.size() - 1)), StatusCode::kUnauthenticated);
  EXPECT_EQ(code(body, "1700000000", sig, now + 301), StatusCode::kUnauthenticated);
  EXPECT_EQ(code(body, "1700000000", sig, now - 301), StatusCode::kUnauthenticated);
  EXPECT_TRUE(p.receive(Post(body, {{"x-kiln-timestamp", "1700000000"}, {"x-kiln-signature", sig}}),
                        kWebhookSecrets, now + 300)
                  .ok());
  EXPECT_EQ(code(body, "17e8", sig), StatusCode::kUnauthenticated);
  EXPECT_EQ(code(body, "", ""), StatusCode::kUnauthenticated);
  std::string upper = sig;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(toupper(upper[i]));
  EXPECT_EQ(code(body, "1700000000", upper), StatusCode::kUnauthenticated);
  auto signed_code = [&](std::string b) {
    return code(b, "1700000000", WebhookSignature("a-webhook-secret-of-length", "1700000000", b));
  };
  EXPECT_EQ(signed_code("{"), StatusCode::kInvalidArgument);
  EXPECT_EQ(signed_code("[]"), StatusCode::kInvalidArgument);
  EXPECT_EQ(signed_code(R"({"event_id":"e","user":{"id":"u"}})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(signed_code(R"({"event_id":"","user":{"id":"u"},"text":"x"})"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(signed_code(R"({"event_id":"e","user":"u","text":"x"})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(signed_code(R"({"event_id":"e","user":{"id":7},"text":"x"})"),
            StatusCode::kInvalidArgument);
  // Without a secret nothing is accepted.
  EXPECT_EQ(p.receive(Post(body, {{"x-kiln-timestamp", "1700000000"}, {"x-kiln-signature", sig}}),
                      json::object(), now)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
}

TEST(WebhookPlatform, TheReplyIsSignedForTheReceiver) {
  const Platform& p = *WebhookPlatform();
  InboundMessage m;
  m.event_id = "e1";
  m.user_id = "u1";
  m.chat_id = "thread-9";
  auto calls = p.reply(m, "Hello 你好", kWebhookSecrets, "", 1700000123);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  const Outbound& c = (*calls)[0];
  EXPECT_EQ(c.url, "https://example.com/cb");
  json body = json::parse(c.body);
  EXPECT_EQ(body["text"], "Hello 你好");
  EXPECT_EQ(body["conversation"], "thread-9");
  std::string ts, sig;
  for (const auto& [k, v] : c.headers) {
    if (k == "X-Kiln-Timestamp") ts = v;
    if (k == "X-Kiln-Signature") sig = v;
  }
  EXPECT_EQ(ts, "1700000123");
  EXPECT_EQ(sig, WebhookSignature("a-webhook-secret-of-length", ts, c.body));
  EXPECT_EQ(p.reply(m, "x", kWebhookSecrets, "http://127.0.0.1:9/relay", 0)->at(0).url,
            "http://127.0.0.1:9/relay");
}

const json kTelegramSecrets = {{"bot_token", "123456:ABCdefGHIjklMNOpqrSTUvwx"},
                               {"secret_token", "tg_secret-1"}};

Result<Received> Telegram(const json& update, const std::string& secret = "tg_secret-1",
                          const json& secrets = kTelegramSecrets) {
  const Platform& p = *TelegramPlatform();
  return p.receive(Post(update.dump(), {{"x-telegram-bot-api-secret-token", secret}}), secrets, 0);
}

json PrivateText(int64_t update_id, const std::string& text) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", 42},
            {"date", 1700000000},
            {"from", {{"id", 5550001}, {"is_bot", false}, {"first_name", "Ana"}}},
            {"chat", {{"id", 5550001}, {"type", "private"}}},
            {"text", text}}}};
}

TEST(TelegramPlatform, ReadsAPrivateMessage) {
  auto r = Telegram(PrivateText(700000123, "hello bot"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].event_id, "update:700000123");
  EXPECT_EQ(r->messages[0].user_id, "5550001");
  EXPECT_EQ(r->messages[0].chat_id, "5550001");
  EXPECT_EQ(r->messages[0].text, "hello bot");
  EXPECT_FALSE(r->messages[0].is_group);
  // Ids past 32 bits survive.
  json big = PrivateText(1, "x");
  big["message"]["chat"]["id"] = int64_t{-1001234567890123};
  r = Telegram(big);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages[0].chat_id, "-1001234567890123");
}

TEST(TelegramPlatform, RefusesAWrongSecretAndBadUpdates) {
  const json u = PrivateText(1, "hi");
  EXPECT_EQ(Telegram(u, "tg_secret-2").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Telegram(u, "tg_secret-").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Telegram(u, "").status().code(), StatusCode::kUnauthenticated);
  const Platform& p = *TelegramPlatform();
  EXPECT_EQ(p.receive(Post("{", {{"x-telegram-bot-api-secret-token", "tg_secret-1"}}),
                      kTelegramSecrets, 0)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  json no_id = u;
  no_id.erase("update_id");
  EXPECT_EQ(Telegram(no_id).status().code(), StatusCode::kInvalidArgument);
  json str_id = u;
  str_id["update_id"] = "1";
  EXPECT_EQ(Telegram(str_id).status().code(), StatusCode::kInvalidArgument);
  json no_chat = u;
  no_chat["message"].erase("chat");
  EXPECT_EQ(Telegram(no_chat).status().code(), StatusCode::kInvalidArgument);
  // A channel with no secret_token set accepts nothing.
  EXPECT_EQ(Telegram(u, "", {{"bot_token", "1:x"}}).status().code(), StatusCode::kUnauthenticated);
}

TEST(TelegramPlatform, IgnoresWhatItDoesNotAnswer) {
  json edited = {{"update_id", 5}, {"edited_message", PrivateText(5, "x")["message"]}};
  auto r = Telegram(edited);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->messages.empty());
  json photo = PrivateText(6, "x");
  photo["message"].erase("text");
  EXPECT_TRUE(Telegram(photo)->messages.empty());
  json from_bot = PrivateText(7, "x");
  from_bot["message"]["from"]["is_bot"] = true;
  EXPECT_TRUE(Telegram(from_bot)->messages.empty());
}

TEST(TelegramPlatform, GroupsAreAnsweredOnlyWhenTheBotIsAddressed) {
  json g = PrivateText(8, "what is new?");
  g["message"]["chat"] = {{"id", -100200}, {"type", "supergroup"}};
  EXPECT_TRUE(Telegram(g)->messages.empty());
  // "@kiln_bot what is new?" with its mention entity (offsets in UTF-16 units).
  g["message"]["text"] = "你好 @kiln_bot what is new?";
  g["message"]["entities"] = json::array({{{"type", "mention"}, {"offset", 3}, {"length", 9}}});
  json secrets = kTelegramSecrets;
  secrets["bot_username"] = "kiln_bot";
  auto r = Telegram(g, "tg_secret-1", secrets);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_TRUE(r->messages[0].is_group);
  EXPECT_EQ(r->messages[0].text, "你好  what is new?");
  EXPECT_EQ(r->messages[0].chat_id, "-100200");
  EXPECT_EQ(r->messages[0].user_id, "5550001");
  // Someone else mentioned: not for us.
  secrets["bot_username"] = "@other_bot";
  EXPECT_TRUE(Telegram(g, "tg_secret-1", secrets)->messages.empty());
  // Entities that point outside the text are ignored, not trusted.
  g["message"]["entities"] = json::array({{{"type", "mention"}, {"offset", 30}, {"length", 900}}});
  EXPECT_TRUE(Telegram(g)->messages.empty());
  // A reply to the bot's own message counts.
  g["message"]["reply_to_message"] = {{"message_id", 1}, {"from", {{"id", 9}, {"is_bot", true}}}};
  EXPECT_EQ(Telegram(g)->messages.size(), 1u);
}

TEST(TelegramPlatform, RepliesThroughSendMessageInPiecesOf4096) {
  auto r = Telegram(PrivateText(9, "hi"));
  ASSERT_TRUE(r.ok());
  const Platform& p = *TelegramPlatform();
  std::string answer;
  for (int i = 0; i < 5000; ++i) answer += "字";
  auto calls = p.reply(r->messages[0], answer, kTelegramSecrets, "http://127.0.0.1:9", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/bot123456:ABCdefGHIjklMNOpqrSTUvwx/sendMessage");
  json first = json::parse((*calls)[0].body);
  json second = json::parse((*calls)[1].body);
  EXPECT_EQ(first["chat_id"], 5550001);
  EXPECT_EQ(first["reply_parameters"]["message_id"], 42);
  EXPECT_FALSE(second.contains("reply_parameters"));
  EXPECT_EQ(CodePoints(first["text"]), 4096u);
  EXPECT_EQ(CodePoints(second["text"]), 904u);
  EXPECT_EQ(p.reply(r->messages[0], "x", kTelegramSecrets, "", 0)
                ->at(0)
                .url.rfind("https://api.telegram.org/bot", 0),
            0u);
}

// ---- Slack

const json kSlackSecrets = {{"bot_token", "xoxb-1234-5678-abcdefgh"},
                            {"signing_secret", "test_signing_secret"}};

Result<Received> Slack(const std::string& body, int64_t now = 1700000000,
                       std::string ts = "1700000000", std::string sig = "") {
  if (sig.empty()) sig = "v0=" + HmacSha256Hex("test_signing_secret", "v0:" + ts + ":" + body);
  const Platform& p = *SlackPlatform();
  return p.receive(Post(body, {{"x-slack-request-timestamp", ts}, {"x-slack-signature", sig}}),
                   kSlackSecrets, now);
}

TEST(SlackPlatform, TheSpecsUrlVerificationVector) {
  const std::string body = R"({"type":"url_verification","token":"tkn","challenge":"abc123"})";
  auto r = Slack(body, 1700000000, "1700000000",
                 "v0=3f16ee536ebca8da48f6167b29f143bf2ea349d7cdb36692424735c742108c07");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::parse(r->body), json({{"challenge", "abc123"}}));
  EXPECT_TRUE(r->messages.empty());
  // Derived negatives: a flipped byte, 301 s either way, a truncated or
  // upper-case signature, a wrong key, missing headers.
  std::string flipped = body;
  flipped[3] ^= 1;
  const std::string good = "v0=3f16ee536ebca8da48f6167b29f143bf2ea349d7cdb36692424735c742108c07";
  EXPECT_EQ(Slack(flipped, 1700000000, "1700000000", good).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Slack(body, 1700000301).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Slack(body, 1699999699).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Slack(body, 1700000300).ok());
  EXPECT_EQ(Slack(body, 1700000000, "1700000000", good.substr(0, 40)).status().code(),
            StatusCode::kUnauthenticated);
  std::string upper = good;
  for (size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(toupper(upper[i]));
  EXPECT_EQ(Slack(body, 1700000000, "1700000000", upper).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(
      Slack(body, 1700000000, "1700000000", "v0=" + HmacSha256Hex("wrong", "v0:1700000000:" + body))
          .status()
          .code(),
      StatusCode::kUnauthenticated);
  const Platform& p = *SlackPlatform();
  EXPECT_EQ(p.receive(Post(body, {}), kSlackSecrets, 1700000000).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Slack("{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Slack(R"({"type":"block_actions"})").status().code(), StatusCode::kInvalidArgument);
}

TEST(SlackPlatform, MentionsAndDirectMessagesAreAnsweredInTheirThread) {
  const json mention = {{"type", "event_callback"},
                        {"team_id", "T0TEST"},
                        {"event_id", "Ev0TEST001"},
                        {"event",
                         {{"type", "app_mention"},
                          {"user", "U0USER"},
                          {"text", "<@U0BOT> summarize"},
                          {"ts", "1700000000.000100"},
                          {"channel", "C0CHAN"}}}};
  auto r = Slack(mention.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  const InboundMessage& m = r->messages[0];
  EXPECT_EQ(m.event_id, "T0TEST:Ev0TEST001");
  EXPECT_EQ(m.text, "summarize");
  EXPECT_EQ(m.chat_id, "C0CHAN");
  EXPECT_TRUE(m.is_group);
  const Platform& p = *SlackPlatform();
  auto calls = p.reply(m, "Here it is.", kSlackSecrets, "http://127.0.0.1:9/api", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/api/chat.postMessage");
  EXPECT_EQ(
      json::parse((*calls)[0].body),
      json({{"channel", "C0CHAN"}, {"thread_ts", "1700000000.000100"}, {"text", "Here it is."}}));
  EXPECT_EQ((*calls)[0].headers[1].second, "Bearer xoxb-1234-5678-abcdefgh");
  EXPECT_EQ(p.refusal(R"({"ok":false,"error":"channel_not_found"})"),
            "Slack refused it: channel_not_found");
  EXPECT_EQ(p.refusal(R"({"ok":true})"), "");
  // Direct messages too; bots, edits and channel chatter are not answered.
  json dm = mention;
  dm["event"] = {{"type", "message"}, {"channel_type", "im"}, {"user", "U0USER"},
                 {"text", "hello"},   {"ts", "1.2"},          {"channel", "D0DM"}};
  EXPECT_EQ(Slack(dm.dump())->messages.size(), 1u);
  for (const json& skip : {json({{"bot_id", "B1"}}), json({{"subtype", "message_changed"}}),
                           json({{"channel_type", "channel"}})}) {
    json e = dm;
    e["event"].update(skip);
    auto got = Slack(e.dump());
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->messages.empty()) << skip.dump();
  }
  json no_id = mention;
  no_id.erase("event_id");
  EXPECT_EQ(Slack(no_id.dump()).status().code(), StatusCode::kInvalidArgument);
}

// ---- LINE

const json kLineSecrets = {{"channel_secret", "test_channel_secret"},
                           {"channel_access_token", "line-token"}};

Result<Received> Line(const std::string& body, std::string sig = "") {
  if (sig.empty()) sig = Base64Encode(HmacSha256("test_channel_secret", body));
  const Platform& p = *LinePlatform();
  return p.receive(Post(body, {{"x-line-signature", sig}}), kLineSecrets, 0);
}

json LineText(const std::string& id, const json& source, const std::string& text) {
  return {{"type", "message"},
          {"mode", "active"},
          {"timestamp", 1700000000000},
          {"webhookEventId", id},
          {"source", source},
          {"replyToken", "rtok_" + id},
          {"message", {{"id", "5000"}, {"type", "text"}, {"text", text}}}};
}

TEST(LinePlatform, TheSpecsVectorAndItsNegatives) {
  const std::string body = R"({"destination":"U00000000000000000000000000000000","events":[]})";
  auto r = Line(body, "8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA=");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->messages.empty());
  std::string flipped = body;
  flipped[4] ^= 1;
  EXPECT_EQ(Line(flipped, "8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA=").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Line(body, "8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Line(body, "not base64!").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Line(body, Base64Encode(HmacSha256("other", body))).status().code(),
            StatusCode::kUnauthenticated);
  const Platform& p = *LinePlatform();
  EXPECT_EQ(p.receive(Post(body, {}), kLineSecrets, 0).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Line("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Line(R"({"destination":"Ubad","events":[]})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Line(R"({"destination":"U00000000000000000000000000000000"})").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(LinePlatform, EventsOfARequestAndGroupMentions) {
  const json user = {{"type", "user"}, {"userId", "U11111111111111111111111111111111"}};
  const json group = {{"type", "group"}, {"groupId", "C22"}, {"userId", "U3"}};
  json standby = LineText("e3", user, "ignored");
  standby["mode"] = "standby";
  json mentioned = LineText("e5", group, "@Kiln 你好");
  mentioned["message"]["mention"] = {
      {"mentionees",
       json::array({{{"index", 0}, {"length", 5}, {"type", "user"}, {"isSelf", true}}})}};
  const json body = {
      {"destination", "U00000000000000000000000000000000"},
      {"events",
       json::array({LineText("e1", user, "hello"), LineText("e2", user, "again"), standby,
                    LineText("e4", group, "chatter"), mentioned, json({{"type", "follow"}})})}};
  auto r = Line(body.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[0].event_id, "e1");
  EXPECT_EQ(r->messages[1].text, "again");
  EXPECT_EQ(r->messages[2].event_id, "e5");
  EXPECT_EQ(r->messages[2].text, "你好");
  EXPECT_EQ(r->messages[2].chat_id, "C22");
  EXPECT_EQ(r->messages[2].user_id, "U3");
  // A long answer: 5 messages of 5,000 by reply, the rest by push.
  std::string answer;
  for (int i = 0; i < 31000; ++i) answer += "x";
  const Platform& p = *LinePlatform();
  auto calls = p.reply(r->messages[0], answer, kLineSecrets, "http://127.0.0.1:9", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/v2/bot/message/reply");
  json first = json::parse((*calls)[0].body);
  EXPECT_EQ(first["replyToken"], "rtok_e1");
  EXPECT_EQ(first["messages"].size(), 5u);
  EXPECT_EQ(first["messages"][0]["text"].get<std::string>().size(), 5000u);
  EXPECT_EQ((*calls)[1].url, "http://127.0.0.1:9/v2/bot/message/push");
  json second = json::parse((*calls)[1].body);
  EXPECT_EQ(second["to"], "U11111111111111111111111111111111");
  EXPECT_EQ(second["messages"].size(), 2u);
}

TEST(LinePlatform, ASlowAnswerGoesByPushOnceTheReplyTokenMayHaveExpired) {
  const json user = {{"type", "user"}, {"userId", "U11111111111111111111111111111111"}};
  const std::string body = json({{"destination", "U00000000000000000000000000000000"},
                                 {"events", json::array({LineText("e1", user, "hello")})}})
                               .dump();
  const Platform& p = *LinePlatform();
  const int64_t t = 1700000000;
  auto r = p.receive(
      Post(body, {{"x-line-signature", Base64Encode(HmacSha256("test_channel_secret", body))}}),
      kLineSecrets, t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  for (int64_t later : {0, 5, 19}) {
    auto calls = p.reply(r->messages[0], "hi", kLineSecrets, "http://127.0.0.1:9", t + later);
    ASSERT_TRUE(calls.ok());
    ASSERT_EQ(calls->size(), 1u);
    EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/v2/bot/message/reply") << later;
    EXPECT_EQ(json::parse((*calls)[0].body)["replyToken"], "rtok_e1");
  }
  for (int64_t later : {20, 90, 3600}) {
    auto calls = p.reply(r->messages[0], "hi", kLineSecrets, "http://127.0.0.1:9", t + later);
    ASSERT_TRUE(calls.ok());
    ASSERT_EQ(calls->size(), 1u);
    EXPECT_EQ((*calls)[0].url, "http://127.0.0.1:9/v2/bot/message/push") << later;
    const json sent = json::parse((*calls)[0].body);
    EXPECT_EQ(sent["to"], "U11111111111111111111111111111111");
    EXPECT_FALSE(sent.contains("replyToken"));
    EXPECT_EQ(sent["messages"][0]["text"], "hi");
  }
}

// ---- Discord

const std::string kDiscordPublicKey =
    "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const json kDiscordSecrets = {{"public_key", kDiscordPublicKey},
                              {"application_id", "1100000000000000001"},
                              {"bot_token", "discord-bot-token"}};

// Signs as Discord does, with the spec's key (seed: 32 bytes of 0x01).
std::string DiscordSign(const std::string& ts, const std::string& body) {
  const std::string seed(32, '\x01');
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[64];
  size_t len = sizeof(sig);
  const std::string msg = ts + body;
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                           msg.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < len; ++i) {
    hex += kHex[sig[i] >> 4];
    hex += kHex[sig[i] & 15];
  }
  return hex;
}

Result<Received> Discord(const std::string& body, std::string sig = "",
                         const std::string& ts = "1700000000") {
  if (sig.empty()) sig = DiscordSign(ts, body);
  const Platform& p = *DiscordPlatform();
  return p.receive(Post(body, {{"x-signature-ed25519", sig}, {"x-signature-timestamp", ts}}),
                   kDiscordSecrets, 0);
}

TEST(DiscordPlatform, TheSpecsPingVectorAndItsNegatives) {
  const std::string vector_sig =
      "9ef52e0980512fc86504213828935ead2d8ad69632af84e31aae7c0a1593a04f"
      "81779d871c1d68240dce56038c60788e51e59a6c3f14c72a4183c785b1e8b70e";
  EXPECT_EQ(DiscordSign("1700000000", R"({"type":1})"), vector_sig);
  auto r = Discord(R"({"type":1})", vector_sig);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json({{"type", 1}}));
  EXPECT_TRUE(r->messages.empty());
  EXPECT_EQ(Discord(R"({"type":2})", vector_sig).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Discord(R"({"type":1})", vector_sig, "1700000001").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Discord(R"({"type":1})", vector_sig.substr(0, 126)).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Discord(R"({"type":1})", std::string(128, 'z')).status().code(),
            StatusCode::kUnauthenticated);
  std::string flipped = vector_sig;
  flipped[0] = flipped[0] == '9' ? '8' : '9';
  EXPECT_EQ(Discord(R"({"type":1})", flipped).status().code(), StatusCode::kUnauthenticated);
  const Platform& p = *DiscordPlatform();
  EXPECT_EQ(p.receive(Post(R"({"type":1})", {}), kDiscordSecrets, 0).status().code(),
            StatusCode::kUnauthenticated);
  json other_key = kDiscordSecrets;
  other_key["public_key"] = std::string(64, '0');
  EXPECT_EQ(p.receive(Post(R"({"type":1})", {{"x-signature-ed25519", vector_sig},
                                             {"x-signature-timestamp", "1700000000"}}),
                      other_key, 0)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Discord("{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Discord(R"({"type":3})").status().code(), StatusCode::kInvalidArgument);
}

TEST(DiscordPlatform, ACommandIsDeferredThenEditedWithTheAnswer) {
  json cmd = {{"id", "1200000000000000001"},
              {"application_id", "1100000000000000001"},
              {"type", 2},
              {"token", "itok_abc"},
              {"version", 1},
              {"data",
               {{"id", "1"},
                {"name", "ask"},
                {"type", 1},
                {"options", json::array({{{"name", "q"}, {"type", 3}, {"value", "hi"}}})}}},
              {"guild_id", "1000000000000000001"},
              {"channel_id", "1000000000000000002"},
              {"member", {{"user", {{"id", "900000000000000001"}, {"username", "ana"}}}}}};
  auto r = Discord(cmd.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::parse(r->body), json({{"type", 5}}));
  ASSERT_EQ(r->messages.size(), 1u);
  const InboundMessage& m = r->messages[0];
  EXPECT_EQ(m.event_id, "interaction:1200000000000000001");
  EXPECT_EQ(m.text, "hi");
  EXPECT_EQ(m.user_id, "900000000000000001");
  EXPECT_TRUE(m.is_group);
  const Platform& p = *DiscordPlatform();
  auto calls = p.reply(m, std::string(2500, 'a'), kDiscordSecrets, "http://127.0.0.1:9/api", 0);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].method, "PATCH");
  EXPECT_EQ((*calls)[0].url,
            "http://127.0.0.1:9/api/webhooks/1100000000000000001/itok_abc/messages/@original");
  EXPECT_EQ((*calls)[1].method, "POST");
  EXPECT_EQ((*calls)[1].url, "http://127.0.0.1:9/api/webhooks/1100000000000000001/itok_abc");
  json first = json::parse((*calls)[0].body);
  EXPECT_EQ(first["content"].get<std::string>().size(), 2000u);
  EXPECT_EQ(first["allowed_mentions"], json({{"parse", json::array()}}));
  json other = cmd;
  other["application_id"] = "999";
  EXPECT_EQ(Discord(other.dump()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::web::channels
