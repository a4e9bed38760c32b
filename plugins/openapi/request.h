// One OpenAPI operation as a tool needs it, and the pure step from a tool
// call's arguments to the HTTP request it sends. Kept apart from the network
// so that every parameter location and credential type is testable without
// a server. Plain values; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "plugins/openapi/openapi.h"

namespace kiln::plugins {

struct OpenApiParameter {
  std::string name;      // as the server expects it
  std::string in;        // "path", "query", "header" or "cookie"
  std::string argument;  // the property of the tool's arguments (name, or in_name on a clash)
  bool required = false;
  // query: "form" (default) or "deepObject"; path/header: "simple".
  std::string style;
  bool explode = true;  // query arrays as repeated keys (a=1&a=2) rather than a=1,2
};

struct OpenApiOperation {
  std::string method;  // upper case: GET, POST, PUT, PATCH, DELETE
  std::string path;    // the template, "/pets/{petId}"
  std::vector<OpenApiParameter> parameters;

  enum class Body {
    kNone,    // no request body
    kMerged,  // the arguments left after the parameters are the JSON object body
    kNamed,   // the argument `body_argument` is the body
  };
  Body body = Body::kNone;
  bool body_required = false;
  std::string body_argument;    // kNamed: usually "body"
  std::string body_media_type;  // "application/json", or "text/plain" (kNamed)
};

struct OpenApiRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Builds the request for `arguments` (a JSON object; null counts as {}):
// path parameters percent-encoded into the template (a missing one is
// InvalidArgument naming it), query parameters encoded (arrays as repeated
// keys), header and cookie parameters, the JSON body with its Content-Type,
// and `auth` applied last: parameters with the credential's header or query
// name, and any Authorization header, are never taken from the arguments.
// `base_url` has no trailing '/'.
Result<OpenApiRequest> BuildOpenApiRequest(const OpenApiOperation& operation,
                                           std::string_view base_url, const OpenApiAuth& auth,
                                           const nlohmann::json& arguments);

// RFC 3986 percent-encoding of everything except the unreserved characters.
std::string PercentEncode(std::string_view text);

}  // namespace kiln::plugins
