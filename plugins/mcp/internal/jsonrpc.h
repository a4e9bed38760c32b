// JSON-RPC 2.0 framing for the MCP client: reading the messages a server
// sends (a response, a request of its own, a notification, or a batch of
// them) and writing the client's. Pure functions; thread-safe.
//
// Everything read here comes from a process or a URL an admin registered and
// is treated as hostile: parsing never throws, nesting is bounded before the
// JSON parser sees the text (nlohmann's dump and comparison recurse), and a
// malformed message is a kCorruption status naming what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::plugins::mcp_internal {

// Deepest array/object nesting accepted in one message.
inline constexpr int kMaxJsonDepth = 64;

// JSON-RPC error codes the client sends or interprets.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;

struct RpcMessage {
  enum class Kind { kResponse, kRequest, kNotification };
  Kind kind = Kind::kNotification;
  nlohmann::json id;       // kResponse, kRequest: a number or a string
  std::string method;      // kRequest, kNotification
  nlohmann::json params;   // kRequest, kNotification: null when absent
  nlohmann::json result;   // kResponse without error
  bool is_error = false;   // kResponse: carried "error"
  int64_t error_code = 0;  // when is_error
  std::string error_message;
};

// Parses JSON text without throwing; nullopt when it is not JSON or nests
// deeper than kMaxJsonDepth.
std::optional<nlohmann::json> ParseJsonSafely(std::string_view text);

// Serialises without throwing: strings that are not valid UTF-8 have the bad
// bytes replaced (nlohmann's default would throw).
std::string DumpJson(const nlohmann::json& value, int indent = -1);

// One message, or each message of a batch (a JSON array), in order.
// kCorruption when the text is not JSON, not JSON-RPC 2.0, or an empty batch.
Result<std::vector<RpcMessage>> ParseRpcText(std::string_view text);
Result<RpcMessage> ParseRpcMessage(const nlohmann::json& message);

// The id as the client's own integer ids, or nullopt (a string or fractional
// id cannot be one of ours).
std::optional<int64_t> IdAsInt(const nlohmann::json& id);

std::string RequestText(int64_t id, std::string_view method, const nlohmann::json& params);
std::string NotificationText(std::string_view method, const nlohmann::json& params);
std::string ResultText(const nlohmann::json& id, const nlohmann::json& result);
std::string ErrorText(const nlohmann::json& id, int code, std::string_view message);

// What the client answers to a request from the server: an empty result for
// `ping` (the one request every MCP peer must answer), and "method not found"
// for the rest, since the client offers no capabilities (sampling, roots,
// elicitation) that would invite others.
std::string AnswerServerRequest(const RpcMessage& request);

// The Status for an error response to `method`: invalid params / request ->
// kInvalidArgument, method not found -> kNotFound, anything else ->
// kUnavailable; the message names the method, the code and the server's text
// (cut to a few hundred bytes).
Status RpcErrorStatus(std::string_view method, int64_t code, std::string_view message);

// `text` cut to at most `max_bytes` at a character boundary, made valid
// UTF-8, control characters (newlines included) shown as spaces: safe to
// quote in one line of an error message.
std::string QuoteForMessage(std::string_view text, size_t max_bytes);

}  // namespace kiln::plugins::mcp_internal
