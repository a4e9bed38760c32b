// Hostile documents: each is refused with a clear InvalidArgument, quickly,
// and never crashes (deep nesting would overflow the stack of recursive code,
// an alias bomb would exhaust memory, 10,000 operations would waste time).
#include <gtest/gtest.h>

#include <chrono>

#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;
using openapitest::Doc;
using openapitest::ErrorOf;
using openapitest::LocalOptions;

std::string ParseError(std::string_view text) { return ErrorOf(ParseOpenApiText(text)); }

std::string ToolsError(const json& doc) {
  return ErrorOf(ToolsFromOpenApi(doc, {}, LocalOptions()));
}

TEST(HostileDocuments, TooLarge) {
  std::string text = "{\"openapi\": \"3.1.0\", \"x\": \"" + std::string(2u << 20, 'a') + "\"}";
  EXPECT_NE(ParseError(text).find("at most 2097152 bytes"), std::string::npos);
  std::string yaml = "openapi: 3.1.0\nx: " + std::string(3u << 20, 'a') + "\n";
  EXPECT_NE(ParseError(yaml).find("at most"), std::string::npos);
}

TEST(HostileDocuments, DeepJsonNesting) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(ParseError("{\"a\": " + deep + "}").find("deeper than 64"), std::string::npos);
  // 64 levels are fine; brackets inside strings do not count.
  std::string ok =
      "{\"s\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\", \"a\": " +
      std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_TRUE(ParseOpenApiText(ok).ok());
}

TEST(HostileDocuments, DeepJsonNestingHandedInDirectly) {
  // The API layer may parse the request itself and pass the document on.
  json doc = Doc(R"({"/x": {"get": {}}})");
  json* node = &doc["x-deep"];
  for (int i = 0; i < 20000; ++i) {
    *node = json::array({nullptr});
    node = &(*node)[0];
  }
  EXPECT_NE(ToolsError(doc).find("deeper than 64"), std::string::npos);
}

TEST(HostileDocuments, DeepYamlNesting) {
  // Flow style: yaml-cpp's own recursion guard or ours, either way refused.
  std::string flow = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_NE(ParseError(flow).find("YAML"), std::string::npos);
  std::string flow_maps = "a: ";
  for (int i = 0; i < 3000; ++i) flow_maps += "{b: ";
  flow_maps += "1" + std::string(3000, '}') + "\n";
  EXPECT_NE(ParseError(flow_maps).find("YAML"), std::string::npos);
  // Block style, each level indented one more.
  std::string block;
  for (int i = 0; i < 200; ++i) block += std::string(i, ' ') + "k:\n";
  EXPECT_NE(ParseError(block).find("deeper than 64"), std::string::npos);
}

TEST(HostileDocuments, YamlAliasBomb) {
  const auto start = std::chrono::steady_clock::now();
  std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
  }
  std::string message = ParseError(bomb);
  EXPECT_NE(message.find("expands to more than"), std::string::npos) << message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // An alias inside the node it names.
  message = ParseError("a: &x [1, *x]\n");
  EXPECT_NE(message.find("contains it"), std::string::npos) << message;
  // An alias of nothing.
  EXPECT_NE(ParseError("a: *nothing\n").find("YAML"), std::string::npos);
}

TEST(HostileDocuments, NotUtf8) {
  std::string message = ParseError("{\"openapi\": \"3.1.0\", \"x\": \"\xC3\x28\"}");
  EXPECT_NE(message.find("not valid UTF-8"), std::string::npos) << message;
  message = ParseError("openapi: 3.1.0\ninfo:\n  title: caf\xE9\n");
  EXPECT_NE(message.find("not valid UTF-8 (line 3"), std::string::npos) << message;
  EXPECT_NE(ParseError(std::string("a: \xED\xA0\x80\n")).find("UTF-8"),
            std::string::npos);  // surrogate
  EXPECT_NE(ParseError(std::string("{\"a\": \"\0\"}", 10)).find("JSON"), std::string::npos);
  // U+FFFD itself is fine.
  EXPECT_TRUE(ParseOpenApiText("a: \xEF\xBF\xBD\n").ok());
}

TEST(HostileDocuments, ComplexYamlKeys) {
  EXPECT_NE(ParseError("? [a, b]\n: 1\n").find("mapping key must be a scalar"), std::string::npos);
  EXPECT_NE(ParseError("? {a: 1}\n: 1\n").find("mapping key must be a scalar"), std::string::npos);
}

TEST(HostileDocuments, TenThousandOperations) {
  json paths = json::object();
  for (int i = 0; i < 2000; ++i) {
    json item;
    for (const char* m : {"get", "post", "put", "patch", "delete"}) item[m] = json::object();
    paths["/p" + std::to_string(i)] = item;
  }
  const auto start = std::chrono::steady_clock::now();
  std::string message = ToolsError(Doc(paths.dump()));
  EXPECT_NE(message.find("10000 operations"), std::string::npos) << message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HostileDocuments, NotAnObjectOrMissingParts) {
  EXPECT_NE(ToolsError(json::array()).find("must be an object"), std::string::npos);
  EXPECT_NE(ToolsError(json("openapi")).find("must be an object"), std::string::npos);
  EXPECT_NE(ToolsError(json(nullptr)).find("must be an object"), std::string::npos);
  json doc = Doc("{}");
  doc.erase("paths");
  EXPECT_NE(ToolsError(doc).find("paths"), std::string::npos);
  EXPECT_NE(ToolsError(Doc("{}")).find("no operations"), std::string::npos);
  EXPECT_NE(ToolsError(Doc("[]")).find("paths"), std::string::npos);
}

