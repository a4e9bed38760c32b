// ToolsFromOpenApi: which tools a document makes, their names, descriptions
// and argument schemas (parameters and bodies), and the server URL.
#include <gtest/gtest.h>

#include "plugins/openapi/internal/operation.h"
#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_documents.h"
#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;
using openapitest::Doc;
using openapitest::ErrorOf;
using openapitest::Find;
using openapitest::LocalOptions;
using openapitest::ToolsOk;

TEST(ToolsFromOpenApi, PetstoreOperationsBecomeTools) {
  ToolList tools = ToolsOk(*ParseOpenApiText(openapitest::kPetstoreJson));
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_EQ(tools[0]->spec().name, "listPets");
  EXPECT_EQ(tools[1]->spec().name, "createPet");
  EXPECT_EQ(tools[2]->spec().name, "showPetById");
  EXPECT_EQ(tools[3]->spec().name, "delete_pets_petId");  // no operationId: method_path
  EXPECT_EQ(tools[0]->spec().description, "List pets");
  EXPECT_EQ(tools[2]->spec().description, "Info for a specific pet");

  // format, minimum and maximum dropped; the array kept with its items.
  EXPECT_EQ(tools[0]->spec().parameters, json::parse(R"({
    "type": "object",
    "properties": {
      "limit": {"type": "integer"},
      "tags": {"type": "array", "items": {"type": "string"}}
    }})"));
  // The path-level $ref parameter (required, described, pattern dropped)
  // and the operation's header parameter.
  EXPECT_EQ(tools[2]->spec().parameters, json::parse(R"({
    "type": "object",
    "properties": {
      "petId": {"type": "string", "description": "The id of the pet"},
      "X-Request-Id": {"type": "string"}
    },
    "required": ["petId"]})"));
  // The JSON body's properties merged in; 3.0 nullable as a type list (and
  // null added to the enum); example and default dropped; quoted enum
  // values stay strings.
  EXPECT_EQ(tools[1]->spec().parameters, json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 50},
      "tag": {"type": ["string", "null"]},
      "code": {"type": "string", "enum": ["123", "456"]},
      "age": {"type": "integer"},
      "vaccinated": {"type": "boolean", "enum": [true, false]},
      "weight": {"type": ["number", "null"], "enum": [1.5, 2, null]}
    },
    "required": ["name"]})"));
}

TEST(ToolsFromOpenApi, JsonAndYamlGiveTheSameTools) {
  ToolList a = ToolsOk(*ParseOpenApiText(openapitest::kPetstoreJson));
  ToolList b = ToolsOk(*ParseOpenApiText(openapitest::kPetstoreYaml));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]->spec().name, b[i]->spec().name);
    EXPECT_EQ(a[i]->spec().description, b[i]->spec().description);
    EXPECT_EQ(a[i]->spec().parameters, b[i]->spec().parameters) << a[i]->spec().name;
  }
}

TEST(ToolsFromOpenApi, Version31TypeListsAndNullable) {
  const char* paths = R"({"/x": {"post": {"operationId": "x", "requestBody": {"content": {
      "application/json": {"schema": {"type": "object", "properties": {
        "a": {"type": ["string", "null"], "examples": ["e"]},
        "b": {"type": "string", "nullable": true},
        "c": {"const": "fixed", "title": "dropped"},
        "d": {"anyOf": [{"type": "integer"}, {"type": "string", "format": "date"}]},
        "e": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        "f": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}
      }}}}}}}})";
  ToolList v31 = ToolsOk(Doc(paths, "3.1.0"));
  ASSERT_EQ(v31.size(), 1u);
  EXPECT_EQ(v31[0]->spec().parameters["properties"], json::parse(R"({
    "a": {"type": ["string", "null"]},
    "b": {"type": "string"},
    "c": {"const": "fixed"},
    "d": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "e": {"type": "object", "additionalProperties": {"type": "number"}},
    "f": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3}})"));
  // In 3.0, nullable is a keyword: "b" may be null.
  ToolList v30 = ToolsOk(Doc(paths, "3.0.1"));
  EXPECT_EQ(v30[0]->spec().parameters["properties"]["b"],
            json::parse(R"({"type": ["string", "null"]})"));
  // An optional body: its required properties are not required arguments.
  EXPECT_FALSE(v31[0]->spec().parameters.contains("required"));
}

