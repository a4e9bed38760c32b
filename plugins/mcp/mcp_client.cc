#include "plugins/mcp/mcp_client.h"

#include <set>

#include "plugins/mcp/internal/transport.h"

namespace kiln::plugins {

using mcp_internal::RpcMessage;
using nlohmann::json;

namespace {

constexpr size_t kMaxTools = 256;
constexpr int kMaxPages = 32;

bool KnownVersion(const std::string& v) {
  static const std::set<std::string> known = {"2024-11-05", "2025-03-26", "2025-06-18",
                                              "2025-11-25"};
  return known.count(v) != 0;
}

json Reduce(const json& schema, int depth) {
  static const std::set<std::string> keep = {
      "type",     "properties", "required",  "items",     "enum",  "const", "description",
      "minItems", "maxItems",   "minLength", "maxLength", "anyOf", "oneOf", "additionalProperties"};
  if (!schema.is_object() || depth > 16) return json::object();
  json out = json::object();
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (keep.count(it.key()) == 0) continue;
    if (it.key() == "properties" && it->is_object()) {
      json props = json::object();
      for (auto p = it->begin(); p != it->end(); ++p) props[p.key()] = Reduce(*p, depth + 1);
      out["properties"] = props;
    } else if ((it.key() == "items" || it.key() == "additionalProperties") && it->is_object()) {
      out[it.key()] = Reduce(*it, depth + 1);
    } else if ((it.key() == "anyOf" || it.key() == "oneOf") && it->is_array()) {
      json options = json::array();
      for (const json& o : *it) options.push_back(Reduce(o, depth + 1));
      out[it.key()] = options;
    } else if (it.key() == "required" && it->is_array()) {
      json names = json::array();
      for (const json& n : *it) {
        if (n.is_string()) names.push_back(n);
      }
      out["required"] = names;
    } else {
      out[it.key()] = *it;
    }
  }
  return out;
}

class McpTool final : public Tool {
 public:
  McpTool(std::shared_ptr<McpClient> client, std::string remote_name, ToolSpec spec)
      : client_(std::move(client)), remote_(std::move(remote_name)), spec_(std::move(spec)) {}
  const ToolSpec& spec() const override { return spec_; }
  Result<ToolResult> Invoke(const json& arguments, const ToolCallOptions& options) override {
    return client_->CallTool(remote_, arguments, options);
  }

 private:
  std::shared_ptr<McpClient> client_;
  std::string remote_;  // the server's own name for it
  ToolSpec spec_;
};

}  // namespace

McpClient::McpClient(std::unique_ptr<Transport> transport, int64_t timeout_ms)
    : transport_(std::move(transport)), timeout_ms_(timeout_ms) {}

McpClient::~McpClient() = default;

bool McpClient::alive() const { return transport_->alive(); }

Result<std::unique_ptr<McpClient>> McpClient::Connect(const McpServerConfig& config) {
  if (config.command.empty() == config.url.empty()) {
    return InvalidArgument("an MCP server is a command or a URL (exactly one)");
  }
  std::unique_ptr<Transport> transport;
  if (!config.command.empty()) {
    KILN_ASSIGN_OR_RETURN(transport, mcp_internal::StartStdio(config));
  } else {
    KILN_ASSIGN_OR_RETURN(transport, mcp_internal::OpenHttp(config));
  }
  auto client = std::unique_ptr<McpClient>(new McpClient(std::move(transport), config.timeout_ms));
  const json params = {{"protocolVersion", kMcpProtocolVersion},
                       {"capabilities", json::object()},
                       {"clientInfo", {{"name", "kiln"}, {"version", "0.1.0"}}}};
  Result<json> init = client->Request("initialize", params, config.timeout_ms, nullptr);
  if (!init.ok()) return init.status().Annotate("MCP initialize");
  const std::string version = init->value("protocolVersion", "");
  if (!KnownVersion(version)) {
    return Unavailable("the MCP server speaks protocol '" +
                       mcp_internal::QuoteForMessage(version, 40) + "', which Kiln does not know");
  }
  client->protocol_version_ = version;
  client->transport_->SetProtocolVersion(version);
  if (init->contains("serverInfo") && (*init)["serverInfo"].is_object()) {
    client->server_name_ = (*init)["serverInfo"].value("name", "");
  }
  KILN_RETURN_IF_ERROR(client->transport_->Notify("notifications/initialized", json::object()));
  return client;
}

