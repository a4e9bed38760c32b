// What a tools/call result becomes for the model, and what an MCP tool's
// inputSchema becomes for the grammar. Pure functions over JSON the server
// sent (hostile: any shape, any size within the message cap); they never
// throw. Thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "plugins/tool.h"

namespace kiln::plugins::mcp_internal {

// The tools/call `result` as the model is shown it: the text items of
// `content` joined by newlines, each non-text item (image, audio, resource,
// resource link, unknown types) described in one bracketed line;
// `structuredContent` serialised when there is no text at all; `isError`
// carried over (only a literal true counts). Through MakeToolResult, so valid
// UTF-8 and at most `max_bytes`.
ToolResult ToolResultFromMcp(const nlohmann::json& result, size_t max_bytes);

// One bracketed line for a content item that is not text, such as
// "[image: image/png, about 3 KB]".
std::string DescribeContent(const nlohmann::json& item);

// An MCP tool's inputSchema reduced to the keywords engine/grammar enforces:
// type, properties, required, items, enum, const, description, minItems,
// maxItems, minLength, maxLength, anyOf, oneOf, additionalProperties. Local
// "$ref"s into "$defs"/"definitions" are inlined (a cycle or a ref elsewhere
// becomes "any value"), a one-element allOf is merged in, and everything else
// ($schema, title, default, format, pattern, minimum, ...) is dropped, which
// only ever accepts more: the server still validates what it gets. The root
// is always an object schema; `required` names only listed properties;
// descriptions are cut to kMaxSchemaDescriptionBytes; nesting past
// kMaxSchemaDepth becomes "any value".
inline constexpr int kMaxSchemaDepth = 24;
inline constexpr size_t kMaxSchemaDescriptionBytes = 1024;
nlohmann::json ReduceSchema(const nlohmann::json& input_schema);

// Text cut to at most `max_bytes` at a UTF-8 character boundary (the input is
// made valid first).
std::string CutUtf8(std::string_view text, size_t max_bytes);

}  // namespace kiln::plugins::mcp_internal
