// The SQLite implementations of the repositories in store.h.
//
// Each borrows the store's Database, which outlives it. Thread-safe: reads
// take a pooled reader connection, writes the single writer (sqlite_db.h).
#pragma once

#include "storage/conversations.h"
#include "storage/internal/sqlite_db.h"
#include "storage/plugins.h"
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

class SqliteKnowledgeRepository final : public KnowledgeRepository {
 public:
  explicit SqliteKnowledgeRepository(Database* db) : db_(db) {}

  Status CreateBase(const KnowledgeBase& kb) override;
  Result<KnowledgeBase> GetBase(std::string_view workspace_id, std::string_view id) override;
  Result<Page<KnowledgeBase>> ListBases(std::string_view workspace_id,
                                        const ListOptions& options) override;
  Result<KnowledgeBase> ModifyBase(std::string_view workspace_id, std::string_view id,
                                   const std::function<Status(KnowledgeBase&)>& mutate) override;
  Status DeleteBase(std::string_view workspace_id, std::string_view id) override;
  Result<KnowledgeBase> GetBaseById(std::string_view id) override;
  Result<std::vector<KnowledgeBase>> AllBases() override;

  Status CreateDocument(std::string_view workspace_id, const KnowledgeDocument& doc) override;
  Result<KnowledgeDocument> GetDocument(std::string_view workspace_id,
                                        std::string_view knowledge_id,
                                        std::string_view id) override;
  Result<Page<KnowledgeDocument>> ListDocuments(std::string_view workspace_id,
                                                std::string_view knowledge_id,
                                                const ListOptions& options) override;
  Result<std::vector<KnowledgeDocument>> FindDocumentsByName(std::string_view knowledge_id,
                                                             std::string_view name) override;
  Result<std::vector<int64_t>> DeleteDocument(std::string_view workspace_id,
                                              std::string_view knowledge_id,
                                              std::string_view id) override;

  Result<KnowledgeDocument> ClaimQueuedDocument(int64_t now) override;
  Result<int64_t> RequeueInterrupted(int max_attempts, int64_t now) override;
  Status UpdateProgress(std::string_view id, DocumentStatus status, int64_t chunks_done,
                        int64_t chunks_total, int64_t now) override;
  Result<std::vector<int64_t>> CompleteDocument(std::string_view id,
                                                std::vector<StoredChunk>& chunks,
                                                std::string_view format, std::string_view encoding,
                                                int64_t now) override;
  Status FailDocument(std::string_view id, std::string_view reason, int64_t now) override;
  Status SetFetchedContent(std::string_view id, std::string_view name,
                           std::string_view content_type, int64_t bytes, std::string_view sha256,
                           int64_t now) override;

  Result<std::vector<StoredChunk>> GetChunks(std::string_view knowledge_id,
                                             const std::vector<int64_t>& ids) override;
  Status ForEachEmbedding(
      std::string_view knowledge_id,
      const std::function<void(int64_t id, std::span<const float> embedding)>& fn) override;
  Result<std::vector<TextHit>> SearchText(std::string_view knowledge_id, std::string_view match,
                                          const std::vector<std::string>& substrings,
                                          int limit) override;
  Result<std::vector<std::string>> SampleChunkTexts(std::string_view knowledge_id,
                                                    int n) override;
  Result<Page<StoredChunk>> ListDocumentChunks(std::string_view workspace_id,
                                               std::string_view knowledge_id,
                                               std::string_view document_id,
                                               const ListOptions& options) override;

 private:
  Database* db_;
};

class SqliteConversationRepository final : public ConversationRepository {
 public:
  explicit SqliteConversationRepository(Database* db) : db_(db) {}

  Status Create(const Conversation& conversation) override;
  Result<Conversation> Get(std::string_view workspace_id, std::string_view id) override;
  Result<Page<Conversation>> List(std::string_view workspace_id, std::string_view bot_id,
                                  std::string_view user_id, const ListOptions& options) override;
  Status Delete(std::string_view workspace_id, std::string_view id) override;
  Status AppendMessages(std::string_view workspace_id, std::string_view conversation_id,
                        std::vector<Message>& messages, int64_t now) override;
  Result<Page<Message>> ListMessages(std::string_view workspace_id,
                                     std::string_view conversation_id,
                                     const ListOptions& options) override;
  Result<std::vector<Message>> RecentMessages(std::string_view conversation_id, int n) override;

 private:
  Database* db_;
};

class SqliteMemoryRepository final : public MemoryRepository {
 public:
  explicit SqliteMemoryRepository(Database* db) : db_(db) {}

  Result<std::map<std::string, std::string>> Get(std::string_view bot_id,
                                                 std::string_view user_id) override;
  Status Set(std::string_view bot_id, std::string_view user_id, std::string_view name,
             std::string_view value, int64_t now, int max_entries = 100) override;
  Status Erase(std::string_view bot_id, std::string_view user_id, std::string_view name) override;

 private:
  Database* db_;
};

class SqlitePluginRepository final : public PluginRepository {
 public:
  explicit SqlitePluginRepository(Database* db) : db_(db) {}

  Status Create(const Plugin& plugin) override;
  Result<Plugin> Get(std::string_view workspace_id, std::string_view id) override;
  Result<Page<Plugin>> List(std::string_view workspace_id, const ListOptions& options) override;
  Result<Plugin> Modify(std::string_view workspace_id, std::string_view id,
                        const std::function<Status(Plugin&)>& mutate) override;
  Status Delete(std::string_view workspace_id, std::string_view id) override;

 private:
  Database* db_;
};

class SqliteChannelRepository final : public ChannelRepository {
 public:
  explicit SqliteChannelRepository(Database* db) : db_(db) {}

  Status Create(const Channel& channel) override;
  Result<Channel> Get(std::string_view workspace_id, std::string_view id) override;
  Result<Channel> Find(std::string_view id) override;
  Result<Page<Channel>> ListForBot(std::string_view workspace_id, std::string_view bot_id,
                                   const ListOptions& options) override;
  Result<Channel> Modify(std::string_view workspace_id, std::string_view id,
                         const std::function<Status(Channel&)>& mutate) override;
  Status Delete(std::string_view workspace_id, std::string_view id) override;
  Result<bool> RecordEvent(std::string_view channel_id, std::string_view event_id,
                           int64_t now) override;
  Status ForgetEvent(std::string_view channel_id, std::string_view event_id) override;
  Result<int64_t> PruneEvents(int64_t before) override;
  Result<int64_t> AddDelivery(const ChannelDelivery& delivery) override;
  Status UpdateDelivery(const ChannelDelivery& delivery) override;
  Result<Page<ChannelDelivery>> ListDeliveries(std::string_view channel_id,
                                               const ListOptions& options) override;

 private:
  Database* db_;
};

}  // namespace kiln::storage::internal
