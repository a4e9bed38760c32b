// From one operation object of a document to what its tool needs: the
// argument schema shown to the model and the OpenApiOperation the request is
// built from; and the server URL every request starts with. Not thread-safe
// (the SchemaConverter counts per document).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "plugins/openapi/internal/schema.h"
#include "plugins/openapi/openapi.h"
#include "plugins/openapi/request.h"

namespace kiln::plugins::internal {

struct BuiltOperation {
  std::string name_hint;  // operationId, or method_path; made unique by the caller
  std::string description;
  nlohmann::json parameters;  // the object schema of the arguments
  OpenApiOperation operation;
};

// nullopt when the operation cannot be a tool here (a required body in a
// media type other than JSON or text, such as multipart/form-data); `why` then
// says so.
Result<std::optional<BuiltOperation>> BuildOperation(SchemaConverter& schemas,
                                                     const std::string& path,
                                                     const std::string& method,
                                                     const nlohmann::json& path_item,
                                                     const nlohmann::json& operation,
                                                     const OpenApiAuth& auth, std::string* why);

// servers[0].url with its variables' defaults, or options.base_url; relative
// URLs resolved against options.document_url. No trailing '/'.
Result<std::string> ServerBaseUrl(const nlohmann::json& doc, const OpenApiOptions& options);

// The tool that sends `operation` to `base_url` (openapi_tool.cc).
std::shared_ptr<Tool> MakeOpenApiTool(ToolSpec spec, OpenApiOperation operation,
                                      std::string base_url, OpenApiAuth auth,
                                      OpenApiOptions options);

}  // namespace kiln::plugins::internal
