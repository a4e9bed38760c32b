// /openapi.json is generated from the route table, and what handlers return
// conforms to the schemas it publishes.
#include "web/openapi.h"

#include <gtest/gtest.h>

#include "base/json_schema.h"
#include "tests/web/api_fixture.h"

namespace kiln::web {
namespace {

using nlohmann::json;

json ResolveSchema(const json& doc, const std::string& path, const std::string& method,
                   int status) {
  return doc["paths"][path][method]["responses"][std::to_string(status)]["content"]
            ["application/json"]["schema"];
}

TEST(OpenApi, DescribesEveryRoute) {
  ApiFixture f;
  auto r = f.Call("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["openapi"], "3.1.0");
  size_t operations = 0;
  for (auto& [path, methods] : r.json["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, f.api().router().routes().size());
  for (const auto& route : f.api().router().routes()) {
    std::string method = route->method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    const json& op = r.json["paths"][route->pattern][method];
    ASSERT_TRUE(op.is_object()) << route->pattern;
    EXPECT_EQ(op["operationId"], route->operation_id);
    EXPECT_TRUE(op["responses"].contains("500"));
    if (route->access != Access::kPublic) {
      EXPECT_TRUE(op["responses"].contains("401"));
    }
  }
}

TEST(OpenApi, ResponsesConformToPublishedSchemas) {
  ApiFixture f;
  json doc = f.Call("GET", "/openapi.json").json;
  auto created = f.Call("POST", "/v1/bots",
                        R"({"name": "客服助手", "persona": "你是{{company}}的客服",
                            "variables": [{"name": "company", "default": "Kiln"}]})",
                        f.admin_key());
  ASSERT_EQ(created.status, 201);
  Status created_ok = ValidateJson(created.json, ResolveSchema(doc, "/v1/bots", "post", 201));
  EXPECT_TRUE(created_ok.ok()) << created_ok.ToString() << created.json.dump();
  auto list = f.Call("GET", "/v1/bots", "", f.admin_key());
  Status st = ValidateJson(list.json, ResolveSchema(doc, "/v1/bots", "get", 200));
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto error = f.Call("GET", "/v1/bots/none", "", f.admin_key());
  EXPECT_TRUE(ValidateJson(error.json, ErrorSchema()).ok());
  auto version = f.Call("POST", "/v1/bots/" + created.json["id"].get<std::string>() + "/publish",
                        "", f.admin_key());
  ASSERT_EQ(version.status, 201) << version.json.dump();
  st = ValidateJson(version.json, ResolveSchema(doc, "/v1/bots/{id}/publish", "post", 201));
  EXPECT_TRUE(st.ok()) << st.ToString();
}

}  // namespace
}  // namespace kiln::web
