// Kiln's own HTTP request and response types: plain values with no Boost in
// sight, so that routing, handlers and their tests compile in seconds
// (DESIGN.md: Beast stays inside web/server.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::web {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded path, no query
  std::multimap<std::string, std::string> query;             // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string request_id;                          // set by the server before dispatch
  std::map<std::string, std::string> path_params;  // set by the router

  // First header with this (lower-case) name, or empty.
  std::string_view Header(std::string_view lower_name) const;
  // First query value for `name`, or nullptr.
  const std::string* Query(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  bool close = false;  // ask the server to close the connection after this response

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Splits "/a/b?x=1&y=%20" into a decoded path and query parameters.
// Returns false when the target is malformed (bad percent-escape, not origin-form).
bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query);

// Decodes %XX escapes (and '+' as space when `plus_is_space`); false when malformed,
// when the input holds raw control bytes, or when the result would contain a NUL.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace kiln::web
