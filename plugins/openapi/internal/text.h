// Text-level helpers of the OpenAPI plugin: the bounded YAML reader and the
// nesting check run before anything recursive touches outside JSON. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "base/json_text.h"
#include "base/result.h"

namespace kiln::plugins::internal {

// Largest number of JSON nodes a YAML document may expand to through its
// aliases: about what 2 MB of JSON text can hold, so that YAML is never a way
// around the size limit.
inline constexpr size_t kMaxYamlNodes = 1000000;

// The first YAML document of `text` as JSON (YAML 1.2 core schema for plain
// scalars, "<<" merge keys, aliases copied). InvalidArgument with the line and
// column for malformed YAML, nesting deeper than `max_depth`, an alias inside
// its own anchor, non-scalar mapping keys, or more than kMaxYamlNodes nodes.
Result<nlohmann::json> YamlToJson(std::string_view text, int max_depth);

// "line L, column C" (1-based) of byte `offset` in `text`.
std::string LineColumn(std::string_view text, size_t offset);

}  // namespace kiln::plugins::internal
