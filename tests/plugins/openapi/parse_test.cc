// ParseOpenApiText on well-formed text: JSON and YAML readings agree, YAML
// scalars get the JSON types the YAML 1.2 core schema gives them, and
// malformed text reports where.
#include <gtest/gtest.h>

#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_documents.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

json ParseOk(std::string_view text) {
  Result<json> r = ParseOpenApiText(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json();
}

TEST(ParseOpenApiText, JsonAndYamlReadTheSame) {
  const json from_json = ParseOk(openapitest::kPetstoreJson);
  const json from_yaml = ParseOk(openapitest::kPetstoreYaml);
  EXPECT_EQ(from_json, from_yaml) << from_json.dump(1) << "\n----\n" << from_yaml.dump(1);
  EXPECT_EQ(from_yaml["openapi"], "3.0.3");
  EXPECT_EQ(from_yaml["info"]["version"], "1.0");  // quoted: not the number 1.0
}

TEST(ParseOpenApiText, YamlScalarsBecomeTheRightJsonTypes) {
  const json doc = ParseOk(R"(
quoted_number: "123"
single_quoted: '456'
plain_int: 123
negative: -7
plus: +12
hex: 0x1F
octal: 0o17
float: 1.5
exponent: 1e3
huge: 12345678901234567890
infinity: .inf
tilde: ~
null_word: null
empty:
true_word: True
false_word: false
yes_word: yes
version: 3.0.0
explicit_str: !!str 42
time: 12:30
200: a numeric key
list: [1, "2", three, null]
)");
  EXPECT_EQ(doc["quoted_number"], json("123"));
  EXPECT_TRUE(doc["quoted_number"].is_string());
  EXPECT_TRUE(doc["single_quoted"].is_string());
  EXPECT_EQ(doc["plain_int"], json(123));
  EXPECT_TRUE(doc["plain_int"].is_number_integer());
  EXPECT_EQ(doc["negative"], json(-7));
  EXPECT_EQ(doc["plus"], json(12));
  EXPECT_EQ(doc["hex"], json(31));
  EXPECT_EQ(doc["octal"], json(15));
  EXPECT_EQ(doc["float"], json(1.5));
  EXPECT_EQ(doc["exponent"], json(1000.0));
  EXPECT_EQ(doc["huge"], json(12345678901234567890ull));
  EXPECT_EQ(doc["infinity"], json(".inf"));  // JSON has no infinity
  EXPECT_TRUE(doc["tilde"].is_null());
  EXPECT_TRUE(doc["null_word"].is_null());
  EXPECT_TRUE(doc["empty"].is_null());
  EXPECT_EQ(doc["true_word"], json(true));
  EXPECT_EQ(doc["false_word"], json(false));
  EXPECT_EQ(doc["yes_word"], json("yes"));  // YAML 1.2: not a boolean
  EXPECT_EQ(doc["version"], json("3.0.0"));
  EXPECT_EQ(doc["explicit_str"], json("42"));
  EXPECT_EQ(doc["time"], json("12:30"));
  EXPECT_EQ(doc["200"], json("a numeric key"));
  EXPECT_EQ(doc["list"], json::parse(R"([1, "2", "three", null])"));
}

TEST(ParseOpenApiText, YamlAnchorsAliasesAndMergeKeys) {
  const json doc = ParseOk(R"(
base: &base
  type: string
  description: shared
copy: *base
merged:
  <<: *base
  description: own
list: &items [a, b]
again: *items
)");
  EXPECT_EQ(doc["copy"], doc["base"]);
  EXPECT_EQ(doc["merged"], json::parse(R"({"type": "string", "description": "own"})"));
  EXPECT_EQ(doc["again"], json::parse(R"(["a", "b"])"));
}

TEST(ParseOpenApiText, FlowStyleYamlThatLooksLikeJson) {
  const json doc = ParseOk("{openapi: 3.1.0, paths: {}}");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_TRUE(doc["paths"].is_object());
}

TEST(ParseOpenApiText, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(ParseOk("\xEF\xBB\xBF{\"a\": 1}")["a"], 1);
  EXPECT_EQ(ParseOk("\xEF\xBB\xBF"
                    "a: 1\n")["a"],
            1);
}

TEST(ParseOpenApiText, MalformedJsonSaysWhere) {
  Result<json> r = ParseOpenApiText("{\n  \"openapi\": \"3.1.0\",\n  \"paths\": {,}\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().message();
}

TEST(ParseOpenApiText, MalformedYamlSaysWhere) {
  Result<json> r = ParseOpenApiText("openapi: 3.1.0\npaths:\n  /a: [1, 2\n  /b: 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not valid YAML"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("line "), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("column "), std::string::npos) << r.status().message();
}

TEST(ParseOpenApiText, TopLevelMustBeAnObject) {
  for (const char* text : {"[1, 2]", "42", "just a sentence", "- a\n- b\n", "null", "\"s\""}) {
    Result<json> r = ParseOpenApiText(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(r.status().message().find("must be a JSON object"), std::string::npos)
        << r.status().message();
  }
  for (const char* text : {"", "   \n\t ", "# only a comment\n"}) {
    Result<json> r = ParseOpenApiText(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseOpenApiText, OnlyTheFirstYamlDocumentCounts) {
  const json doc = ParseOk("a: 1\n---\nb: 2\n");
  EXPECT_EQ(doc, json::parse(R"({"a": 1})"));
}

}  // namespace
}  // namespace kiln::plugins
