// Plugins registered in a workspace: the record and its repository. What a
// plugin is (its kinds, how its tools are made) belongs to plugins/ and
// agent/; here it is a kind, a name, a config object shown by the API, a
// secrets object that the API never returns, and the tool specs last listed.
// Thread-safe, like every repository.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "storage/records.h"

namespace kiln::storage {

struct Plugin {
  std::string id;  // "plg_..."
  std::string workspace_id;
  std::string kind;  // "builtin", "openapi", "mcp"
  std::string name;
  std::string description;
  std::string config = "{}";   // JSON object: the OpenAPI document, the MCP command or URL, ...
  std::string secrets = "{}";  // JSON object: credentials; write-only in the API
  std::string tools = "[]";    // JSON array of tool specs, as last listed
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

class PluginRepository {
 public:
  virtual ~PluginRepository() = default;
  // AlreadyExists when the workspace has a plugin of this name.
  virtual Status Create(const Plugin& plugin) = 0;
  virtual Result<Plugin> Get(std::string_view workspace_id, std::string_view id) = 0;
  // Newest first.
  virtual Result<Page<Plugin>> List(std::string_view workspace_id, const ListOptions& options) = 0;
  // Reads the plugin, lets `mutate` change it (or refuse), stores it; under the writer.
  virtual Result<Plugin> Modify(std::string_view workspace_id, std::string_view id,
                                const std::function<Status(Plugin&)>& mutate) = 0;
  virtual Status Delete(std::string_view workspace_id, std::string_view id) = 0;
};

}  // namespace kiln::storage