TEST(ToolsFromOpenApi, RefsAreInlinedAndAllOfFolded) {
  const char* components = R"({"schemas": {
    "Id": {"type": "string", "description": "an id"},
    "Base": {"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/components/schemas/Id"}}},
    "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"},
                      {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}]},
    "Pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
  }, "requestBodies": {"PetBody": {"required": true, "content": {"application/json": {
      "schema": {"$ref": "#/components/schemas/Pet"}}}}}})";
  const char* paths = R"({
    "/pets": {"put": {"operationId": "put_pets", "requestBody": {"content": {"application/json":
        {"schema": {"$ref": "#/components/schemas/Pets"}}}}}},
    "/pet": {"post": {"operationId": "add_pet", "requestBody": {"$ref": "#/components/requestBodies/PetBody"}}}})";
  ToolList tools = ToolsOk(Doc(paths, "3.1.0", components));
  ASSERT_EQ(tools.size(), 2u);
  const json pet = json::parse(R"({
    "type": "object", "required": ["id", "name"],
    "properties": {"id": {"type": "string", "description": "an id"}, "name": {"type": "string"}}})");
  // An array body cannot be merged: it is the "body" argument.
  EXPECT_EQ(
      Find(tools, "put_pets")->spec().parameters,
      json({{"type", "object"}, {"properties", {{"body", {{"type", "array"}, {"items", pet}}}}}}));
  EXPECT_EQ(
      Find(tools, "add_pet")->spec().parameters,
      json({{"type", "object"}, {"properties", pet["properties"]}, {"required", pet["required"]}}));
}

TEST(ToolsFromOpenApi, CircularRefsAreRefused) {
  const char* direct = R"({"schemas": {"Node": {"type": "object", "properties": {
      "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}})";
  const char* indirect = R"({"schemas": {
      "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
      "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}}}})";
  const char* self = R"({"schemas": {"S": {"$ref": "#/components/schemas/S"}}})";
  for (const auto& [components, root] : {std::pair{direct, "Node"}, {indirect, "A"}, {self, "S"}}) {
    const std::string paths = std::string(R"({"/n": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/)") +
                              root + R"("}}}}}}})";
    std::string message =
        ErrorOf(ToolsFromOpenApi(Doc(paths, "3.1.0", components), {}, LocalOptions()));
    EXPECT_NE(message.find("circular $ref"), std::string::npos) << message;
  }
  // A chain of $refs between parameters that loops.
  const char* params = R"({"parameters": {"P": {"$ref": "#/components/parameters/Q"},
                                          "Q": {"$ref": "#/components/parameters/P"}}})";
  std::string message = ErrorOf(ToolsFromOpenApi(
      Doc(R"({"/p": {"get": {"parameters": [{"$ref": "#/components/parameters/P"}]}}})", "3.1.0",
          params),
      {}, LocalOptions()));
  EXPECT_NE(message.find("circular"), std::string::npos) << message;
}

TEST(ToolsFromOpenApi, BadRefsAreRefused) {
  for (const char* ref : {"#/components/schemas/Missing", "other.yaml#/Pet",
                          "https://example.com/s.json", "#/paths/~1x/get/nothing"}) {
    const std::string paths = std::string(R"({"/x": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"$ref": ")") +
                              ref + R"("}}}}}}})";
    std::string message = ErrorOf(ToolsFromOpenApi(Doc(paths), {}, LocalOptions()));
    EXPECT_NE(message.find("$ref"), std::string::npos) << message;
  }
  // JSON Pointer escapes resolve: ~1 is '/', %7B is '{'.
  ToolList tools = ToolsOk(Doc(R"({"/a/{b}": {"get": {"operationId": "a", "parameters": [
      {"name": "q", "in": "query", "schema": {"type": "integer"}}]}},
      "/c": {"get": {"operationId": "c", "parameters": [
      {"$ref": "#/paths/~1a~1%7Bb%7D/get/parameters/0"}]}}})"));
  EXPECT_EQ(Find(tools, "c")->spec().parameters["properties"]["q"], json({{"type", "integer"}}));
}

TEST(ToolsFromOpenApi, RefBlowUpIsBounded) {
  // Each level refers to the one below ten times: 10^8 nodes if inlined.
  json schemas = {{"L0", {{"type", "string"}}}};
  for (int level = 1; level <= 8; ++level) {
    json properties;
    for (int i = 0; i < 10; ++i) {
      properties["p" + std::to_string(i)] = {
          {"$ref", "#/components/schemas/L" + std::to_string(level - 1)}};
    }
    schemas["L" + std::to_string(level)] = {{"type", "object"}, {"properties", properties}};
  }
  json doc = Doc(R"({"/x": {"post": {"requestBody": {"content": {"application/json":
      {"schema": {"$ref": "#/components/schemas/L8"}}}}}}})");
  doc["components"]["schemas"] = schemas;
  std::string message = ErrorOf(ToolsFromOpenApi(doc, {}, LocalOptions()));
  EXPECT_NE(message.find("nodes once their $refs are inlined"), std::string::npos) << message;
}

