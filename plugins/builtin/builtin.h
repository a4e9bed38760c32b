// The built-in tools every workspace has (a "builtin" plugin chooses among
// them): calculator, current_time and http_request. The tools that need a
// bot's turn (knowledge search, variables) live in agent/. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>

#include "plugins/net/http_fetch.h"
#include "plugins/tool.h"

namespace kiln::plugins {

struct BuiltinOptions {
  std::function<int64_t()> now;  // unix seconds; default: the clock
  // http_request's guard (allow_private, allow list); its body limit is
  // 256 KiB unless fetch.max_response_bytes is smaller.
  FetchOptions fetch;
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
};

// calculator {"expression"}, current_time {"timezone"?}, http_request
// {"url", "method"?, "headers"?, "body"?}.
ToolList BuiltinTools(const BuiltinOptions& options);

}  // namespace kiln::plugins