Result<json> McpClient::Request(const std::string& method, const json& params, int64_t timeout_ms,
                                const std::function<bool()>& cancelled) {
  const int64_t id = next_id_.fetch_add(1);
  KILN_ASSIGN_OR_RETURN(RpcMessage m,
                        transport_->Request(id, method, params, timeout_ms, cancelled));
  if (m.is_error) return mcp_internal::RpcErrorStatus(method, m.error_code, m.error_message);
  return m.result;
}

Result<std::vector<McpToolInfo>> McpClient::ListTools() {
  std::vector<McpToolInfo> out;
  json cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    json params = json::object();
    if (cursor.is_string()) params["cursor"] = cursor;
    KILN_ASSIGN_OR_RETURN(json r, Request("tools/list", params, timeout_ms_, nullptr));
    if (!r.is_object() || !r.contains("tools") || !r["tools"].is_array()) {
      return Unavailable("the MCP server's tools/list answer has no tools array");
    }
    for (const json& t : r["tools"]) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
      McpToolInfo info;
      info.name = t["name"].get<std::string>();
      if (t.contains("description") && t["description"].is_string()) {
        info.description = t["description"].get<std::string>().substr(0, 2000);
      }
      if (t.contains("inputSchema")) info.input_schema = t["inputSchema"];
      out.push_back(std::move(info));
      if (out.size() >= kMaxTools) return out;
    }
    if (!r.contains("nextCursor") || !r["nextCursor"].is_string() || r["nextCursor"] == cursor) {
      break;
    }
    cursor = r["nextCursor"];
  }
  return out;
}

Result<ToolResult> McpClient::CallTool(const std::string& name, const json& arguments,
                                       const ToolCallOptions& options) {
  const int64_t timeout = std::min(options.timeout_ms, timeout_ms_);
  KILN_ASSIGN_OR_RETURN(json r, Request("tools/call", {{"name", name}, {"arguments", arguments}},
                                        timeout, options.cancelled));
  const bool is_error = r.is_object() && r.value("isError", false) == true;
  return MakeToolResult(McpContentText(r), options.max_output_bytes, is_error);
}

std::string McpContentText(const json& result) {
  if (!result.is_object()) return "";
  std::string text;
  auto add = [&](const std::string& piece) {
    if (!text.empty()) text += "\n";
    text += piece;
  };
  bool has_text = false;
  if (result.contains("content") && result["content"].is_array()) {
    for (const json& item : result["content"]) {
      if (!item.is_object()) continue;
      const std::string type = item.value("type", "");
      if (type == "text" && item.contains("text") && item["text"].is_string()) {
        add(item["text"].get<std::string>());
        has_text = true;
      } else if (type == "image" || type == "audio") {
        add("[" + type + " " + item.value("mimeType", std::string("?")) + "]");
      } else if (type == "resource" && item.contains("resource") && item["resource"].is_object()) {
        const json& res = item["resource"];
        if (res.contains("text") && res["text"].is_string()) {
          add(res["text"].get<std::string>());
          has_text = true;
        } else {
          add("[resource " + res.value("uri", std::string("?")) + "]");
        }
      } else if (type == "resource_link") {
        add("[link " + item.value("uri", std::string("?")) + "]");
      }
    }
  }
  if (!has_text && result.contains("structuredContent")) {
    add(mcp_internal::DumpJson(result["structuredContent"]));
  }
  return text;
}

json ReduceMcpSchema(const json& schema) {
  json out = Reduce(schema, 0);
  if (!out.contains("type") || out["type"] != "object") {
    json object = {{"type", "object"}};
    if (out.contains("properties")) object["properties"] = out["properties"];
    if (out.contains("required")) object["required"] = out["required"];
    return object;
  }
  return out;
}

Result<ToolList> McpTools(std::shared_ptr<McpClient> client) {
  KILN_ASSIGN_OR_RETURN(std::vector<McpToolInfo> infos, client->ListTools());
  ToolList out;
  std::set<std::string> taken;
  for (McpToolInfo& info : infos) {
    ToolSpec spec;
    std::string name = SanitizeToolName(info.name);
    for (int n = 2; taken.count(name) != 0; ++n) {
      const std::string suffix = "_" + std::to_string(n);
      name = SanitizeToolName(info.name).substr(0, 64 - suffix.size()) + suffix;
    }
    taken.insert(name);
    spec.name = name;
    spec.description = info.description;
    spec.parameters = ReduceMcpSchema(info.input_schema);
    out.push_back(std::make_shared<McpTool>(client, info.name, std::move(spec)));
  }
  return out;
}

}  // namespace kiln::plugins
