#include "storage/bot_json.h"

#include <gtest/gtest.h>

#include <string>

namespace kiln::storage {
namespace {

using nlohmann::json;

BotConfig FullConfig() {
  BotConfig config;
  config.name = "烹饪助手 🍳";
  config.description = "Answers cooking questions — 中文 and English";
  config.avatar_url = "https://example.com/a.png";
  config.persona =
      "你是一个乐于助人的厨师。Use {{cuisine}} 🌶️ \"quotes\" and \\ backslashes\n";
  config.model = "smollm2-135m-instruct";
  config.model_params = {0.2, 0.5, 7, 1024, -1.5, 1.25};
  config.opening_message = "你好！👋";
  config.suggested_questions = {"怎么做饺子？", "What is umami? 🤔", ""};
  config.variables = {{"cuisine", "which cuisine", "川菜"}, {"level", "", ""}};
  config.knowledge_ids = {"kb_1", "kb_2"};
  config.plugin_ids = {"plg_weather"};
  config.history_turns = 3;
  config.follow_up = true;
  config.inject_current_time = true;
  config.guard_prompt = true;
  config.no_hit_reply = "资料里没有找到。";
  config.max_tool_steps = 5;
  return config;
}

TEST(BotJsonTest, DefaultsRoundTrip) {
  Result<BotConfig> back = BotConfigFromJson(BotConfigToJson(BotConfig{}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, BotConfig{});
}

TEST(BotJsonTest, FullConfigRoundTripsThroughText) {
  const BotConfig config = FullConfig();
  std::string text = BotConfigToJson(config).dump();
  Result<BotConfig> back = BotConfigFromJson(json::parse(text));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, config);
  EXPECT_EQ(back->name, "烹饪助手 🍳");
  EXPECT_EQ(back->variables[0].default_value, "川菜");
}

TEST(BotJsonTest, ToJsonUsesApiFieldNames) {
  json out = BotConfigToJson(FullConfig());
  EXPECT_EQ(out.size(), 17u);
  EXPECT_EQ(out["no_hit_reply"], "资料里没有找到。");
  EXPECT_EQ(out["max_tool_steps"], 5);
  EXPECT_EQ(out["variables"][0]["default"], "川菜");
  EXPECT_FALSE(out["variables"][0].contains("default_value"));
  EXPECT_EQ(out["model_params"]["top_k"], 7);
  EXPECT_EQ(out["model_params"]["frequency_penalty"], 1.25);
  EXPECT_EQ(out["guard_prompt"], true);
}

TEST(BotJsonTest, MissingFieldsKeepDefaults) {
  Result<BotConfig> config =
      BotConfigFromJson(json{{"name", "Only a name"}, {"model_params", {{"top_k", 5}}}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  BotConfig expected;
  expected.name = "Only a name";
  expected.model_params.top_k = 5;
  EXPECT_EQ(*config, expected);
}

TEST(BotJsonTest, NullMeansDefault) {
  Result<BotConfig> config = BotConfigFromJson(
      json{{"name", nullptr}, {"history_turns", nullptr}, {"variables", nullptr}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(*config, BotConfig{});
}

TEST(BotJsonTest, UnknownKeysAreIgnored) {
  Result<BotConfig> config =
      BotConfigFromJson(json{{"name", "x"}, {"colour", "blue"}, {"model_params", {{"seed", 1}}}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->name, "x");
}

TEST(BotJsonTest, WholeFloatIsAcceptedAsInteger) {
  Result<BotConfig> config = BotConfigFromJson(json::parse(R"({"history_turns": 4.0})"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->history_turns, 4);
}

TEST(BotJsonTest, IntegerIsAcceptedAsDouble) {
  Result<BotConfig> config = BotConfigFromJson(json::parse(R"({"model_params": {"top_p": 1}})"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->model_params.top_p, 1.0);
}

TEST(BotJsonTest, NonObjectIsRejected) {
  for (const char* text : {"[]", "\"bot\"", "42", "null"}) {
    Result<BotConfig> config = BotConfigFromJson(json::parse(text));
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

struct WrongTypeCase {
  const char* input;
  const char* param;
};

class BotJsonWrongTypeTest : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(BotJsonWrongTypeTest, NamesTheField) {
  Result<BotConfig> config = BotConfigFromJson(json::parse(GetParam().input));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().param(), GetParam().param);
  EXPECT_NE(config.status().message().find(GetParam().param), std::string::npos)
      << config.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BotJsonWrongTypeTest,
    ::testing::Values(
        WrongTypeCase{R"({"name": 1})", "name"}, WrongTypeCase{R"({"persona": ["a"]})", "persona"},
        WrongTypeCase{R"({"model_params": []})", "model_params"},
        WrongTypeCase{R"({"model_params": {"top_p": "high"}})", "model_params.top_p"},
        WrongTypeCase{R"({"model_params": {"temperature": true}})", "model_params.temperature"},
        WrongTypeCase{R"({"model_params": {"top_k": 1.5}})", "model_params.top_k"},
        WrongTypeCase{R"({"model_params": {"max_tokens": 3000000000}})", "model_params.max_tokens"},
        WrongTypeCase{R"({"model_params": {"max_tokens": -3000000000}})",
                      "model_params.max_tokens"},
        WrongTypeCase{R"({"suggested_questions": "q"})", "suggested_questions"},
        WrongTypeCase{R"({"suggested_questions": ["a", 2]})", "suggested_questions[1]"},
        WrongTypeCase{R"({"variables": {"name": "a"}})", "variables"},
        WrongTypeCase{R"({"variables": [1]})", "variables[0]"},
        WrongTypeCase{R"({"variables": [{"name": "a"}, {"name": 2}]})", "variables[1].name"},
        WrongTypeCase{R"({"variables": [{"name": "a", "default": false}]})",
                      "variables[0].default"},
        WrongTypeCase{R"({"knowledge_ids": ["kb", null]})", "knowledge_ids[1]"},
        WrongTypeCase{R"({"plugin_ids": 7})", "plugin_ids"},
        WrongTypeCase{R"({"history_turns": "10"})", "history_turns"},
        WrongTypeCase{R"({"follow_up": 1})", "follow_up"},
        WrongTypeCase{R"({"inject_current_time": "yes"})", "inject_current_time"},
        WrongTypeCase{R"({"guard_prompt": {}})", "guard_prompt"},
        WrongTypeCase{R"({"no_hit_reply": 3})", "no_hit_reply"},
        WrongTypeCase{R"({"max_tool_steps": "3"})", "max_tool_steps"}));

}  // namespace
}  // namespace kiln::storage
