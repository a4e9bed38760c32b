// The SQLite implementations of the repositories in store.h.
//
// Each borrows the store's Database, which outlives it. Thread-safe: reads
// take a pooled reader connection, writes the single writer (sqlite_db.h).
#pragma once

#include "storage/internal/sqlite_db.h"
#include "storage/store.h"

namespace kiln::storage::internal {

class SqliteBotRepository final : public BotRepository {
 public:
  explicit SqliteBotRepository(Database* db) : db_(db) {}

  Status Create(const Bot& bot) override;
  Result<Bot> Get(std::string_view workspace_id, std::string_view id) override;
  Result<Page<Bot>> List(std::string_view workspace_id, const ListOptions& options,
                         std::string_view name_query) override;
  Result<Bot> Update(const Bot& bot) override;
  Result<Bot> Modify(std::string_view workspace_id, std::string_view id,
                     const std::function<Status(Bot&)>& mutate) override;
  Status Delete(std::string_view workspace_id, std::string_view id) override;

  Result<BotVersion> Publish(std::string_view workspace_id, std::string_view id,
                             std::string_view note, int64_t now) override;
  Result<Page<BotVersion>> ListVersions(std::string_view workspace_id, std::string_view id,
                                        const ListOptions& options) override;
  Result<BotVersion> GetVersion(std::string_view workspace_id, std::string_view id,
                                int version) override;

 private:
  // Update() with the writer already held.
  Result<Bot> UpdateLocked(Connection& writer, const Bot& bot);
  Database* db_;
};

class SqliteKeyRepository final : public KeyRepository {
 public:
  explicit SqliteKeyRepository(Database* db) : db_(db) {}

  Status Create(const ApiKey& key, std::string_view secret_sha256) override;
  Result<ApiKey> FindBySecretHash(std::string_view secret_sha256) override;
  Result<ApiKey> Get(std::string_view id) override;
  Result<Page<ApiKey>> List(const ListOptions& options) override;
  Status Delete(std::string_view id) override;
  Result<int> CountAdmins() override;

 private:
  Database* db_;
};

}  // namespace kiln::storage::internal
