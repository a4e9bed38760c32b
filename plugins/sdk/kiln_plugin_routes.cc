// Kiln plugin SDK: routing, parameter validation and the handler call of
// sdk::Server, plus Request/Response helpers.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <exception>

#include "kiln_plugin.h"

namespace kiln::plugins::sdk {
namespace {

using nlohmann::json;

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

std::string TypeOf(const json& schema) {
  auto it = schema.find("type");
  if (it == schema.end()) return "string";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const json& t : *it) {
      if (t.is_string() && t != "null") return t.get<std::string>();
    }
  }
  return "string";
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// One text value as its schema's type; "" or what is wrong with it.
std::string Convert(const json& schema, const std::string& text, json* out) {
  const std::string type = TypeOf(schema);
  if (type == "integer") {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return "must be an integer";
    *out = v;
  } else if (type == "number") {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
      return "must be a number";
    }
    *out = v;
  } else if (type == "boolean") {
    if (text != "true" && text != "false") return "must be true or false";
    *out = text == "true";
  } else {
    *out = text;
    const size_t n = CodePoints(text);
    if (schema.contains("minLength") && schema["minLength"].is_number() &&
        n < schema["minLength"].get<size_t>()) {
      return "must be at least " + schema["minLength"].dump() + " characters";
    }
    if (schema.contains("maxLength") && schema["maxLength"].is_number() &&
        n > schema["maxLength"].get<size_t>()) {
      return "must be at most " + schema["maxLength"].dump() + " characters";
    }
  }
  if (out->is_number()) {
    const double v = out->get<double>();
    if (schema.contains("minimum") && schema["minimum"].is_number() &&
        v < schema["minimum"].get<double>()) {
      return "must be at least " + schema["minimum"].dump();
    }
    if (schema.contains("maximum") && schema["maximum"].is_number() &&
        v > schema["maximum"].get<double>()) {
      return "must be at most " + schema["maximum"].dump();
    }
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    for (const json& allowed : *e) found = found || allowed == *out;
    if (!found) return "must be one of " + e->dump();
  }
  return "";
}

// Query, header and path parameters into request->params; "" or an error.
std::string CheckParams(const Operation& operation, Request* request, std::string* param) {
  for (const Param& p : operation.params) {
    std::vector<std::string> texts;
    if (p.in == "query") {
      for (const auto& [name, value] : request->query) {
        if (name == p.name) texts.push_back(value);
      }
    } else if (p.in == "header") {
      for (const auto& [name, value] : request->headers) {
        if (name == Lower(p.name)) texts.push_back(value);
      }
    } else if (p.in == "path" && request->path_params.contains(p.name)) {
      texts.push_back(request->path_params[p.name]);
    }
    *param = p.name;
    if (texts.empty()) {
      if (p.required) return "the " + p.in + " parameter " + p.name + " is required";
      continue;
    }
    json value;
    if (TypeOf(p.schema) == "array") {
      value = json::array();
      const json items = p.schema.contains("items") ? p.schema["items"] : json::object();
      for (const std::string& text : texts) {
        json element;
        if (std::string e = Convert(items, text, &element); !e.empty()) return p.name + " " + e;
        value.push_back(std::move(element));
      }
    } else if (std::string e = Convert(p.schema, texts.front(), &value); !e.empty()) {
      return "the " + p.in + " parameter " + p.name + " " + e;
    }
    request->params[p.name] = std::move(value);
  }
  param->clear();
  return "";
}

std::string CheckBody(const Operation& operation, Request* request) {
  const bool json_type = request->Header("content-type").find("json") != std::string::npos;
  if (operation.request_body.is_null()) {
    if (json_type && !request->body.empty()) {
      request->json = json::parse(request->body, nullptr, false);
      if (request->json.is_discarded()) request->json = nullptr;
    }
    return "";
  }
  if (request->body.empty())
    return operation.body_required ? "a JSON request body is required" : "";
  request->json = json::parse(request->body, nullptr, /*allow_exceptions=*/false);
  if (request->json.is_discarded()) {
    request->json = nullptr;
    return "the request body is not valid JSON";
  }
  const json& schema = operation.request_body;
  if (TypeOf(schema) == "object") {
    if (!request->json.is_object()) return "the request body must be a JSON object";
    if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const json& name : *required) {
        if (name.is_string() && !request->json.contains(name.get<std::string>())) {
          return "the request body needs the property " + name.get<std::string>();
        }
      }
    }
  }
  return "";
}

}  // namespace

