// Renders every case in fixtures/*.json and compares byte for byte with the
// reference rendering (jinja2 configured as Hugging Face does, or for built-ins
// an independent Python implementation) produced by make_fixtures.py.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/chat/chat_template.h"

namespace kiln::engine {
namespace {

using Json = nlohmann::ordered_json;

Json LoadFixture(const std::string& name) {
  std::ifstream in(std::string(KILN_CHAT_FIXTURES_DIR) + "/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

// True when the case is expressible through ChatTemplate::Render.
bool IsPlainConversation(const Json& vars) {
  for (const auto& [key, value] : vars.items()) {
    if (key != "messages" && key != "add_generation_prompt" && key != "bos_token" &&
        key != "eos_token") {
      return false;
    }
  }
  for (const Json& m : vars["messages"]) {
    if (m.size() != 2 || !m.contains("role") || !m.contains("content") ||
        !m["content"].is_string()) {
      return false;
    }
  }
  return true;
}

class FixtureTest : public testing::TestWithParam<const char*> {};

TEST_P(FixtureTest, MatchesReferenceRendering) {
  Json fixture = LoadFixture(GetParam());
  ASSERT_FALSE(fixture.is_discarded()) << "cannot read fixture " << GetParam();
  ASSERT_FALSE(fixture["cases"].empty());
  ChatTemplate tmpl = ChatTemplate::Builtin("chatml");
  if (fixture.contains("builtin")) {
    tmpl = ChatTemplate::Builtin(fixture["builtin"].get<std::string>());
  } else {
    Result<ChatTemplate> parsed = ChatTemplate::Parse(fixture["template"].get<std::string>());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    tmpl = std::move(parsed).value();
  }
  for (const Json& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Json& vars = c["variables"];
    Result<std::string> out = tmpl.RenderVariables(vars);
    if (c.contains("error")) {
      ASSERT_FALSE(out.ok()) << "expected an error, got: " << *out;
      EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(out.status().message().find(c["error"].get<std::string>()), std::string::npos)
          << out.status().ToString();
      continue;
    }
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, c["expected"].get<std::string>());
    if (!IsPlainConversation(vars)) continue;
    std::vector<ChatMessage> messages;
    for (const Json& m : vars["messages"]) {
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    TemplateContext ctx;
    ctx.bos_token = vars["bos_token"].get<std::string>();
    ctx.eos_token = vars["eos_token"].get<std::string>();
    Result<std::string> via_api =
        tmpl.Render(messages, vars["add_generation_prompt"].get<bool>(), ctx);
    ASSERT_TRUE(via_api.ok()) << via_api.status().ToString();
    EXPECT_EQ(*via_api, c["expected"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Templates, FixtureTest,
                         testing::Values("smollm2", "llama3", "qwen25_tools", "qwen3_thinking",
                                         "mistral", "phi3", "features", "gemma", "chatml"));

}  // namespace
}  // namespace kiln::engine