TEST(ToolsFromOpenApi, NamesAreSanitizedAndUnique) {
  const std::string long_id(100, 'x');
  ToolList tools = ToolsOk(Doc(R"({
    "/a": {"get": {"operationId": "get pets/list!"}, "post": {"operationId": "same"},
           "put": {"operationId": "same"}, "patch": {"operationId": "same"}},
    "/b/{id}/c.d": {"get": {}},
    "/l1": {"get": {"operationId": ")" +
                               long_id + R"("}},
    "/l2": {"get": {"operationId": ")" +
                               long_id + R"("}}})"));
  std::vector<std::string> names;
  for (const auto& tool : tools) {
    names.push_back(tool->spec().name);
    EXPECT_TRUE(ValidToolName(tool->spec().name)) << tool->spec().name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"get_pets_list", "same", "same_2", "same_3", "get_b_id_c_d",
                                      std::string(64, 'x'), std::string(62, 'x') + "_2"}));
}

TEST(ToolsFromOpenApi, BodiesThatCannotBeMerged) {
  ToolList tools = ToolsOk(Doc(R"({
    "/clash/{name}": {"post": {"operationId": "clash", "requestBody": {"required": true, "content": {
        "application/json": {"schema": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}, "x": {"type": "integer"}}}}}}}},
    "/free": {"post": {"operationId": "free", "requestBody": {"content": {
        "application/json": {"schema": {"type": "object", "additionalProperties": true}}}}}},
    "/text": {"post": {"operationId": "text", "requestBody": {"required": true, "content": {
        "text/plain": {}}}}},
    "/upload": {"post": {"operationId": "upload", "requestBody": {"required": true, "content": {
        "multipart/form-data": {"schema": {"type": "object"}}}}}},
    "/optional_upload": {"post": {"operationId": "optional_upload", "requestBody": {"content": {
        "multipart/form-data": {}}}}}})"));
  // A body property clashing with a parameter: the whole body under "body".
  EXPECT_EQ(Find(tools, "clash")->spec().parameters, json::parse(R"({"type": "object",
    "properties": {"name": {"type": "string"},
                   "body": {"type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string"}, "x": {"type": "integer"}}}},
    "required": ["name", "body"]})"));
  EXPECT_EQ(Find(tools, "free")->spec().parameters["properties"]["body"],
            json::parse(R"({"type": "object", "additionalProperties": true})"));
  EXPECT_EQ(Find(tools, "text")->spec().parameters["properties"]["body"],
            json({{"type", "string"}}));
  // A required multipart body cannot be sent: no tool. An optional one is left out.
  EXPECT_EQ(tools.size(), 4u);
  EXPECT_EQ(Find(tools, "optional_upload")->spec().parameters["properties"], json::object());

  std::string message = ErrorOf(ToolsFromOpenApi(Doc(R"({"/u": {"post": {"requestBody": {
      "required": true, "content": {"multipart/form-data": {}}}}}})"),
                                                 {}, LocalOptions()));
  EXPECT_NE(message.find("no operation of the document can be a tool"), std::string::npos)
      << message;
}

TEST(ToolsFromOpenApi, ParameterNamesThatClash) {
  ToolList tools = ToolsOk(Doc(R"({"/x/{id}": {"get": {"operationId": "x", "parameters": [
      {"name": "id", "in": "path", "required": true},
      {"name": "id", "in": "query", "schema": {"type": "integer"}},
      {"name": "id", "in": "header"},
      {"name": "Accept", "in": "header"}, {"name": "Content-Type", "in": "header"},
      {"name": "Authorization", "in": "header"}]}}})"));
  EXPECT_EQ(tools[0]->spec().parameters, json::parse(R"({"type": "object", "properties": {
      "id": {"type": "string"}, "query_id": {"type": "integer"}, "header_id": {"type": "string"}},
      "required": ["id"]})"));
}

TEST(ToolsFromOpenApi, CredentialParametersAreNotArguments) {
  const char* paths = R"({"/x": {"get": {"operationId": "x", "parameters": [
      {"name": "X-Api-Key", "in": "header", "required": true},
      {"name": "api_key", "in": "query", "required": true},
      {"name": "q", "in": "query"}]}}})";
  OpenApiAuth header{"api_key", "x-api-key", "header", "s3cr3t-header"};
  ToolList tools = ToolsOk(Doc(paths), header);
  EXPECT_FALSE(tools[0]->spec().parameters["properties"].contains("X-Api-Key"));
  EXPECT_TRUE(tools[0]->spec().parameters["properties"].contains("api_key"));
  OpenApiAuth query{"api_key", "api_key", "query", "s3cr3t-query"};
  tools = ToolsOk(Doc(paths), query);
  EXPECT_FALSE(tools[0]->spec().parameters["properties"].contains("api_key"));
  EXPECT_EQ(tools[0]->spec().parameters.dump().find("s3cr3t"), std::string::npos);
}

