#include <charconv>

#include "web/errors.h"
#include "web/handlers/handlers.h"

namespace kiln::web {

using nlohmann::json;

Route NewRoute(std::string method, std::string pattern, std::string operation_id,
               std::string summary, std::string tag, Access access) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.operation_id = std::move(operation_id);
  route.summary = std::move(summary);
  route.tag = std::move(tag);
  route.access = access;
  return route;
}

Response JsonResponse(int status, const json& body) {
  Response res;
  res.status = status;
  res.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return res;
}

json ListEnvelope(json data, bool has_more, const std::string& next_cursor) {
  json out = {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
  out["next_cursor"] = has_more ? json(next_cursor) : json(nullptr);
  return out;
}

std::vector<ParamDoc> PaginationParams() {
  return {
      {"limit",
       "How many items to return (1 to 100).",
       {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 20}}},
      {"cursor",
       "The next_cursor of the previous page.",
       {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
  };
}

storage::ListOptions ListOptionsFrom(const Request& request) {
  storage::ListOptions options;
  if (const std::string* limit = request.Query("limit")) {
    std::from_chars(limit->data(), limit->data() + limit->size(), options.limit);
  }
  if (const std::string* cursor = request.Query("cursor")) options.cursor = *cursor;
  return options;
}

json ListSchema(const json& item_schema) {
  return {{"type", "object"},
          {"required", {"object", "data", "has_more", "next_cursor"}},
          {"additionalProperties", false},
          {"properties",
           {{"object", {{"const", "list"}}},
            {"data", {{"type", "array"}, {"items", item_schema}}},
            {"has_more", {{"type", "boolean"}}},
            {"next_cursor", {{"type", {"string", "null"}}}}}}};
}

json DeletedSchema(const char* object) {
  return {{"type", "object"},
          {"required", {"id", "object", "deleted"}},
          {"additionalProperties", false},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", object}}},
            {"deleted", {{"const", true}}}}}};
}

ParamDoc IdParam(const std::string& name, const std::string& description) {
  return {name, description, {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}, true};
}

void FailBody(BodyStream& out, const Status& status) {
  Response error = ErrorFromStatus(status, "");
  out.SetStatus(error.status);
  out.Write(std::move(error.body));
  out.Close();
}

}  // namespace kiln::web
