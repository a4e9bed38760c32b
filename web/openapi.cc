#include "web/openapi.h"

#include <algorithm>
#include <set>

namespace kiln::web {
namespace {

using nlohmann::json;

const char* ReasonText(int status) {
  switch (status) {
    case 400:
      return "The request is malformed or fails validation; param names the field.";
    case 401:
      return "Missing or invalid API key.";
    case 403:
      return "The key may not do this.";
    case 404:
      return "No such resource in the caller's workspace.";
    case 405:
      return "The path exists but not with this method.";
    case 409:
      return "Conflicts with the current state.";
    case 413:
      return "The body is over this route's limit.";
    case 422:
      return "Well-formed but cannot be processed.";
    case 429:
      return "Busy; retry after the Retry-After header.";
    case 500:
      return "Internal error; the request id is logged.";
    case 503:
      return "Unavailable; retry after the Retry-After header.";
  }
  return "Error.";
}

json ParameterJson(const ParamDoc& doc, const char* in, bool required) {
  json p = {{"name", doc.name}, {"in", in}, {"required", required}, {"schema", doc.schema}};
  if (!doc.description.empty()) p["description"] = doc.description;
  return p;
}

std::vector<std::string> PatternParams(const std::string& pattern) {
  std::vector<std::string> names;
  for (std::string_view seg : SplitPath(pattern)) {
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      names.emplace_back(seg.substr(1, seg.size() - 2));
    }
  }
  return names;
}

json Operation(const Route& route) {
  json op = {
      {"operationId", route.operation_id}, {"summary", route.summary}, {"tags", {route.tag}}};
  op["security"] = route.access == Access::kPublic ? json::array()
                                                   : json::array({{{"bearerAuth", json::array()}}});
  json params = json::array();
  for (const std::string& name : PatternParams(route.pattern)) {
    auto it = std::find_if(route.path_params.begin(), route.path_params.end(),
                           [&](const ParamDoc& d) { return d.name == name; });
    ParamDoc doc = it != route.path_params.end()
                       ? *it
                       : ParamDoc{name, "", {{"type", "string"}, {"minLength", 1}}, true};
    params.push_back(ParameterJson(doc, "path", true));
  }
  for (const ParamDoc& doc : route.query_params)
    params.push_back(ParameterJson(doc, "query", doc.required));
  if (!params.empty()) op["parameters"] = params;
  if (!route.request_schema.is_null()) {
    op["requestBody"] = {{"required", !route.body_optional},
                         {"content", {{"application/json", {{"schema", route.request_schema}}}}}};
  }
  json responses = json::object();
  for (const ResponseDoc& r : route.responses) {
    json entry = {{"description", r.description}};
    if (!r.schema.is_null()) entry["content"] = {{route.content_type, {{"schema", r.schema}}}};
    responses[std::to_string(r.status)] = entry;
  }
  std::set<int> errors(route.errors.begin(), route.errors.end());
  errors.insert({404, 405, 500});  // unmatched paths and methods can always happen
  if (route.access != Access::kPublic) errors.insert(401);
  if (route.access == Access::kAdmin) errors.insert(403);
  if (!route.request_schema.is_null()) errors.insert({400, 413});
  if (!route.query_params.empty()) errors.insert(400);
  for (int status : errors) {
    responses[std::to_string(status)] = {
        {"description", ReasonText(status)},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  }
  op["responses"] = responses;
  return op;
}

}  // namespace

json ErrorSchema() {
  return {{"type", "object"},
          {"required", {"error"}},
          {"additionalProperties", false},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", {"code", "message", "type"}},
              {"additionalProperties", false},
              {"properties",
               {{"code", {{"type", "string"}}},
                {"message", {{"type", "string"}}},
                {"type", {{"type", "string"}}},
                {"param", {{"type", "string"}}},
                {"request_id", {{"type", "string"}}}}}}}}}};
}

json BuildOpenApi(const Router& router, const std::string& version) {
  json paths = json::object();
  for (const auto& route : router.routes()) {
    std::string method = route->method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    paths[route->pattern][method] = Operation(*route);
  }
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "Kiln API"},
        {"version", version},
        {"description",
         "Kiln: build bots with knowledge and plugins, answered by an embedded LLM. "
         "Every /v1 route needs 'Authorization: Bearer <API key>'."}}},
      {"paths", paths},
      {"components",
       {{"schemas", {{"Error", ErrorSchema()}}},
        {"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}}}}},
  };
}

}  // namespace kiln::web
