// OpenSqliteStore: the SQLite-backed Store.
#include <memory>

#include "storage/internal/sqlite_db.h"
#include "storage/internal/sqlite_repositories.h"
#include "storage/store.h"

namespace kiln::storage {
namespace {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<internal::Database> db)
      : db_(std::move(db)),
        bots_(db_.get()),
        keys_(db_.get()),
        knowledge_(db_.get()),
        conversations_(db_.get()),
        memories_(db_.get()),
        plugins_(db_.get()),
        channels_(db_.get()) {}

  BotRepository& bots() override { return bots_; }
  KeyRepository& keys() override { return keys_; }
  KnowledgeRepository& knowledge() override { return knowledge_; }
  ConversationRepository& conversations() override { return conversations_; }
  MemoryRepository& memories() override { return memories_; }
  PluginRepository& plugins() override { return plugins_; }
  ChannelRepository& channels() override { return channels_; }
  int schema_version() const override { return db_->schema_version(); }

 private:
  // Declared first so it is destroyed last: the repositories borrow it.
  std::unique_ptr<internal::Database> db_;
  internal::SqliteBotRepository bots_;
  internal::SqliteKeyRepository keys_;
  internal::SqliteKnowledgeRepository knowledge_;
  internal::SqliteConversationRepository conversations_;
  internal::SqliteMemoryRepository memories_;
  internal::SqlitePluginRepository plugins_;
  internal::SqliteChannelRepository channels_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return InvalidArgument("database path is empty", "path");
  Result<std::unique_ptr<internal::Database>> db = internal::Database::Open(options);
  if (!db.ok()) return db.status().Annotate("opening database " + options.path);
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db).value()));
}

}  // namespace kiln::storage
