// OpenAPI plugins (what GPTs calls Actions): a plugin developer's OpenAPI
// 3.0/3.1 document becomes one Tool per operation, and each call becomes an
// HTTP request to the plugin's server through the outbound guard.
//
//   KILN_ASSIGN_OR_RETURN(nlohmann::json doc, ParseOpenApiText(text));
//   KILN_ASSIGN_OR_RETURN(OpenApiAuth auth, ParseOpenApiAuth(request["auth"]));
//   KILN_ASSIGN_OR_RETURN(ToolList tools, ToolsFromOpenApi(doc, auth, options));
//
// Documents come from users, so everything here treats them as hostile: size,
// nesting, $ref expansion and operation counts are bounded, and every defect is
// an InvalidArgument saying where it is, never a crash.
//
// All functions are pure and thread-safe; the tools they make follow tool.h
// (Invoke may run on several threads at once; each tool owns a copy of what
// it needs, so the document may be dropped after ToolsFromOpenApi).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"
#include "plugins/net/http_fetch.h"
#include "plugins/tool.h"

namespace kiln::plugins {

// Limits on what a document may be.
inline constexpr size_t kMaxOpenApiDocumentBytes = 2u << 20;
inline constexpr int kMaxOpenApiNesting = 64;  // arrays/objects inside one another
inline constexpr int kMaxOpenApiOperations = 64;

// The document as JSON, from JSON or YAML text (YAML 1.2 core schema: plain
// scalars become numbers, booleans and null where they look like them, quoted
// ones stay strings). InvalidArgument (with line and column where the parser
// gives them) for text over 2 MB, not UTF-8, malformed, nested deeper than 64,
// expanding YAML aliases past a node budget, or whose top level is not an object.
Result<nlohmann::json> ParseOpenApiText(std::string_view text);

// Credentials the plugin's server expects, applied to every request. The
// arguments a model writes can never replace them.
struct OpenApiAuth {
  std::string type = "none";  // "none", "api_key", "bearer", "basic"
  std::string name;           // api_key: the header or query parameter name
  std::string in;             // api_key: "header" or "query"
  std::string secret;         // the key, the token, or "user:password" for basic
};

// Validates the API's shape of credentials:
//   {"type": "none"}
//   {"type": "api_key", "in": "header"|"query", "name": "X-Api-Key", "key": "..."}
//   {"type": "bearer", "token": "..."}
//   {"type": "basic", "username": "...", "password": "..."}
// A null value means "none". InvalidArgument (param = the field) otherwise;
// messages never contain the secret.
Result<OpenApiAuth> ParseOpenApiAuth(const nlohmann::json& auth);

// The credentials as the API may show them again: type, in and name only.
nlohmann::json RedactedOpenApiAuth(const OpenApiAuth& auth);

struct OpenApiOptions {
  // Replaces servers[0].url when set (an absolute http/https URL).
  std::string base_url;
  // Where the document was fetched from: relative server URLs resolve
  // against it. Without it a relative server URL is an error.
  std::string document_url;
  // The guard's settings for every call: allow_private, allow, max_redirects
  // (0 whatever it says when the credential is an API key header, which
  // HttpFetch could not keep from another origin). method, headers, body,
  // timeout_ms and max_response_bytes are set per call.
  FetchOptions fetch;
  size_t max_response_bytes = 1u << 20;  // more -> a tool error result "too large"
  int64_t timeout_ms = 15000;            // per call (ToolCallOptions may shorten it)
};

// One Tool per operation (paths x get/post/put/patch/delete), at most 64, for
// OpenAPI 3.0.x and 3.1.x documents. Names come from operationId (sanitized)
// or method_path, made unique with _2, _3, ... Parameters are one object
// schema: path, query, header and cookie parameters, plus the JSON request
// body's properties merged in (the whole body under "body" when it is not an
// object with properties or when a property name clashes with a parameter).
// Local $refs are inlined; schemas keep only the keywords engine/grammar can
// enforce (3.0 nullable becomes a type list). InvalidArgument, naming where,
// for anything else: Swagger 2.0, missing paths, a cycle of $refs, ...
Result<ToolList> ToolsFromOpenApi(const nlohmann::json& doc, const OpenApiAuth& auth,
                                  const OpenApiOptions& options);

}  // namespace kiln::plugins
