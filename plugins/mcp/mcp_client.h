// McpClient: a Model Context Protocol client (JSON-RPC 2.0) for the tools
// of an MCP server, over stdio (a program an admin registered, started and
// owned by the client) or streamable HTTP (a URL, reached through the
// outbound guard). It performs the initialize handshake, lists the server's
// tools (following pagination) and calls them; McpTools wraps them as
// plugins::Tool for the agent.
//
// Everything a server sends is treated as hostile: message size and nesting
// are bounded, output goes through MakeToolResult, and a server that hangs,
// dies or writes garbage makes calls fail with a Status naming what happened
// (and the tail of its stderr), never the caller's thread stuck or crashed.
//
// Thread-safe: calls may be in flight from several threads at once. The
// destructor stops the server (SIGTERM, then SIGKILL) and joins its threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "plugins/net/http_fetch.h"
#include "plugins/tool.h"

namespace kiln::plugins {

// The protocol revision the client offers (the newest reachable through the
// initialize handshake of the official SDKs), and those it accepts back.
inline constexpr const char* kMcpProtocolVersion = "2025-11-25";

struct McpServerConfig {
  // stdio: the program and its arguments (no shell). The child gets the
  // parent's environment minus KILN_* variables, its own process group, and
  // is stopped with the client.
  std::string command;
  std::vector<std::string> args;
  // Streamable HTTP: the endpoint ("http://host:port/mcp"). One of command
  // and url is set.
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization
  FetchOptions fetch;          // the outbound guard (allow_private, allow list)
  int64_t timeout_ms = 30000;  // each request, the handshake included
};

struct McpToolInfo {
  std::string name;
  std::string description;
  nlohmann::json input_schema = {{"type", "object"}};
};

class McpClient {
 public:
  // Starts or reaches the server and completes the handshake. Errors:
  // kInvalidArgument (config), kNotFound (no such program), kUnavailable
  // (it exited or answered garbage, with its stderr), kDeadlineExceeded,
  // kPermissionDenied (the outbound guard).
  static Result<std::unique_ptr<McpClient>> Connect(const McpServerConfig& config);
  ~McpClient();
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  // Every tool (pages followed, at most 256).
  Result<std::vector<McpToolInfo>> ListTools();
  // tools/call. Text content is joined; other content is described; a
  // result with isError is a ToolResult with is_error. Past the timeout the
  // request is cancelled (notifications/cancelled) and kDeadlineExceeded
  // returned; the connection stays usable.
  Result<ToolResult> CallTool(const std::string& name, const nlohmann::json& arguments,
                              const ToolCallOptions& options);

  // False once the server has exited or the connection broke: the owner
  // then connects again.
  bool alive() const;
  const std::string& server_name() const { return server_name_; }
  const std::string& protocol_version() const { return protocol_version_; }

  class Transport;  // stdio or HTTP (internal/transport.h)

 private:
  McpClient(std::unique_ptr<Transport> transport, int64_t timeout_ms);
  Result<nlohmann::json> Request(const std::string& method, const nlohmann::json& params,
                                 int64_t timeout_ms, const std::function<bool()>& cancelled);

  std::unique_ptr<Transport> transport_;
  const int64_t timeout_ms_;
  std::atomic<int64_t> next_id_{1};
  std::string server_name_;
  std::string protocol_version_;
};

// The content of a tools/call result as text for the model: text items
// joined by newlines, other items described in brackets, structuredContent
// (as JSON) when there is no text. Exposed for tests.
std::string McpContentText(const nlohmann::json& result);

// An MCP inputSchema reduced to the keywords engine/grammar enforces
// (type, properties, required, items, enum, const, description,
// minItems/maxItems, minLength/maxLength, anyOf/oneOf,
// additionalProperties), always an object schema. Exposed for tests.
nlohmann::json ReduceMcpSchema(const nlohmann::json& schema);

// The client's tools as plugins::Tool, names sanitized and made unique.
Result<ToolList> McpTools(std::shared_ptr<McpClient> client);

}  // namespace kiln::plugins
