// The JSON Schema matcher: what it refuses to compile, byte-level acceptance
// and rejection on hand-picked cases, and a property check: random documents
// generated from random schemas are accepted, and random text the matcher
// accepts as complete always parses and validates (base/json_schema.h as the
// independent judge).
#include "engine/grammar/json_schema.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/json_schema.h"

namespace kiln::engine {
namespace {

using nlohmann::json;

template <typename J>
std::shared_ptr<const JsonGrammar> Grammar(const J& schema) {
  auto g = JsonGrammar::Compile(schema);
  EXPECT_TRUE(g.ok()) << g.status().ToString() << " " << schema.dump();
  return g.ok() ? *g : nullptr;
}

// Whether `text` is accepted as a complete value.
template <typename J>
bool Complete(const J& schema, const std::string& text) {
  JsonMatcher m(Grammar(schema));
  return m.Feed(text) && m.CanEnd();
}

// Whether `text` is a valid prefix.
template <typename J>
bool Prefix(const J& schema, const std::string& text) {
  JsonMatcher m(Grammar(schema));
  return m.Feed(text);
}

const nlohmann::ordered_json kWeather = nlohmann::ordered_json::parse(R"({
  "type": "object",
  "properties": {
    "city": {"type": "string", "minLength": 1, "maxLength": 20},
    "days": {"type": "integer"},
    "unit": {"enum": ["celsius", "fahrenheit"]},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
  },
  "required": ["city", "unit"]
})");

TEST(JsonSchemaGrammar, RefusesWhatItCannotEnforce) {
  for (const char* bad :
       {R"({"type": "string", "pattern": "^a"})", R"({"$ref": "#/x"})",
        R"({"type": "integer", "minimum": 3})", R"(false)",
        R"({"type": "object", "properties": {"a": {}}, "required": ["b"]})", R"({"type": "wat"})",
        R"({"type": "string", "minLength": 5, "maxLength": 2})", R"({"allOf": [{}]})"}) {
    auto g = JsonGrammar::Compile(json::parse(bad));
    EXPECT_FALSE(g.ok()) << bad;
    if (!g.ok()) {
      EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(JsonSchemaGrammar, ObjectsFollowPropertiesAndRequired) {
  EXPECT_TRUE(Complete(kWeather, R"({"city":"Paris","unit":"celsius"})"));
  EXPECT_TRUE(
      Complete(kWeather, R"({"city":"Paris","days":3,"unit":"fahrenheit","tags":["a","b"]})"));
  EXPECT_TRUE(Complete(kWeather, R"({ "city": "Oslo", "unit": "celsius" })"));
  EXPECT_FALSE(Prefix(kWeather, R"({"unit")"));                       // city is required first
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris"})"));              // unit missing
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"","unit":"celsius"})"));  // minLength 1
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris","unit":"kelvin")"));
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris","country")"));   // no such property
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris","days":3.5)"));  // integer
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris","days":03)"));
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"Paris","unit":"celsius","tags":["a","b","c")"));
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"abcdefghijklmnopqrstu")"));  // 21 > maxLength
  EXPECT_TRUE(Prefix(kWeather, R"({"city":"Zürich 東京")"));             // code points, not bytes
  EXPECT_FALSE(Prefix(kWeather, R"({   "city")"));                       // at most 2 spaces
  EXPECT_FALSE(Prefix(kWeather, "{\"city\":\"a\tb"));                    // raw control byte
  EXPECT_TRUE(Prefix(kWeather, R"({"city":"a\"b\u00e9\n)"));             // escapes
  EXPECT_FALSE(Prefix(kWeather, R"({"city":"a\x)"));
  JsonMatcher m(Grammar(kWeather));
  ASSERT_TRUE(m.Feed(std::string(R"({"city":"P","unit":"celsius"})")));
  EXPECT_TRUE(m.Done());
  EXPECT_FALSE(JsonMatcher(m).Feed(uint8_t{' '}));  // nothing after the value
}

