// BuildOperation: parameters and request body of one operation as the
// tool's argument schema.
#include "plugins/openapi/internal/operation.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kiln::plugins::internal {
namespace {

using nlohmann::json;

constexpr size_t kMaxDescriptionBytes = 1024;  // what OpenAI's API takes for a function

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}


// Cut at a character boundary.
std::string Cut(std::string text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t keep = max_bytes;
  while (keep > 0 && (static_cast<uint8_t>(text[keep]) & 0xC0) == 0x80) --keep;
  text.resize(keep);
  return text;
}

Result<std::string> OptionalString(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) return std::string();
  if (!it->is_string()) return InvalidArgument(where + "." + key + ": must be a string", where);
  return it->get<std::string>();
}

// Header parameters OpenAPI says to ignore (Accept, Content-Type,
// Authorization), those the HTTP client owns, and the credential's own.
bool Skipped(const std::string& name, const std::string& in, const OpenApiAuth& auth) {
  if (in == "header") {
    static const std::set<std::string> kIgnored = {
        "accept",         "content-type",      "authorization", "host",
        "content-length", "transfer-encoding", "connection",    "cookie"};
    if (kIgnored.contains(Lower(name))) return true;
    return auth.type == "api_key" && auth.in == "header" && Lower(name) == Lower(auth.name);
  }
  return in == "query" && auth.type == "api_key" && auth.in == "query" && name == auth.name;
}

struct Parameter {
  OpenApiParameter p;
  json schema;
};

Result<json> ParameterSchema(SchemaConverter& schemas, const json& param,
                             const std::string& where) {
  json source = {{"type", "string"}};
  if (auto it = param.find("schema"); it != param.end()) {
    source = *it;
  } else if (auto content = param.find("content"); content != param.end()) {
    if (!content->is_object() || content->empty() || !content->begin()->is_object()) {
      return InvalidArgument(where + ".content: must map a media type to an object", where);
    }
    auto schema = content->begin()->find("schema");
    if (schema != content->begin()->end()) source = *schema;
  }
  KILN_ASSIGN_OR_RETURN(json schema, schemas.Convert(source, where + ".schema"));
  if (schema.is_boolean()) schema = json::object();
  KILN_ASSIGN_OR_RETURN(std::string description, OptionalString(param, "description", where));
  if (!description.empty() && !schema.contains("description")) schema["description"] = description;
  return schema;
}

Result<Parameter> ReadParameter(SchemaConverter& schemas, const json& node,
                                const std::string& where) {
  KILN_ASSIGN_OR_RETURN(const json* param, schemas.Resolve(node, where));
  if (!param->is_object()) return InvalidArgument(where + ": a parameter must be an object", where);
  Parameter out;
  KILN_ASSIGN_OR_RETURN(out.p.name, OptionalString(*param, "name", where));
  KILN_ASSIGN_OR_RETURN(out.p.in, OptionalString(*param, "in", where));
  if (out.p.name.empty()) return InvalidArgument(where + ": a parameter needs a name", where);
  if (out.p.in != "path" && out.p.in != "query" && out.p.in != "header" && out.p.in != "cookie") {
    return InvalidArgument(where + ".in: must be path, query, header or cookie", where);
  }
  if (out.p.in == "header" && !IsHttpToken(out.p.name)) {
    return InvalidArgument(
        where + ".name: \"" + out.p.name.substr(0, 100) + "\" is not a valid header name", where);
  }
  auto required = param->find("required");
  if (required != param->end() && !required->is_boolean()) {
    return InvalidArgument(where + ".required: must be true or false", where);
  }
  out.p.required = out.p.in == "path" || (required != param->end() && required->get<bool>());
  KILN_ASSIGN_OR_RETURN(out.p.style, OptionalString(*param, "style", where));
  if (out.p.style.empty())
    out.p.style = out.p.in == "query" || out.p.in == "cookie" ? "form" : "simple";
  out.p.explode = out.p.style == "form";
  if (auto explode = param->find("explode"); explode != param->end()) {
    if (!explode->is_boolean())
      return InvalidArgument(where + ".explode: must be true or false", where);
    out.p.explode = explode->get<bool>();
  }
  KILN_ASSIGN_OR_RETURN(out.schema, ParameterSchema(schemas, *param, where));
  return out;
}

