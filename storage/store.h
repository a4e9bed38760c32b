// The storage interface: repositories for every kind of stored record.
//
// All methods are thread-safe and may block on disk I/O (call them off the
// hot loops of the engine, never while holding a lock of the caller's).
// Every multi-row change happens in one transaction. Workspace isolation is
// enforced here: a record of another workspace is NotFound, never returned.
//
// The SQLite implementation is OpenSqliteStore(); a PostgreSQL one will follow
// behind the same interface.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "storage/channels.h"
#include "storage/conversations.h"
#include "storage/knowledge.h"
#include "storage/plugins.h"
#include "storage/records.h"

namespace kiln::storage {

class BotRepository {
 public:
  virtual ~BotRepository() = default;

  // Inserts `bot` (id, workspace, config, timestamps set by the caller; revision
  // and latest_version are stored as 1 and 0). AlreadyExists on a duplicate id.
  virtual Status Create(const Bot& bot) = 0;
  virtual Result<Bot> Get(std::string_view workspace_id, std::string_view id) = 0;
  // Newest first. `name_query`, when not empty, keeps bots whose name contains it
  // (case-insensitive for ASCII).
  virtual Result<Page<Bot>> List(std::string_view workspace_id, const ListOptions& options,
                                 std::string_view name_query = {}) = 0;
  // Replaces the draft config and updated_at of bot.id if its stored revision is
  // still bot.revision; returns the stored bot (revision + 1). FailedPrecondition
  // when someone else updated it first; NotFound when it is gone.
  virtual Result<Bot> Update(const Bot& bot) = 0;
  // Atomic read-modify-write: reads the bot, lets `mutate` change its config (it
  // may refuse with a Status, which is returned), and stores it, all while no
  // other write can run, so concurrent edits never conflict. `mutate` must be
  // quick and must not call back into the store. Returns the stored bot.
  virtual Result<Bot> Modify(std::string_view workspace_id, std::string_view id,
                             const std::function<Status(Bot&)>& mutate) = 0;
  // Deletes the bot and its versions. NotFound when absent.
  virtual Status Delete(std::string_view workspace_id, std::string_view id) = 0;

  // Freezes the current draft as version latest_version + 1, in one transaction.
  virtual Result<BotVersion> Publish(std::string_view workspace_id, std::string_view id,
                                     std::string_view note, int64_t now) = 0;
  // Highest version first; the cursor pages through versions.
  virtual Result<Page<BotVersion>> ListVersions(std::string_view workspace_id, std::string_view id,
                                                const ListOptions& options) = 0;
  virtual Result<BotVersion> GetVersion(std::string_view workspace_id, std::string_view id,
                                        int version) = 0;
};

class KeyRepository {
 public:
  virtual ~KeyRepository() = default;

  // Stores the key with the SHA-256 hex of its secret; creates the workspace if new.
  virtual Status Create(const ApiKey& key, std::string_view secret_sha256) = 0;
  // The live (not deleted) key whose secret hashes to `secret_sha256`, else NotFound.
  virtual Result<ApiKey> FindBySecretHash(std::string_view secret_sha256) = 0;
  virtual Result<ApiKey> Get(std::string_view id) = 0;
  // All live keys, newest first.
  virtual Result<Page<ApiKey>> List(const ListOptions& options) = 0;
  // Revokes the key (it stops working at once). NotFound when absent or already
  // revoked; FailedPrecondition for the last live admin key, so that there is
  // always one (checked in the same statement, so concurrent revocations agree).
  virtual Status Delete(std::string_view id) = 0;
  virtual Result<int> CountAdmins() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual BotRepository& bots() = 0;
  virtual KeyRepository& keys() = 0;
  virtual KnowledgeRepository& knowledge() = 0;
  virtual ConversationRepository& conversations() = 0;
  virtual MemoryRepository& memories() = 0;
  virtual PluginRepository& plugins() = 0;
  virtual ChannelRepository& channels() = 0;
  // The schema version the store is at (after migrations).
  virtual int schema_version() const = 0;
};

struct SqliteOptions {
  std::string path;  // database file; its folder must exist
  int busy_timeout_ms = 5000;
  // NORMAL survives a killed process (kill -9) with no loss of committed
  // transactions in WAL mode; FULL also survives power loss, at a cost per commit.
  bool sync_full = false;
};

// Opens (creating if needed) the SQLite database, sets WAL, foreign keys and
// busy_timeout, and applies pending migrations. FailedPrecondition when the file's
// schema is newer than this binary knows.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace kiln::storage
