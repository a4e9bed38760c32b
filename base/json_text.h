// Checks on JSON text before a parser sees it: nlohmann's parser is not
// recursive, but dumping, comparing and destroying deeply nested values
// are, so text from outside (uploads, OpenAPI documents, MCP servers) has
// its nesting bounded first. Pure; thread-safe.
#pragma once

#include <string_view>

namespace kiln {

// Whether arrays/objects nest deeper than `max_depth` in `text` (brackets
// inside strings do not count). Stops at the first level past the limit.
bool JsonTextNestsDeeperThan(std::string_view text, int max_depth);

}  // namespace kiln
