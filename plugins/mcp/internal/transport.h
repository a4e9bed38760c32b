// How McpClient moves JSON-RPC messages: over a child process's stdin and
// stdout, or over streamable HTTP. Internal to plugins/mcp.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "plugins/mcp/internal/jsonrpc.h"
#include "plugins/mcp/mcp_client.h"

namespace kiln::plugins {

class McpClient::Transport {
 public:
  virtual ~Transport() = default;
  // Sends request `id` and waits for its response (kDeadlineExceeded after
  // timeout_ms, kCancelled when `cancelled` says so; both leave the
  // transport usable).
  virtual Result<mcp_internal::RpcMessage> Request(int64_t id, const std::string& method,
                                                   const nlohmann::json& params, int64_t timeout_ms,
                                                   const std::function<bool()>& cancelled) = 0;
  virtual Status Notify(const std::string& method, const nlohmann::json& params) = 0;
  virtual bool alive() const = 0;
  // After the handshake: the protocol version agreed on (HTTP sends it).
  virtual void SetProtocolVersion(const std::string& version) { (void)version; }
};

namespace mcp_internal {

Result<std::unique_ptr<McpClient::Transport>> StartStdio(const McpServerConfig& config);
Result<std::unique_ptr<McpClient::Transport>> OpenHttp(const McpServerConfig& config);

// The messages of a text/event-stream body: each event's data lines joined.
std::vector<std::string> SseData(std::string_view body);

}  // namespace mcp_internal
}  // namespace kiln::plugins