// Path-level parameters, replaced by operation-level ones of the same name
// and location; template variables nobody declared become string parameters.
Result<std::vector<Parameter>> CollectParameters(SchemaConverter& schemas, const std::string& path,
                                                 const json& path_item, const json& operation,
                                                 const std::string& where,
                                                 const OpenApiAuth& auth) {
  std::vector<Parameter> out;
  for (const json* owner : {&path_item, &operation}) {
    auto list = owner->find("parameters");
    if (list == owner->end()) continue;
    const std::string at = (owner == &path_item ? "paths[" + path + "]" : where) + ".parameters";
    if (!list->is_array()) return InvalidArgument(at + ": must be a list", at);
    for (size_t i = 0; i < list->size(); ++i) {
      KILN_ASSIGN_OR_RETURN(Parameter param,
                            ReadParameter(schemas, (*list)[i], at + "[" + std::to_string(i) + "]"));
      if (Skipped(param.p.name, param.p.in, auth)) continue;
      std::erase_if(out, [&](const Parameter& q) {
        return q.p.name == param.p.name && q.p.in == param.p.in;
      });
      out.push_back(std::move(param));
    }
  }
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = path.substr(open + 1, close - open - 1);
    bool declared = false;
    for (const Parameter& q : out) declared = declared || (q.p.in == "path" && q.p.name == name);
    if (!declared && !name.empty()) {
      Parameter implied;
      implied.p = {name, "path", "", true, "simple", false};
      implied.schema = json::object({{"type", "string"}});
      out.push_back(std::move(implied));
    }
  }
  return out;
}

struct Body {
  bool present = false;
  bool required = false;
  std::string media_type;
  json schema;
};

// The request body: JSON preferred (application/json, any +json type, */*),
// else text/plain; `why` is set when a required body is in neither.
Result<Body> ReadBody(SchemaConverter& schemas, const json& operation, const std::string& where,
                      std::string* why) {
  Body body;
  auto node = operation.find("requestBody");
  if (node == operation.end()) return body;
  const std::string at = where + ".requestBody";
  KILN_ASSIGN_OR_RETURN(const json* request_body, schemas.Resolve(*node, at));
  if (!request_body->is_object()) return InvalidArgument(at + ": must be an object", at);
  auto required = request_body->find("required");
  if (required != request_body->end() && !required->is_boolean()) {
    return InvalidArgument(at + ".required: must be true or false", at);
  }
  body.required = required != request_body->end() && required->get<bool>();
  auto content = request_body->find("content");
  if (content == request_body->end() || !content->is_object()) {
    return InvalidArgument(at + ".content: must be an object of media types", at);
  }
  const json* chosen = nullptr;
  for (const auto& [type, media] : content->items()) {
    std::string base = Lower(type.substr(0, type.find(';')));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    const bool is_json = base == "application/json" || base.ends_with("+json") || base == "*/*";
    if (is_json || (base == "text/plain" && chosen == nullptr)) {
      chosen = &media;
      body.media_type = base == "*/*" ? "application/json" : base;
      if (is_json) break;
    }
  }
  if (chosen == nullptr) {
    if (body.required)
      *why = "its request body is not JSON or text (" + content->dump().substr(0, 60) + ")";
    return body;
  }
  if (!chosen->is_object())
    return InvalidArgument(at + ".content: a media type must be an object", at);
  body.present = true;
  json source = json::object();
  if (auto schema = chosen->find("schema"); schema != chosen->end()) source = *schema;
  if (body.media_type == "text/plain" && !chosen->contains("schema")) source = {{"type", "string"}};
  KILN_ASSIGN_OR_RETURN(body.schema, schemas.Convert(source, at + ".schema"));
  if (body.schema.is_boolean()) body.schema = json::object();
  return body;
}