TEST(ToolsFromOpenApi, ServerUrls) {
  json doc = Doc(R"({"/x": {"get": {"operationId": "x"}}})");
  OpenApiOptions options = LocalOptions();
  auto base = [&]() -> std::string {
    Result<std::string> url = internal::ServerBaseUrl(doc, options);
    return url.ok() ? *url : "error: " + url.status().message();
  };
  EXPECT_EQ(base(), "https://api.example.com/v1");
  doc["servers"] = json::parse(R"([{"url": "https://{region}.example.com:{port}/",
      "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}, "port": {"default": "8443"}}}])");
  EXPECT_EQ(base(), "https://eu.example.com:8443");
  // Relative URLs resolve against where the document came from.
  doc["servers"] = json::parse(R"([{"url": "/api/v2"}])");
  EXPECT_EQ(base(), "https://plugins.example.com/api/v2");
  doc["servers"] = json::parse(R"([{"url": "../v3/"}])");
  EXPECT_EQ(base(), "https://plugins.example.com/v3");
  doc["servers"] = json::parse(R"([{"url": "//other.example.com/x"}])");
  EXPECT_EQ(base(), "https://other.example.com/x");
  doc.erase("servers");  // OpenAPI's default server is "/"
  EXPECT_EQ(base(), "https://plugins.example.com");
  options.document_url = "http://127.0.0.1:8081/openapi.json";
  EXPECT_EQ(base(), "http://127.0.0.1:8081");
  options.document_url = "";
  EXPECT_NE(base().find("is relative"), std::string::npos) << base();
  EXPECT_FALSE(ToolsFromOpenApi(doc, {}, options).ok());
  // base_url wins over everything.
  options.base_url = "http://127.0.0.1:9/base/";
  EXPECT_EQ(base(), "http://127.0.0.1:9/base");
  EXPECT_TRUE(ToolsFromOpenApi(doc, {}, options).ok());
  options.base_url = "ftp://example.com";
  EXPECT_NE(base().find("not http or https"), std::string::npos) << base();
  options.base_url = "https://example.com/?q=1";
  EXPECT_NE(base().find("query"), std::string::npos) << base();
  options.base_url = "";

  options.document_url = "https://example.com/x.json";
  doc["servers"] = json::parse(R"([{"url": "https://{region}.example.com"}])");
  EXPECT_NE(base().find("{region}"), std::string::npos) << base();
  doc["servers"] = json::parse(R"("https://example.com")");
  EXPECT_NE(base().find("servers: must be a list"), std::string::npos) << base();
  doc["servers"] = json::parse(R"([{"url": 42}])");
  EXPECT_NE(base().find("servers[0].url"), std::string::npos) << base();
  EXPECT_NE(ErrorOf(ToolsFromOpenApi(doc, {}, options)).find("servers[0].url"), std::string::npos);
}

TEST(ToolsFromOpenApi, VersionsOtherThan3AreRefused) {
  json swagger = {{"swagger", "2.0"}, {"paths", json::object()}};
  EXPECT_NE(ErrorOf(ToolsFromOpenApi(swagger, {}, LocalOptions())).find("Swagger (OpenAPI 2.0)"),
            std::string::npos);
  for (const char* version : {"2.0", "4.0.0", "3.2.0", "3", ""}) {
    std::string message =
        ErrorOf(ToolsFromOpenApi(Doc(R"({"/x": {"get": {}}})", version), {}, LocalOptions()));
    EXPECT_NE(message.find("not supported"), std::string::npos) << message;
  }
  json numeric = Doc(R"({"/x": {"get": {}}})");
  numeric["openapi"] = 3.1;
  EXPECT_NE(ErrorOf(ToolsFromOpenApi(numeric, {}, LocalOptions())).find("version string"),
            std::string::npos);
  EXPECT_TRUE(ToolsFromOpenApi(Doc(R"({"/x": {"get": {}}})", "3.0.0"), {}, LocalOptions()).ok());
}

TEST(ToolsFromOpenApi, AtMost64Operations) {
  auto doc_with = [](int n) {
    json paths = json::object();
    for (int i = 0; i < n; ++i) paths["/p" + std::to_string(i)] = {{"get", json::object()}};
    return Doc(paths.dump());
  };
  EXPECT_EQ(ToolsOk(doc_with(64)).size(), 64u);
  std::string message = ErrorOf(ToolsFromOpenApi(doc_with(65), {}, LocalOptions()));
  EXPECT_NE(message.find("65 operations"), std::string::npos) << message;
}

}  // namespace
}  // namespace kiln::plugins
