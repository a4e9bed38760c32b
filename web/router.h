// The route table: every endpoint's method, path pattern, access rule, body
// limit, request schema, parameters, responses and handler, in one place.
//
// The same table drives dispatch (Router::Match), request validation (the
// pipeline in api.cc) and the OpenAPI document (openapi.cc), so the three
// cannot drift apart. Built once at start-up, then read-only and thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "web/http.h"

namespace kiln::web {

enum class Access {
  kPublic,  // no key needed (/healthz, /metrics, /openapi.json)
  kKey,     // any valid API key; sees its own workspace only
  kAdmin,   // an admin key
};

// Who is calling: set by the auth step for kKey and kAdmin routes.
struct Principal {
  std::string key_id;
  std::string workspace_id;
  bool admin = false;
};

// What a handler gets: the request, its validated JSON body (null when the
// route takes none) and the caller.
struct RequestContext {
  Request& request;
  const nlohmann::json& body;
  const Principal& principal;

  const std::string& PathParam(const std::string& name) const {
    return request.path_params.at(name);
  }
};

using HandlerFn = std::function<Result<Response>(RequestContext&)>;

struct ParamDoc {
  std::string name;
  std::string description;
  nlohmann::json schema;  // JSON Schema of the value; {"type": "integer"} values are parsed
  bool required = false;
};

struct ResponseDoc {
  int status = 200;
  std::string description;
  nlohmann::json schema;  // null: no body
};

struct Route {
  std::string method;        // "GET"
  std::string pattern;       // "/v1/bots/{id}"; {name} matches one path segment
  std::string operation_id;  // "getBot"
  std::string summary;
  std::string tag;
  Access access = Access::kKey;
  size_t body_limit = 0;              // bytes; 0 = no body expected
  nlohmann::json request_schema;      // null: no body; validated before the handler runs
  bool body_optional = false;         // an empty body counts as {}
  std::vector<ParamDoc> path_params;  // schemas for {name} segments (default: short string)
  std::vector<ParamDoc> query_params;
  std::vector<ResponseDoc> responses;  // the success responses
  std::vector<int> errors;             // error statuses this route may answer besides the usual
  std::string content_type = "application/json";  // of success responses
  HandlerFn handler;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed;  // when the path matched other methods only (405)
};

class Router {
 public:
  // Aborts on a malformed or duplicate pattern: routes are written by us.
  void Add(Route route);
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // literal, or "{name}" for a parameter
  };
  static bool MatchSegments(const Compiled& compiled, std::string_view path,
                            std::map<std::string, std::string>* params);

  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<Compiled> compiled_;  // parallel to routes_
};

// Splits "/a/b/c" into {"a", "b", "c"}; "/" into {}.
std::vector<std::string_view> SplitPath(std::string_view path);

}  // namespace kiln::web
