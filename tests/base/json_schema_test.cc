#include "base/json_schema.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

using nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "required": ["name"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 5},
    "id": {"type": "string", "maxLength": 10, "pattern": "^[a-z]+$"},
    "n": {"type": "integer", "minimum": 0, "maximum": 10},
    "p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    "kind": {"enum": ["a", "b"]},
    "tags": {"type": "array", "maxItems": 2, "uniqueItems": true,
             "items": {"type": "string"}},
    "vars": {"type": "array", "items": {"type": "object", "required": ["k"],
             "properties": {"k": {"type": "string"}}}},
    "either": {"anyOf": [{"type": "integer"}, {"type": "null"}]}
  }
})");

Status Check(const char* text) { return ValidateJson(json::parse(text), kSchema); }

TEST(JsonSchema, AcceptsValidDocuments) {
  EXPECT_TRUE(Check(R"({"name": "a"})").ok());
  EXPECT_TRUE(Check(R"({"name": "abcde", "n": 10, "p": 1, "kind": "b", "tags": ["x", "y"],
                        "vars": [{"k": "v"}], "either": null, "id": "abc"})")
                  .ok());
  EXPECT_TRUE(Check(R"({"name": "a", "n": 3.0})").ok()) << "3.0 is an integer";
}

TEST(JsonSchema, NamesTheOffendingField) {
  struct Case {
    const char* doc;
    const char* param;
  } cases[] = {
      {R"({})", "name"},
      {R"({"name": ""})", "name"},
      {R"({"name": "abcdef"})", "name"},
      {R"({"name": 5})", "name"},
      {R"({"name": "a", "extra": 1})", "extra"},
      {R"({"name": "a", "n": -1})", "n"},
      {R"({"name": "a", "n": 1.5})", "n"},
      {R"({"name": "a", "p": 0})", "p"},
      {R"({"name": "a", "kind": "c"})", "kind"},
      {R"({"name": "a", "tags": ["x", "x"]})", "tags[1]"},
      {R"({"name": "a", "tags": ["x", "y", "z"]})", "tags"},
      {R"({"name": "a", "tags": [1]})", "tags[0]"},
      {R"({"name": "a", "vars": [{"k": "v"}, {}]})", "vars[1].k"},
      {R"({"name": "a", "either": "x"})", "either"},
      {R"({"name": "a", "id": "ABC"})", "id"},
      {R"([])", ""},
  };
  for (const auto& c : cases) {
    Status st = Check(c.doc);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.doc;
    EXPECT_EQ(st.param(), c.param) << c.doc << " -> " << st.ToString();
  }
}

TEST(JsonSchema, LengthsCountCodePointsNotBytes) {
  EXPECT_TRUE(Check(R"({"name": "知识库机器"})").ok());     // 5 characters, 15 bytes
  EXPECT_FALSE(Check(R"({"name": "知识库机器人"})").ok());  // 6 characters
  EXPECT_EQ(Utf8Length("😀a"), 2u);
}

TEST(JsonSchema, LongInputWithPatternDoesNotRecurseDeeply) {
  // maxLength is checked before the pattern, so hostile long strings never reach std::regex.
  json doc = {{"name", "a"}, {"id", std::string(1 << 20, 'a')}};
  EXPECT_EQ(ValidateJson(doc, kSchema).param(), "id");
}

}  // namespace
}  // namespace kiln
