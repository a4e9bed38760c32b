// ToolCatalog: the tools of a workspace's plugins, made from their stored
// records: a builtin plugin's chosen built-ins (with the turn's own
// knowledge and variable tools), an OpenAPI plugin's operations, an MCP
// server's tools over a connection kept open and reopened when it dies.
// Parsed documents and live connections are cached per plugin (and dropped
// when the plugin changes). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/agent_tools.h"
#include "plugins/net/http_fetch.h"
#include "plugins/tool.h"
#include "storage/plugins.h"

namespace kiln::agent {

struct CatalogOptions {
  plugins::FetchOptions fetch;  // the outbound guard for OpenAPI calls and MCP over HTTP
  std::function<int64_t()> now;
};

class ToolCatalog {
 public:
  explicit ToolCatalog(CatalogOptions options);
  ~ToolCatalog();

  // The plugin's tools. `turn` gives the context of agent tools (null when
  // listing a plugin outside a turn: then the turn-bound built-ins are
  // described but answer FailedPrecondition). Blocking (an MCP server may be
  // started): never on an I/O thread.
  Result<plugins::ToolList> PluginTools(const storage::Plugin& plugin, const TurnToolContext* turn);
  void Forget(const std::string& plugin_id);

  // The built-in tool names a builtin plugin may choose from.
  static std::vector<std::string> BuiltinNames();

 private:
  struct Entry;
  Result<plugins::ToolList> Build(const storage::Plugin& plugin, Entry& entry);

  const CatalogOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // guarded by mu_: by plugin id
};

}  // namespace kiln::agent
