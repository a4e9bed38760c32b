// Kiln plugin SDK: the OpenAPI 3.1 document of a plugin's routes.
#include "kiln_plugin.h"

namespace kiln::plugins::sdk {
namespace {

using nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

// "get" + "/cities/{id}" -> "get_cities_id": what Kiln would name it too.
std::string DefaultOperationId(std::string_view method, std::string_view path) {
  std::string out = Lower(method);
  bool gap = true;
  for (char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) {
      gap = true;
      continue;
    }
    if (gap) out += '_';
    out += c;
    gap = false;
  }
  return out;
}

json ParamJson(const Param& p) {
  json out = {{"name", p.name}, {"in", p.in}, {"required", p.required || p.in == "path"}};
  if (!p.description.empty()) out["description"] = p.description;
  out["schema"] = p.schema;
  return out;
}

json JsonContent(const json& schema) { return {{"application/json", {{"schema", schema}}}}; }

}  // namespace

OpenApiBuilder::OpenApiBuilder(std::string title, std::string version, std::string description)
    : title_(std::move(title)),
      version_(std::move(version)),
      description_(std::move(description)) {}

OpenApiBuilder& OpenApiBuilder::SetServerUrl(std::string url) {
  server_url_ = std::move(url);
  return *this;
}

OpenApiBuilder& OpenApiBuilder::Add(std::string_view method, const std::string& path,
                                    const Operation& operation) {
  json op = json::object();
  op["operationId"] =
      operation.operation_id.empty() ? DefaultOperationId(method, path) : operation.operation_id;
  if (!operation.summary.empty()) op["summary"] = operation.summary;
  if (!operation.description.empty()) op["description"] = operation.description;

  json params = json::array();
  for (const Param& p : operation.params) params.push_back(ParamJson(p));
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = path.substr(open + 1, close - open - 1);
    bool declared = false;
    for (const Param& p : operation.params)
      declared = declared || (p.in == "path" && p.name == name);
    if (!declared) params.push_back(ParamJson(PathParam(name, "")));
  }
  if (!params.empty()) op["parameters"] = std::move(params);

  if (!operation.request_body.is_null()) {
    op["requestBody"] = {{"required", operation.body_required},
                         {"content", JsonContent(operation.request_body)}};
  }
  const json ok_schema = operation.response.is_null() ? json::object() : operation.response;
  op["responses"] = {
      {"200", {{"description", "OK"}, {"content", JsonContent(ok_schema)}}},
      {"default",
       {{"description", "An error"},
        {"content", JsonContent({{"$ref", "#/components/schemas/Error"}})}}},
  };
  paths_[path][Lower(method)] = std::move(op);
  return *this;
}

json OpenApiBuilder::Build() const {
  json info = {{"title", title_}, {"version", version_}};
  if (!description_.empty()) info["description"] = description_;
  json doc = {{"openapi", "3.1.0"}, {"info", std::move(info)}};
  if (!server_url_.empty()) doc["servers"] = json::array({{{"url", server_url_}}});
  doc["paths"] = paths_;
  doc["components"] = {{"schemas",
                        {{"Error",
                          {{"type", "object"},
                           {"properties",
                            {{"error",
                              {{"type", "object"},
                               {"properties",
                                {{"code", {{"type", "string"}}},
                                 {"message", {{"type", "string"}}},
                                 {"param", {{"type", "string"}}}}},
                               {"required", json::array({"code", "message"})}}}}},
                           {"required", json::array({"error"})}}}}}};
  return doc;
}

}  // namespace kiln::plugins::sdk