TEST(JsonSchemaGrammar, NumbersLiteralsAnyOfAndAnyValue) {
  const json num = {{"type", "number"}};
  for (const char* ok : {"0", "-0", "12", "-3.25", "1e9", "2.5E-3", "7e+2"})
    EXPECT_TRUE(Complete(num, ok)) << ok;
  for (const char* bad : {"01", "-", "1.", ".5", "1e", "+1", "1.2.3"})
    EXPECT_FALSE(Complete(num, bad)) << bad;
  const json either =
      json::parse(R"({"anyOf": [{"type": "integer"}, {"type": "null"}, {"const": "n/a"}]})");
  EXPECT_TRUE(Complete(either, "42"));
  EXPECT_TRUE(Complete(either, "null"));
  EXPECT_TRUE(Complete(either, "\"n/a\""));
  EXPECT_FALSE(Complete(either, "\"n/b\""));
  EXPECT_FALSE(Complete(either, "true"));
  const json any = json::object();
  EXPECT_TRUE(Complete(any, R"({"a":[1,{"b":null}],"c":"d"})"));
  EXPECT_TRUE(Complete(json{{"type", {"string", "boolean"}}}, "false"));
  const json arr = {{"type", "array"}, {"minItems", 1}, {"items", {{"type", "boolean"}}}};
  EXPECT_FALSE(Complete(arr, "[]"));
  EXPECT_TRUE(Complete(arr, "[true,false]"));
  // A free-text string reports its room for the token fast path.
  JsonMatcher s(Grammar(kWeather));
  ASSERT_TRUE(s.Feed(std::string(R"({"city":"ab)")));
  int64_t room = 0;
  EXPECT_TRUE(s.InFreeString(&room));
  EXPECT_EQ(room, 18);
}

// ---- property checks ----

json RandomSchema(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, depth > 2 ? 4 : 7);
  switch (pick(rng)) {
    case 0:
      return {{"type", "string"}, {"maxLength", std::uniform_int_distribution<int>(0, 6)(rng)}};
    case 1:
      return {{"type", "integer"}};
    case 2:
      return {{"type", "number"}};
    case 3:
      return {{"enum", {"red", 7, nullptr, true, "re"}}};
    case 4:
      return {{"type", "boolean"}};
    case 5:
      return {{"anyOf", {RandomSchema(rng, depth + 1), RandomSchema(rng, depth + 1)}}};
    case 6:
      return {{"type", "array"},
              {"items", RandomSchema(rng, depth + 1)},
              {"maxItems", std::uniform_int_distribution<int>(0, 3)(rng)}};
    default: {
      json props = json::object();
      json required = json::array();
      const int n = std::uniform_int_distribution<int>(0, 3)(rng);
      for (int i = 0; i < n; ++i) {
        const std::string key = std::string(1, static_cast<char>('a' + i)) + (i % 2 ? "x" : "");
        props[key] = RandomSchema(rng, depth + 1);
        if (rng() % 2) required.push_back(key);
      }
      return {{"type", "object"},
              {"properties", props},
              {"required", required},
              {"additionalProperties", false}};
    }
  }
}

// Random text in JSON's alphabet: the matcher must never call an invalid
// document complete.
TEST(JsonSchemaGrammar, WhateverItCompletesParsesAndValidates) {
  std::mt19937 rng(5);
  // JSON's punctuation, letters of the literals, hex digits, and bytes of
  // 2-, 3- and 4-byte UTF-8 characters (and of invalid ones).
  const std::string alphabet =
      "{}[],:\"abcdex07-.eE ntrulfs\\\xC3\xA9\xE6\x9D\xB1\xED\xF0\x9F\x80\xFF";
  int completed = 0;
  for (int s = 0; s < 300; ++s) {
    const json schema = RandomSchema(rng, 0);
    auto grammar = Grammar(schema);
    ASSERT_NE(grammar, nullptr);
    for (int trial = 0; trial < 200; ++trial) {
      // A random walk over bytes the matcher accepts.
      JsonMatcher m(grammar);
      std::string text;
      for (int step = 0; step < 40 && !m.Done(); ++step) {
        std::vector<char> ok;
        for (char c : alphabet) {
          if (JsonMatcher(m).Feed(static_cast<uint8_t>(c))) ok.push_back(c);
        }
        if (ok.empty()) {
          // Never a dead end: some byte continues, or the value is complete.
          bool any = m.CanEnd();
          for (int b = 0; b < 256 && !any; ++b) any = JsonMatcher(m).Feed(static_cast<uint8_t>(b));
          ASSERT_TRUE(any) << "dead end after " << text << " for " << schema.dump();
          break;
        }
        const char c = ok[rng() % ok.size()];
        ASSERT_TRUE(m.Feed(static_cast<uint8_t>(c)));
        text += c;
        if (m.CanEnd() && rng() % 4 == 0) break;
      }
      if (!m.CanEnd()) continue;
      ++completed;
      const json doc = json::parse(text, nullptr, false);
      ASSERT_FALSE(doc.is_discarded()) << text << " for " << schema.dump();
      const Status valid = ValidateJson(doc, schema);
      ASSERT_TRUE(valid.ok()) << text << " for " << schema.dump() << ": " << valid.ToString();
    }
  }
  EXPECT_GT(completed, 3000);
}

}  // namespace
}  // namespace kiln::engine