bool Mergeable(const Body& body, const json& properties) {
  const json& s = body.schema;
  if (body.media_type == "text/plain" || !s.contains("properties") || s["properties"].empty()) {
    return false;
  }
  if (s.contains("anyOf") || s.contains("oneOf")) return false;
  if (s.contains("type") && s["type"] != "object") return false;
  for (const auto& [name, sub] : s["properties"].items()) {
    if (properties.contains(name)) return false;  // a clash: the whole body goes under "body"
  }
  return true;
}

std::string Unique(const json& properties, const std::string& base) {
  std::string name = base;
  for (int i = 2; properties.contains(name); ++i) name = base + "_" + std::to_string(i);
  return name;
}

}  // namespace

Result<std::optional<BuiltOperation>> BuildOperation(SchemaConverter& schemas,
                                                     const std::string& path,
                                                     const std::string& method,
                                                     const json& path_item, const json& operation,
                                                     const OpenApiAuth& auth, std::string* why) {
  const std::string where = "paths[" + path + "]." + method;
  if (!operation.is_object()) return InvalidArgument(where + ": must be an object", where);
  BuiltOperation out;
  KILN_ASSIGN_OR_RETURN(std::string operation_id, OptionalString(operation, "operationId", where));
  KILN_ASSIGN_OR_RETURN(std::string summary, OptionalString(operation, "summary", where));
  KILN_ASSIGN_OR_RETURN(std::string description, OptionalString(operation, "description", where));
  // "delete /pets/{id}": the space joins the path's own separators into one '_'.
  out.name_hint = SanitizeToolName(operation_id.empty() ? method + " " + path : operation_id);
  out.description = summary.empty() || description.empty() || summary == description
                        ? summary + description
                        : summary + "\n" + description;
  out.description = Cut(std::move(out.description), kMaxDescriptionBytes);

  KILN_ASSIGN_OR_RETURN(std::vector<Parameter> params,
                        CollectParameters(schemas, path, path_item, operation, where, auth));
  KILN_ASSIGN_OR_RETURN(Body body, ReadBody(schemas, operation, where, why));
  if (!why->empty()) return std::optional<BuiltOperation>();

  json properties = json::object(), required = json::array();
  OpenApiOperation& op = out.operation;
  op.method = method;
  for (char& c : op.method) c = static_cast<char>(c - 32);  // get -> GET
  op.path = path;
  for (Parameter& param : params) {
    param.p.argument = properties.contains(param.p.name)
                           ? Unique(properties, param.p.in + "_" + param.p.name)
                           : param.p.name;
    if (param.p.required) required.push_back(param.p.argument);
    properties[param.p.argument] = std::move(param.schema);
    op.parameters.push_back(std::move(param.p));
  }
  json schema = {{"type", "object"}};
  if (body.present) {
    op.body_required = body.required;
    op.body_media_type = body.media_type;
    if (Mergeable(body, properties)) {
      op.body = OpenApiOperation::Body::kMerged;
      for (auto& [name, sub] : body.schema["properties"].items()) properties[name] = sub;
      if (body.required && body.schema.contains("required")) {
        for (const json& name : body.schema["required"]) {
          if (properties.contains(name.get<std::string>())) required.push_back(name);
        }
      }
      if (body.schema.contains("additionalProperties")) {
        schema["additionalProperties"] = body.schema["additionalProperties"];
      }
    } else {
      op.body = OpenApiOperation::Body::kNamed;
      op.body_argument = Unique(properties, properties.contains("body") ? "request_body" : "body");
      if (body.required) required.push_back(op.body_argument);
      properties[op.body_argument] = std::move(body.schema);
    }
  }
  schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = std::move(required);
  out.parameters = std::move(schema);
  return std::optional<BuiltOperation>(std::move(out));
}

}  // namespace kiln::plugins::internal