std::string Request::Query(std::string_view name, std::string_view fallback) const {
  for (const auto& [n, v] : query) {
    if (n == name) return v;
  }
  return std::string(fallback);
}

bool Request::HasQuery(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return true;
  }
  return false;
}

std::string Request::Header(std::string_view lower_name) const {
  for (const auto& [n, v] : headers) {
    if (n == lower_name) return v;
  }
  return "";
}

std::string Request::PathParam(std::string_view name) const {
  auto it = path_params.find(std::string(name));
  return it == path_params.end() ? "" : it->second;
}

Response Response::Json(json body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::Text(std::string text, int status) {
  Response r;
  r.status = status;
  r.body = std::move(text);
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

Response Response::Error(int status, std::string_view code, std::string_view message) {
  return Json({{"error", {{"code", code}, {"message", message}}}}, status);
}

Param QueryParam(std::string name, json schema, std::string description, bool required) {
  return Param{std::move(name), "query", std::move(schema), std::move(description), required};
}

Param PathParam(std::string name, std::string description) {
  return Param{std::move(name), "path", {{"type", "string"}}, std::move(description), true};
}

Server& Server::Get(const std::string& path, Operation op, Handler h) {
  return Route("GET", path, std::move(op), std::move(h));
}
Server& Server::Post(const std::string& path, Operation op, Handler h) {
  return Route("POST", path, std::move(op), std::move(h));
}
Server& Server::Put(const std::string& path, Operation op, Handler h) {
  return Route("PUT", path, std::move(op), std::move(h));
}
Server& Server::Patch(const std::string& path, Operation op, Handler h) {
  return Route("PATCH", path, std::move(op), std::move(h));
}
Server& Server::Delete(const std::string& path, Operation op, Handler h) {
  return Route("DELETE", path, std::move(op), std::move(h));
}

Server& Server::Route(std::string_view method, const std::string& path, Operation operation,
                      Handler handler) {
  routes_.push_back(
      RouteEntry{Upper(method), path, Segments(path), std::move(operation), std::move(handler)});
  return *this;
}

json Server::OpenApiDocument() const {
  OpenApiBuilder builder(options_.title, options_.version, options_.description);
  builder.SetServerUrl(options_.public_url.empty() ? url() : options_.public_url);
  for (const RouteEntry& route : routes_) builder.Add(route.method, route.path, route.operation);
  return builder.Build();
}

Response Server::Handle(Request request) const {
  if (request.path == "/openapi.json" && (request.method == "GET" || request.method == "HEAD")) {
    return Response::Json(OpenApiDocument());
  }
  const std::vector<std::string> segments = Segments(request.path);
  std::string allowed;
  for (const RouteEntry& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& s = route.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}' && !segments[i].empty()) {
        params[s.substr(1, s.size() - 2)] = segments[i];
      } else {
        match = s == segments[i];
      }
    }
    if (!match) continue;
    if (route.method != request.method) {
      allowed += (allowed.empty() ? "" : ", ") + route.method;
      continue;
    }
    request.path_params = std::move(params);
    std::string param;
    if (std::string error = CheckParams(route.operation, &request, &param); !error.empty()) {
      Response r = Response::Error(400, "invalid_argument", error);
      r.body["error"]["param"] = param;
      return r;
    }
    if (std::string error = CheckBody(route.operation, &request); !error.empty()) {
      return Response::Error(400, "invalid_argument", error);
    }
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      return Response::Error(500, "internal", std::string("the handler failed: ") + e.what());
    } catch (...) {
      return Response::Error(500, "internal", "the handler failed");
    }
  }
  if (!allowed.empty()) {
    Response r = Response::Error(405, "method_not_allowed",
                                 request.method + " is not allowed here; use " + allowed);
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  return Response::Error(404, "not_found", "no route for " + request.path);
}

}  // namespace kiln::plugins::sdk
