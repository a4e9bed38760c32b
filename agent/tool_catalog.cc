#include "agent/tool_catalog.h"

#include <algorithm>

#include "plugins/builtin/builtin.h"
#include "plugins/mcp/mcp_client.h"
#include "plugins/openapi/openapi.h"

namespace kiln::agent {

using nlohmann::json;

struct ToolCatalog::Entry {
  std::mutex mu;                            // one build at a time per plugin
  int64_t updated_at = -1;                  // of the record the tools were made from
  plugins::ToolList tools;                  // guarded by mu
  std::shared_ptr<plugins::McpClient> mcp;  // guarded by mu: the live connection, if any
};

namespace {

json ParseObject(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();
}

// A builtin plugin's choice of tools (config "tools"; none listed: all).
bool Chosen(const json& config, const std::string& name) {
  if (!config.contains("tools") || !config["tools"].is_array() || config["tools"].empty()) {
    return true;
  }
  for (const json& t : config["tools"]) {
    if (t.is_string() && t.get<std::string>() == name) return true;
  }
  return false;
}

Result<plugins::McpServerConfig> McpConfig(const json& config, const json& secrets,
                                           const plugins::FetchOptions& fetch) {
  const json mcp = config.contains("mcp") && config["mcp"].is_object() ? config["mcp"] : json();
  if (mcp.is_null()) return InvalidArgument("an mcp plugin needs \"mcp\": {command} or {url}");
  plugins::McpServerConfig c;
  c.fetch = fetch;
  if (mcp.contains("command") && mcp["command"].is_string()) {
    c.command = mcp["command"].get<std::string>();
    if (mcp.contains("args") && mcp["args"].is_array()) {
      for (const json& a : mcp["args"]) {
        if (a.is_string()) c.args.push_back(a.get<std::string>());
      }
    }
  } else if (mcp.contains("url") && mcp["url"].is_string()) {
    c.url = mcp["url"].get<std::string>();
  } else {
    return InvalidArgument("an mcp plugin needs \"mcp\": {command} or {url}");
  }
  if (secrets.contains("headers") && secrets["headers"].is_object()) {
    for (auto it = secrets["headers"].begin(); it != secrets["headers"].end(); ++it) {
      if (it->is_string()) c.headers.emplace_back(it.key(), it->get<std::string>());
    }
  }
  return c;
}

}  // namespace

ToolCatalog::ToolCatalog(CatalogOptions options) : options_(std::move(options)) {}
ToolCatalog::~ToolCatalog() = default;

std::vector<std::string> ToolCatalog::BuiltinNames() {
  std::vector<std::string> names;
  plugins::BuiltinOptions o;
  for (const auto& t : plugins::BuiltinTools(o)) names.push_back(t->spec().name);
  for (const std::string& n : AgentToolNames()) names.push_back(n);
  return names;
}

void ToolCatalog::Forget(const std::string& plugin_id) {
  std::lock_guard lock(mu_);
  entries_.erase(plugin_id);
}

Result<plugins::ToolList> ToolCatalog::Build(const storage::Plugin& plugin, Entry& entry) {
  const json config = ParseObject(plugin.config);
  const json secrets = ParseObject(plugin.secrets);
  if (plugin.kind == "builtin") {
    plugins::BuiltinOptions o;
    o.fetch = options_.fetch;
    if (options_.now) o.now = options_.now;
    plugins::ToolList out;
    for (auto& t : plugins::BuiltinTools(o)) {
      if (Chosen(config, t->spec().name)) out.push_back(std::move(t));
    }
    return out;
  }
  if (plugin.kind == "openapi") {
    if (!config.contains("spec")) return InvalidArgument("an openapi plugin needs its spec");
    plugins::OpenApiOptions o;
    o.fetch = options_.fetch;
    if (config.contains("base_url") && config["base_url"].is_string()) {
      o.base_url = config["base_url"].get<std::string>();
    }
    plugins::OpenApiAuth auth;
    if (secrets.contains("auth")) {
      KILN_ASSIGN_OR_RETURN(auth, plugins::ParseOpenApiAuth(secrets["auth"]));
    }
    return plugins::ToolsFromOpenApi(config["spec"], auth, o);
  }
  if (plugin.kind == "mcp") {
    KILN_ASSIGN_OR_RETURN(plugins::McpServerConfig c, McpConfig(config, secrets, options_.fetch));
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<plugins::McpClient> client,
                          plugins::McpClient::Connect(c));
    entry.mcp = std::shared_ptr<plugins::McpClient>(std::move(client));
    return plugins::McpTools(entry.mcp);
  }
  return InvalidArgument("unknown plugin kind '" + plugin.kind + "'");
}

Result<plugins::ToolList> ToolCatalog::PluginTools(const storage::Plugin& plugin,
                                                   const TurnToolContext* turn) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    std::shared_ptr<Entry>& slot = entries_[plugin.id];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    entry = slot;
  }
  plugins::ToolList tools;
  {
    std::lock_guard lock(entry->mu);
    const bool dead = entry->mcp != nullptr && !entry->mcp->alive();
    if (entry->updated_at != plugin.updated_at || dead) {
      entry->mcp.reset();
      entry->tools.clear();
      KILN_ASSIGN_OR_RETURN(entry->tools, Build(plugin, *entry));
      entry->updated_at = plugin.updated_at;
    }
    tools = entry->tools;
  }
  if (plugin.kind == "builtin" && turn != nullptr) {
    const json config = ParseObject(plugin.config);
    for (auto& t : AgentTools(*turn)) {
      if (Chosen(config, t->spec().name)) tools.push_back(std::move(t));
    }
  }
  return tools;
}

}  // namespace kiln::agent
