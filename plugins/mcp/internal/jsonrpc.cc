#include "plugins/mcp/internal/jsonrpc.h"

#include <cmath>

#include "base/json_text.h"
#include "base/utf8.h"

namespace kiln::plugins::mcp_internal {
namespace {

using nlohmann::json;


bool ValidId(const json& id) { return id.is_string() || id.is_number(); }

}  // namespace

std::optional<json> ParseJsonSafely(std::string_view text) {
  if (JsonTextNestsDeeperThan(text, kMaxJsonDepth)) return std::nullopt;
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string DumpJson(const json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

Result<RpcMessage> ParseRpcMessage(const json& m) {
  if (!m.is_object()) return Corruption("a JSON-RPC message must be an object");
  auto version = m.find("jsonrpc");
  if (version == m.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
    return Corruption("the message is not JSON-RPC 2.0 (no \"jsonrpc\": \"2.0\")");
  }
  RpcMessage out;
  auto id = m.find("id");
  auto method = m.find("method");
  if (method != m.end()) {
    if (!method->is_string()) return Corruption("the message's method is not a string");
    out.method = method->get<std::string>();
    auto params = m.find("params");
    if (params != m.end()) out.params = *params;
    if (id == m.end()) return out;  // a notification
    if (!ValidId(*id)) return Corruption("the request's id is neither a number nor a string");
    out.kind = RpcMessage::Kind::kRequest;
    out.id = *id;
    return out;
  }
  auto result = m.find("result");
  auto error = m.find("error");
  if (id == m.end() || (result == m.end()) == (error == m.end())) {
    return Corruption("the message is neither a request, a notification nor a response");
  }
  if (!ValidId(*id) && !id->is_null()) {
    return Corruption("the response's id is neither a number nor a string");
  }
  out.kind = RpcMessage::Kind::kResponse;
  out.id = *id;
  if (result != m.end()) {
    out.result = *result;
    return out;
  }
  out.is_error = true;
  if (error->is_object()) {
    auto code = error->find("code");
    if (code != error->end() && code->is_number_integer()) out.error_code = code->get<int64_t>();
    auto message = error->find("message");
    if (message != error->end() && message->is_string()) {
      out.error_message = message->get<std::string>();
    }
  }
  return out;
}

Result<std::vector<RpcMessage>> ParseRpcText(std::string_view text) {
  std::optional<json> parsed = ParseJsonSafely(text);
  if (!parsed) {
    return Corruption("the server sent text that is not JSON: \"" + QuoteForMessage(text, 120) +
                      "\"");
  }
  std::vector<RpcMessage> out;
  if (!parsed->is_array()) {
    KILN_ASSIGN_OR_RETURN(RpcMessage one, ParseRpcMessage(*parsed));
    out.push_back(std::move(one));
    return out;
  }
  if (parsed->empty()) return Corruption("the server sent an empty JSON-RPC batch");
  for (const json& m : *parsed) {
    KILN_ASSIGN_OR_RETURN(RpcMessage one, ParseRpcMessage(m));
    out.push_back(std::move(one));
  }
  return out;
}

std::optional<int64_t> IdAsInt(const json& id) {
  if (id.is_number_integer()) return id.get<int64_t>();
  if (id.is_number_float()) {
    const double d = id.get<double>();
    // Some JSON encoders write every number as a double ("7.0").
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

std::string RequestText(int64_t id, std::string_view method, const json& params) {
  json m = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) m["params"] = params;
  return DumpJson(m);
}

std::string NotificationText(std::string_view method, const json& params) {
  json m = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) m["params"] = params;
  return DumpJson(m);
}

std::string ResultText(const json& id, const json& result) {
  return DumpJson(json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string ErrorText(const json& id, int code, std::string_view message) {
  return DumpJson(
      json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

std::string AnswerServerRequest(const RpcMessage& request) {
  if (request.method == "ping") return ResultText(request.id, json::object());
  return ErrorText(request.id, kMethodNotFound,
                   "the Kiln MCP client does not handle '" + QuoteForMessage(request.method, 80) +
                       "' requests");
}

Status RpcErrorStatus(std::string_view method, int64_t code, std::string_view message) {
  std::string text = "the MCP server answered " + std::string(method) + " with error " +
                     std::to_string(code) + ": " + QuoteForMessage(message, 400);
  if (code == kInvalidParams || code == kInvalidRequest) return InvalidArgument(std::move(text));
  if (code == kMethodNotFound) return NotFound(std::move(text));
  return Unavailable(std::move(text));
}

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  std::string valid;
  AppendValidUtf8(text.substr(0, std::min(text.size(), max_bytes + 4)), /*final=*/true, &valid);
  size_t keep = std::min(valid.size(), max_bytes);
  while (keep > 0 && keep < valid.size() && (static_cast<uint8_t>(valid[keep]) & 0xC0) == 0x80) {
    --keep;
  }
  const bool cut = keep < valid.size() || text.size() > max_bytes + 4;
  valid.resize(keep);
  for (char& c : valid) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (cut) valid += "...";
  return valid;
}

}  // namespace kiln::plugins::mcp_internal
