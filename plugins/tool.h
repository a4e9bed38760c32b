// Tool: one named action a bot may take, with a JSON Schema for its
// arguments: a built-in (time, calculator, http request), an operation of an
// OpenAPI plugin, or a tool of an MCP server. The agent (agent/) shows the
// specs to the model, decodes a call under the schema's grammar, and runs
// Invoke on its own worker threads (never an I/O thread).
//
// Ownership: a Tool is shared (std::shared_ptr) between the plugin that made
// it and the runs that use it. Thread-safety: Invoke may be called from
// several threads at once; spec() is immutable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"

namespace kiln::plugins {

struct ToolSpec {
  std::string name;         // ^[a-zA-Z0-9_-]{1,64}$ (what models and OpenAI's API accept)
  std::string description;  // for the model; may be empty
  // JSON Schema of the arguments: always an object schema. Its keywords are
  // the ones engine/grammar can enforce; a tool whose schema uses others
  // still works, the agent then relaxes the constraint to "any object".
  nlohmann::json parameters = {{"type", "object"}};
};

// How one call may run.
struct ToolCallOptions {
  int64_t timeout_ms = 15000;           // the whole call; past it: kDeadlineExceeded
  size_t max_output_bytes = 16 * 1024;  // ToolResult::output is cut to this (valid UTF-8)
  // Optional: polled by long calls; true stops the call (kCancelled).
  std::function<bool()> cancelled;
};

struct ToolResult {
  // What the model is shown: text (a JSON document serialised, or plain
  // text), valid UTF-8 (invalid bytes replaced), at most max_output_bytes.
  std::string output;
  bool is_error = false;   // the tool ran and reported a failure (HTTP 4xx/5xx, MCP isError)
  bool truncated = false;  // output was cut
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolSpec& spec() const = 0;
  // Runs the tool with `arguments` (a JSON object; validated against
  // spec().parameters by the caller). Blocking. A Status error means the
  // call could not be made or completed: kInvalidArgument (arguments the tool
  // cannot use), kDeadlineExceeded, kPermissionDenied (the outbound guard),
  // kUnavailable (the service or server is down), kCancelled.
  virtual Result<ToolResult> Invoke(const nlohmann::json& arguments,
                                    const ToolCallOptions& options) = 0;
};

using ToolList = std::vector<std::shared_ptr<Tool>>;

// Output as a tool hands it back: `text` made valid UTF-8 (each invalid
// sequence replaced by U+FFFD) and cut at a character boundary to at most
// `max_bytes` bytes, with " [... truncated N bytes in all]" appended when cut (the
// marker counts within max_bytes). Every tool's output goes through it.
ToolResult MakeToolResult(std::string_view text, size_t max_bytes, bool is_error = false);

// Whether `name` is a valid ToolSpec::name.
bool ValidToolName(std::string_view name);
// A valid tool name made from any text (an OpenAPI operationId or path, an
// MCP tool's name): runs of other characters become '_', cut to 64.
std::string SanitizeToolName(std::string_view text);

}  // namespace kiln::plugins
