// MCP over streamable HTTP: each message is a POST to the endpoint through
// plugins::HttpFetch (so the outbound guard applies); the answer is JSON or
// a text/event-stream whose events carry the response. The session id the
// server gives at initialize goes on every later request.
#include <mutex>

#include "plugins/mcp/internal/transport.h"

namespace kiln::plugins::mcp_internal {
namespace {

using nlohmann::json;

class HttpTransport final : public McpClient::Transport {
 public:
  explicit HttpTransport(McpServerConfig config) : config_(std::move(config)) {}

  Result<RpcMessage> Request(int64_t id, const std::string& method, const json& params,
                             int64_t timeout_ms, const std::function<bool()>& cancelled) override {
    if (cancelled && cancelled()) return Cancelled(method + " was cancelled");
    KILN_ASSIGN_OR_RETURN(FetchResponse r, Post(RequestText(id, method, params), timeout_ms));
    if (r.status == 404 && !session().empty()) {
      Dead();
      return Unavailable("the MCP server ended the session");
    }
    if (r.status < 200 || r.status >= 300) {
      return Unavailable("the MCP server answered HTTP " + std::to_string(r.status) + ": " +
                         QuoteForMessage(r.body, 200));
    }
    if (method == "initialize") {
      const std::string sid = r.Header("mcp-session-id");
      std::lock_guard lock(mu_);
      session_ = sid;
    }
    std::vector<std::string> texts;
    if (r.Header("content-type").find("text/event-stream") != std::string::npos) {
      texts = SseData(r.body);
    } else {
      texts.push_back(r.body);
    }
    for (const std::string& text : texts) {
      Result<std::vector<RpcMessage>> messages = ParseRpcText(text);
      if (!messages.ok()) {
        return Unavailable("the MCP server answered something that is not JSON-RPC: " +
                           QuoteForMessage(text, 120));
      }
      for (RpcMessage& m : *messages) {
        if (m.kind == RpcMessage::Kind::kResponse && IdAsInt(m.id) == id) return m;
      }
    }
    return Unavailable("the MCP server's answer held no response to " + method);
  }

  Status Notify(const std::string& method, const json& params) override {
    KILN_ASSIGN_OR_RETURN(FetchResponse r, Post(NotificationText(method, params), 10000));
    if (r.status >= 400) {
      return Unavailable("the MCP server refused " + method + " (HTTP " + std::to_string(r.status) +
                         ")");
    }
    return Status::OK();
  }

  bool alive() const override {
    std::lock_guard lock(mu_);
    return alive_;
  }

  void SetProtocolVersion(const std::string& version) override {
    std::lock_guard lock(mu_);
    version_ = version;
  }

 private:
  std::string session() const {
    std::lock_guard lock(mu_);
    return session_;
  }
  void Dead() {
    std::lock_guard lock(mu_);
    alive_ = false;
  }

  Result<FetchResponse> Post(const std::string& body, int64_t timeout_ms) {
    FetchOptions f = config_.fetch;
    f.method = "POST";
    f.body = body;
    f.timeout_ms = timeout_ms;
    f.max_response_bytes = std::min<size_t>(f.max_response_bytes, 8u << 20);
    f.headers = config_.headers;
    f.headers.emplace_back("Content-Type", "application/json");
    f.headers.emplace_back("Accept", "application/json, text/event-stream");
    {
      std::lock_guard lock(mu_);
      if (!session_.empty()) f.headers.emplace_back("Mcp-Session-Id", session_);
      if (!version_.empty()) f.headers.emplace_back("MCP-Protocol-Version", version_);
    }
    Result<FetchResponse> r = HttpFetch(config_.url, f);
    if (!r.ok() && r.status().code() == StatusCode::kUnavailable) Dead();
    return r;
  }

  const McpServerConfig config_;
  mutable std::mutex mu_;
  std::string session_, version_;  // guarded by mu_
  bool alive_ = true;              // guarded by mu_
};

}  // namespace

std::vector<std::string> SseData(std::string_view body) {
  std::vector<std::string> out;
  std::string data;
  bool has_data = false;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data) out.push_back(data);
      data.clear();
      has_data = false;
    } else if (line.starts_with("data:")) {
      std::string_view value = line.substr(5);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      if (has_data) data += '\n';
      data += value;
      has_data = true;
    }  // event:, id:, retry: and comments need nothing here
    if (nl == body.size()) break;
    pos = nl + 1;
  }
  if (has_data) out.push_back(data);
  return out;
}

Result<std::unique_ptr<McpClient::Transport>> OpenHttp(const McpServerConfig& config) {
  KILN_RETURN_IF_ERROR(ParseUrl(config.url).status());
  return std::unique_ptr<McpClient::Transport>(std::make_unique<HttpTransport>(config));
}

}  // namespace kiln::plugins::mcp_internal