// Every place a document can have the wrong type: a clear error naming it.
TEST(HostileDocuments, WrongTypesEverywhere) {
  struct Case {
    const char* paths;
    const char* expect;
  };
  for (
      const Case& c : std::vector<Case>{
          {R"({"/x": 1})", "paths[/x]: must be an object"},
          {R"({"x": {"get": {}}})", "must start with '/'"},
          {R"({"/x": {"get": []}})", "paths[/x].get: must be an object"},
          {R"({"/x": {"get": {"operationId": 5}}})", "operationId: must be a string"},
          {R"({"/x": {"get": {"summary": {}}}})", "summary: must be a string"},
          {R"({"/x": {"get": {"description": []}}})", "description: must be a string"},
          {R"({"/x": {"get": {"parameters": {}}}})", "parameters: must be a list"},
          {R"({"/x": {"parameters": "p", "get": {}}})", "paths[/x].parameters: must be a list"},
          {R"({"/x": {"get": {"parameters": [3]}}})",
           "parameters[0]: a parameter must be an object"},
          {R"({"/x": {"get": {"parameters": [{"in": "query"}]}}})", "needs a name"},
          {R"({"/x": {"get": {"parameters": [{"name": 1, "in": "query"}]}}})",
           "name: must be a string"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "body"}]}}})", "in: must be path"},
          {R"({"/x": {"get": {"parameters": [{"name": "a b", "in": "header"}]}}})",
           "not a valid header name"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "required": "yes"}]}}})",
           "required: must be true or false"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "explode": 1}]}}})",
           "explode: must be true or false"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": 7}]}}})",
           "a schema must be an object"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "content": []}]}}})",
           "content: must map"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"type": 1}}]}}})",
           "type: must be a JSON type name"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"type": "str"}}]}}})",
           "type: must be a JSON type name"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"type": []}}]}}})",
           "type: must be a JSON type name"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"enum": {}}}]}}})",
           "enum: must be a list"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"maxLength": -1}}]}}})",
           "maxLength: must be a non-negative integer"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"minItems": 1.5}}]}}})",
           "minItems: must be a non-negative integer"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"required": "a"}}]}}})",
           "required: must be a list"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"properties": []}}]}}})",
           "properties: must be an object"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"items": "s"}}]}}})",
           "items: a schema must be an object"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"anyOf": []}}]}}})",
           "anyOf: must be a non-empty list"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"allOf": {}}}]}}})",
           "allOf: must be a non-empty list"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"description": 1}}]}}})",
           "description: must be a string"},
          {R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"$ref": 1}}]}}})",
           "$ref must be a string"},
          {R"({"/x": {"get": {"parameters": [{"$ref": ["#/a"]}]}}})", "$ref must be a string"},
          {R"({"/x": {"post": {"requestBody": []}}})", "requestBody: must be an object"},
          {R"({"/x": {"post": {"requestBody": {"content": "json"}}}})",
           "content: must be an object"},
          {R"({"/x": {"post": {"requestBody": {"required": 1, "content": {}}}}})",
           "required: must be true or false"},
          {R"({"/x": {"post": {"requestBody": {"content": {"application/json": 1}}}}})",
           "a media type must be an object"},
          {R"({"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": "s"}}}}}})",
           "a schema must be an object"},
      }) {
    std::string message = ToolsError(Doc(c.paths, "3.0.3"));
    EXPECT_NE(message.find(c.expect), std::string::npos) << c.paths << "\n -> " << message;
  }
  // 3.0's nullable must be a boolean.
  EXPECT_NE(ToolsError(Doc(R"({"/x": {"get": {"parameters": [{"name": "a", "in": "query",
      "schema": {"type": "string", "nullable": "yes"}}]}}})",
                           "3.0.0"))
                .find("nullable"),
            std::string::npos);
}

TEST(HostileDocuments, DeepSchemasAfterInlining) {
  // Each level's schema is an array of the level below: 40 levels deep.
  json doc = Doc(R"({"/x": {"post": {"requestBody": {"content": {"application/json":
      {"schema": {"$ref": "#/components/schemas/S39"}}}}}}})");
  doc["components"]["schemas"]["S0"] = {{"type", "string"}};
  for (int i = 1; i < 40; ++i) {
    doc["components"]["schemas"]["S" + std::to_string(i)] = {
        {"type", "array"}, {"items", {{"$ref", "#/components/schemas/S" + std::to_string(i - 1)}}}};
  }
  EXPECT_NE(ToolsError(doc).find("nest deeper than"), std::string::npos);
}

}  // namespace
}  // namespace kiln::plugins
