// ChatTemplate API: built-ins, template selection, stop strings, context.
#include "engine/chat/chat_template.h"

#include <gtest/gtest.h>

namespace kiln::engine {
namespace {

// tokenizer.chat_template of smollm2-135m-instruct-q4_1.gguf.
constexpr char kSmolLm2[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}";

TEST(ChatTemplateTest, RendersSmolLm2Template) {
  Result<ChatTemplate> t = ChatTemplate::Parse(kSmolLm2);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Result<std::string> out = t->Render({{"user", "Hi"}}, true, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t->name(), "gguf");
  EXPECT_EQ(t->StopStrings(), std::vector<std::string>{"<|im_end|>"});
}

TEST(ChatTemplateTest, GemmaBuiltinFoldsSystemIntoFirstUserTurn) {
  ChatTemplate t = ChatTemplate::Builtin("gemma");
  Result<std::string> out =
      t.Render({{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello"}}, true, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            "<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(t.StopStrings(), std::vector<std::string>{"<end_of_turn>"});
}

TEST(ChatTemplateTest, SelectPrefersTheGgufTemplate) {
  EXPECT_EQ(SelectChatTemplate(kSmolLm2, "llama").name(), "gguf");
  EXPECT_EQ(SelectChatTemplate("", "gemma3").name(), "gemma");
  EXPECT_EQ(SelectChatTemplate("", "llama").name(), "chatml");
  // An unsupported template falls back to the architecture's built-in.
  EXPECT_EQ(SelectChatTemplate("{% include 'x' %}", "gemma3").name(), "gemma");
}

TEST(ChatTemplateTest, BuiltinNamesAllParse) {
  for (const std::string& name : ChatTemplate::BuiltinNames()) {
    EXPECT_EQ(ChatTemplate::Builtin(name).name(), name);
  }
}

TEST(ChatTemplateTest, ContextProvidesTokensToolsAndExtras) {
  Result<ChatTemplate> t = ChatTemplate::Parse(
      "{{ bos_token }}{{ tools | length }}{{ tools[0].name }}{{ flag }}{{ eos_token }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  TemplateContext ctx;
  ctx.bos_token = "<s>";
  ctx.eos_token = "</s>";
  ctx.tools = nlohmann::ordered_json::array({{{"name", "search"}}});
  ctx.extra = {{"flag", true}};
  Result<std::string> out = t->Render({}, false, ctx);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "<s>1searchTrue</s>");
}

TEST(ChatTemplateTest, ToolsUndefinedWhenAbsent) {
  Result<ChatTemplate> t = ChatTemplate::Parse("{{ tools is defined }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->Render({}, false, {}), "False");
}

TEST(ChatTemplateTest, CopiesShareTheParsedTemplate) {
  ChatTemplate a = ChatTemplate::Builtin("chatml");
  ChatTemplate b = a;
  EXPECT_EQ(*a.Render({{"user", "x"}}, false, {}), *b.Render({{"user", "x"}}, false, {}));
}

TEST(ChatTemplateTest, RaiseExceptionBecomesInvalidArgument) {
  Result<ChatTemplate> t = ChatTemplate::Parse("{{ raise_exception('roles must alternate') }}");
  ASSERT_TRUE(t.ok());
  Result<std::string> out = t->Render({}, false, {});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("roles must alternate"), std::string::npos);
}

}  // namespace
}  // namespace kiln::engine
