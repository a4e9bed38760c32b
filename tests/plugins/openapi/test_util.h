// Helpers shared by the OpenAPI plugin tests: documents from JSON text and the
// tools they make, looked up by name.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "plugins/openapi/openapi.h"

namespace kiln::plugins::openapitest {

// Options that need no network: an absolute base URL is in the documents.
inline OpenApiOptions LocalOptions() {
  OpenApiOptions options;
  options.document_url = "https://plugins.example.com/specs/openapi.json";
  return options;
}

// A 3.x document around `paths_json` (and optional components).
inline nlohmann::json Doc(std::string_view paths_json, std::string_view version = "3.1.0",
                          std::string_view components_json = "{}") {
  nlohmann::json doc = {{"openapi", std::string(version)},
                        {"info", {{"title", "t"}, {"version", "1"}}},
                        {"servers", {{{"url", "https://api.example.com/v1"}}}}};
  doc["paths"] = nlohmann::json::parse(paths_json);
  doc["components"] = nlohmann::json::parse(components_json);
  return doc;
}

inline ToolList ToolsOk(const nlohmann::json& doc, const OpenApiAuth& auth = {},
                        const OpenApiOptions& options = LocalOptions()) {
  Result<ToolList> tools = ToolsFromOpenApi(doc, auth, options);
  EXPECT_TRUE(tools.ok()) << tools.status().ToString();
  return tools.ok() ? *tools : ToolList{};
}

inline std::shared_ptr<Tool> Find(const ToolList& tools, std::string_view name) {
  for (const auto& tool : tools) {
    if (tool->spec().name == name) return tool;
  }
  ADD_FAILURE() << "no tool named " << name;
  return nullptr;
}

// The message of a failed result ("" and a test failure when it succeeded).
template <typename T>
std::string ErrorOf(const Result<T>& result, StatusCode code = StatusCode::kInvalidArgument) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), code) << result.status().ToString();
  return result.status().message();
}

}  // namespace kiln::plugins::openapitest
