// The Jinja-subset interpreter on its own: scoping and whitespace rules
// (expected outputs taken from jinja2 3.1.6 with trim_blocks and lstrip_blocks),
// and hostile templates, which must fail cleanly: no crash, no hang.
#include <gtest/gtest.h>

#include <string>

#include "engine/chat/chat_template.h"

namespace kiln::engine {
namespace {

Result<std::string> RenderSource(const std::string& source) {
  KILN_ASSIGN_OR_RETURN(ChatTemplate t, ChatTemplate::Parse(source));
  return t.Render({{"user", "hi"}}, true, {});
}

std::string RenderOk(const std::string& source) {
  Result<std::string> out = RenderSource(source);
  EXPECT_TRUE(out.ok()) << source << ": " << out.status().ToString();
  return out.ok() ? *out : std::string();
}

StatusCode ErrorCode(const std::string& source) {
  Result<std::string> out = RenderSource(source);
  EXPECT_FALSE(out.ok()) << source << " rendered as " << (out.ok() ? *out : "");
  return out.ok() ? StatusCode::kOk : out.status().code();
}

TEST(JinjaTest, SetInsideLoopIsLocalToTheIteration) {
  EXPECT_EQ(RenderOk("{% set x = 1 %}{% for i in [1, 2, 3] %}{% set x = x + i %}{{ x }},"
                     "{% endfor %}{{ x }}"),
            "2,3,4,1");
  EXPECT_EQ(RenderOk("{% for i in [1, 2, 3] %}{% if i == 1 %}{% set y = 5 %}{% endif %}{{ y }},"
                     "{% endfor %}"),
            "5,,,");
}

TEST(JinjaTest, NamespaceCarriesValuesOutOfLoops) {
  EXPECT_EQ(RenderOk("{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}"
                     "{% endfor %}{{ ns.x }}"),
            "4");
}

TEST(JinjaTest, NestedLoopsShadowLoopVariable) {
  EXPECT_EQ(RenderOk("{% for i in [1, 2] %}{{ i }}{% for i in [7] %}{{ i }}{{ loop.index }}"
                     "{% endfor %}{{ loop.index }}{% endfor %}"),
            "17112712");
}

TEST(JinjaTest, WhitespaceControlMatchesJinja) {
  EXPECT_EQ(RenderOk("a\n  {% if true %}\n  b\n  {% endif %}\nc"), "a\n  b\nc");
  EXPECT_EQ(RenderOk("a {% if true %} b {% endif %} c"), "a  b  c");
  EXPECT_EQ(RenderOk("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(RenderOk("x\n{# comment #}\ny"), "x\ny");
  EXPECT_EQ(RenderOk("  {{ 'v' }}  \n  {% if true %}t{% endif %}\n"), "  v  \nt");
  EXPECT_EQ(RenderOk("{{- ' a ' -}}  \n  {{ 'b' }}"), " a b");
  EXPECT_EQ(RenderOk("line1\r\nline2\n"), "line1\nline2");
}

TEST(JinjaTest, ControlFlow) {
  EXPECT_EQ(RenderOk("{% for x in [] %}1{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(RenderOk("{% if false %}1{% elif none %}2{% else %}3{% endif %}"), "3");
  EXPECT_EQ(RenderOk("{{ 'a' if false }}|{{ [1,2,3][5] is defined }}"), "|False");
  EXPECT_EQ(
      RenderOk("{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, b=3) }}"),
      "1-2 1-3");
}

TEST(JinjaTest, UndefinedAttributeAccessFails) {
  EXPECT_EQ(ErrorCode("{{ nothing.role }}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderOk("{{ messages[0].missing is defined }}"), "False");
}

TEST(JinjaTest, SyntaxErrorsAreInvalidArgumentAtParseTime) {
  const char* bad[] = {
      "{{ x",                            // unterminated variable tag
      "{% if x %}",                      // missing endif
      "{% for m in messages %}{{ m }}",  // missing endfor
      "{# comment",                      // unterminated comment
      "{{ 'unterminated }}",             // unterminated string
      "{{ x | no_such_filter }}",        // unknown filter
      "{{ x is no_such_test }}",         // unknown test
      "{% include 'other.j2' %}",        // outside the subset
      "{% extends 'base' %}",
      "{% endif %}",   // stray end tag
      "{{ (1 + 2 }}",  // unbalanced
      "{{ }}",         // empty expression
      "{{ 1 + }}",
      "{% set %}",
      "{{ a ? b }}",  // unknown character
      "{% raw %}never closed",
  };
  for (const char* source : bad) {
    Result<ChatTemplate> t = ChatTemplate::Parse(source);
    ASSERT_FALSE(t.ok()) << source;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << source;
  }
}

TEST(JinjaTest, ErrorsNameTheLine) {
  Result<ChatTemplate> t = ChatTemplate::Parse("line one\n{{ ok }}\n{{ x | bogus }}");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 3"), std::string::npos) << t.status().ToString();
  EXPECT_NE(t.status().message().find("bogus"), std::string::npos) << t.status().ToString();
}

TEST(JinjaTest, DeepNestingIsRejectedNotOverflowed) {
  std::string parens = std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_FALSE(ChatTemplate::Parse("{{ " + parens + " }}").ok());
  std::string lists = "{{ " + std::string(100000, '[') + std::string(100000, ']') + " }}";
  EXPECT_FALSE(ChatTemplate::Parse(lists).ok());
  std::string nots = "{{ ";
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_FALSE(ChatTemplate::Parse(nots + "x }}").ok());
  std::string ifs;
  for (int i = 0; i < 10000; ++i) ifs += "{% if true %}";
  for (int i = 0; i < 10000; ++i) ifs += "{% endif %}";
  EXPECT_FALSE(ChatTemplate::Parse(ifs).ok());
  std::string minus = "{{ " + std::string(100000, '-') + "1 }}";
  EXPECT_FALSE(ChatTemplate::Parse(minus).ok());
  std::string filters = "{{ x";
  for (int i = 0; i < 10000; ++i) filters += " | trim";
  EXPECT_TRUE(ChatTemplate::Parse(filters + " }}").ok());  // long but flat: fine
}

TEST(JinjaTest, ModerateNestingStillWorks) {
  std::string ifs, ends;
  for (int i = 0; i < 20; ++i) {
    ifs += "{% if true %}";
    ends += "{% endif %}";
  }
  EXPECT_EQ(RenderOk(ifs + "deep" + ends), "deep");
  EXPECT_EQ(RenderOk("{{ " + std::string(20, '(') + "7" + std::string(20, ')') + " }}"), "7");
}

TEST(JinjaTest, HugeLoopsStopAtTheCap) {
  EXPECT_EQ(ErrorCode("{% for i in range(1000000000) %}{% endfor %}"),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCode("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
                      "{% endfor %}"),
            StatusCode::kResourceExhausted);
}

TEST(JinjaTest, OutputBombsStopAtTheCap) {
  EXPECT_EQ(ErrorCode("{{ 'x' * 1000000000 }}"), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCode("{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(20) %}"
                      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"),
            StatusCode::kResourceExhausted);
  std::string bomb =
      "{% for a in range(1000) %}{% for b in range(90) %}"
      "{{ 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' }}"
      "{% endfor %}{% endfor %}";
  EXPECT_EQ(ErrorCode(bomb), StatusCode::kResourceExhausted);
}

TEST(JinjaTest, RunawayMacroRecursionStops) {
  EXPECT_EQ(ErrorCode("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
            StatusCode::kResourceExhausted);
  // Doubling recursion under the depth cap: bounded by the step cap instead.
  EXPECT_EQ(ErrorCode("{% macro f(n) %}{% if n < 30 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}"
                      "{% endmacro %}{{ f(0) }}"),
            StatusCode::kResourceExhausted);
}

TEST(JinjaTest, RuntimeTypeErrorsAreInvalidArgument) {
  EXPECT_EQ(ErrorCode("{{ 'a' + 1 }}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("{{ 1 // 0 }}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("{{ unknown_function() }}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("{{ 'x'.no_such_method() }}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("{% for a, b in [1, 2] %}{% endfor %}"), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCode("{{ [1] < 'a' }}"), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::engine
