// Opening stores: migrations, persistence across reopen, refusing files the
// binary must not touch.
#include "storage/internal/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using internal::Connection;
using internal::Migration;
using testing::CreateWorkspace;
using testing::MakeBot;
using testing::OpenOrDie;
using testing::OptionsFor;
using testing::SecretHash;
using testing::TempDir;

std::unique_ptr<Connection> RawOpen(const std::string& path) {
  Result<std::unique_ptr<Connection>> conn =
      Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

bool TableExists(Connection& conn, const std::string& name) {
  Result<internal::Statement> stmt =
      conn.Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  if (!stmt.ok()) return false;
  stmt->BindText(1, name);
  Result<bool> row = stmt->Step();
  return row.ok() && *row;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MigrationsTest, FreshStoreIsAtLatestVersionInWalMode) {
  TempDir dir;
  std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());

  std::unique_ptr<Connection> raw = RawOpen(OptionsFor(dir).path);
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(*internal::ReadSchemaVersion(*raw), internal::LatestSchemaVersion());
  for (const char* table : {"workspaces", "api_keys", "bots", "bot_versions"}) {
    EXPECT_TRUE(TableExists(*raw, table)) << table;
  }
  Result<internal::Statement> mode = raw->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");  // WAL is persistent in the file
}

TEST(MigrationsTest, ReopenedStoreKeepsItsData) {
  TempDir dir;
  {
    std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
    ASSERT_NE(store, nullptr);
    CreateWorkspace(*store, "ws_a");
    ASSERT_TRUE(store->bots().Create(MakeBot("ws_a", "bot_1", "持久 bot")).ok());
    ASSERT_TRUE(store->bots().Publish("ws_a", "bot_1", "v1", 5).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
  Result<Bot> bot = store->bots().Get("ws_a", "bot_1");
  ASSERT_TRUE(bot.ok()) << bot.status().ToString();
  EXPECT_EQ(bot->config.name, "持久 bot");
  EXPECT_EQ(bot->latest_version, 1);
  EXPECT_EQ(store->bots().GetVersion("ws_a", "bot_1", 1)->note, "v1");
  EXPECT_TRUE(store->keys().FindBySecretHash(SecretHash("key_ws_a")).ok());
}

TEST(MigrationsTest, NewerSchemaIsRefused) {
  TempDir dir;
  ASSERT_NE(OpenOrDie(OptionsFor(dir)), nullptr);
  {
    std::unique_ptr<Connection> raw = RawOpen(OptionsFor(dir).path);
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->Exec("PRAGMA user_version = 99").ok());
  }
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(OptionsFor(dir));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  const std::string& message = store.status().message();
  EXPECT_NE(message.find("schema version 99 is newer than this kiln supports (" +
                         std::to_string(internal::LatestSchemaVersion()) + ")"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("upgrade kiln"), std::string::npos) << message;

  std::unique_ptr<Connection> raw = RawOpen(OptionsFor(dir).path);
  EXPECT_EQ(*internal::ReadSchemaVersion(*raw), 99);  // left as it was
}

TEST(MigrationsTest, NonDatabaseFileIsAnErrorAndUntouched) {
  TempDir dir;
  const std::string path = OptionsFor(dir).path;
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += "this is a text file, not a database\n";
  std::ofstream(path, std::ios::binary) << junk;

  Result<std::unique_ptr<Store>> store = OpenSqliteStore(OptionsFor(dir));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos);
  EXPECT_EQ(ReadFile(path), junk);
}

TEST(MigrationsTest, RowOfTheWrongShapeIsCorruptionNotACrash) {
  TempDir dir;
  {
    std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
    ASSERT_NE(store, nullptr);
    CreateWorkspace(*store, "ws_a");
    ASSERT_TRUE(store->bots().Create(MakeBot("ws_a", "bot_1")).ok());
  }
  {
    // Valid JSON, wrong type: gets past the CHECK constraints.
    std::unique_ptr<Connection> raw = RawOpen(OptionsFor(dir).path);
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->Exec(R"(UPDATE bots SET variables = '[{"name": 7}]')").ok());
  }
  std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  Result<Bot> bot = store->bots().Get("ws_a", "bot_1");
  ASSERT_FALSE(bot.ok());
  EXPECT_EQ(bot.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bot.status().message().find("variables"), std::string::npos) << bot.status().message();
}

TEST(MigrationsTest, DamagedPagesAreErrorsNotCrashes) {
  TempDir dir;
  const std::string path = OptionsFor(dir).path;
  {
    std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
    ASSERT_NE(store, nullptr);
    CreateWorkspace(*store, "ws_a");
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(store->bots().Create(MakeBot("ws_a", "bot_" + std::to_string(i))).ok());
    }
  }  // closing checkpoints the WAL into the main file
  std::string bytes = ReadFile(path);
  ASSERT_GT(bytes.size(), 8192u);
  for (size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

  Result<std::unique_ptr<Store>> store = OpenSqliteStore(OptionsFor(dir));
  if (!store.ok()) {
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
    return;
  }
  Result<Page<Bot>> page = (*store)->bots().List("ws_a", {});
  if (!page.ok()) {
    EXPECT_EQ(page.status().code(), StatusCode::kCorruption) << page.status().ToString();
  }
  Result<Bot> bot = (*store)->bots().Get("ws_a", "bot_1");
  if (!bot.ok()) {
    EXPECT_TRUE(bot.status().code() == StatusCode::kCorruption ||
                bot.status().code() == StatusCode::kNotFound)
        << bot.status().ToString();
  }
}

TEST(MigrationsTest, MissingFolderIsAnError) {
  SqliteOptions options;
  options.path = "/tmp/kiln_no_such_folder_for_tests/sub/kiln.db";
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_EQ(OpenSqliteStore(SqliteOptions{}).status().code(), StatusCode::kInvalidArgument);
}

TEST(MigrationsTest, AppliesPendingMigrationsInOrder) {
  TempDir dir;
  std::unique_ptr<Connection> conn = RawOpen(dir.File("m.db"));
  ASSERT_NE(conn, nullptr);
  const Migration first[] = {{1, "CREATE TABLE a (x INTEGER);"}};
  EXPECT_EQ(*internal::ApplyMigrations(*conn, first), 1);
  const Migration more[] = {{1, "CREATE TABLE a (x INTEGER);"},
                            {2, "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);"},
                            {3, "ALTER TABLE a ADD COLUMN z TEXT;"}};
  EXPECT_EQ(*internal::ApplyMigrations(*conn, more), 3);
  EXPECT_EQ(*internal::ReadSchemaVersion(*conn), 3);
  EXPECT_TRUE(TableExists(*conn, "b"));
  // Idempotent: nothing is applied twice.
  EXPECT_EQ(*internal::ApplyMigrations(*conn, more), 3);
}

TEST(MigrationsTest, FailingMigrationLeavesPreviousVersion) {
  TempDir dir;
  std::unique_ptr<Connection> conn = RawOpen(dir.File("m.db"));
  ASSERT_NE(conn, nullptr);
  const Migration broken[] = {{1, "CREATE TABLE a (x INTEGER);"},
                              {2, "CREATE TABLE b (y INTEGER); SELECT * FROM no_such_table;"}};
  Result<int> result = internal::ApplyMigrations(*conn, broken);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("migration 2"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("no_such_table"), std::string::npos);
  EXPECT_EQ(*internal::ReadSchemaVersion(*conn), 1);
  EXPECT_TRUE(TableExists(*conn, "a"));
  EXPECT_FALSE(TableExists(*conn, "b"));  // rolled back with its migration
  EXPECT_TRUE(conn->autocommit());
}

// Migration 3 replaces the trigram full-text index of version 2 with the
// kiln_cjk one, rebuilt from the chunks already stored.
TEST(MigrationsTest, FullTextIndexOfVersion2IsRebuiltWithTheNewTokenizer) {
  TempDir dir;
  {
    std::unique_ptr<Connection> conn = RawOpen(OptionsFor(dir).path);
    ASSERT_NE(conn, nullptr);
    ASSERT_EQ(*internal::ApplyMigrations(*conn, internal::KnownMigrations().first(2)), 2);
    ASSERT_TRUE(conn->Exec(R"sql(
      INSERT INTO workspaces VALUES ('ws_1', 1);
      INSERT INTO knowledge_bases (id, workspace_id, name, created_at, updated_at)
        VALUES ('kb_1', 'ws_1', 'old', 1, 1);
      INSERT INTO documents (id, knowledge_id, name, source, bytes, sha256, status,
                             created_at, updated_at)
        VALUES ('doc_1', 'kb_1', 'a.txt', 'text', 3, '', 'ready', 1, 1);
      INSERT INTO chunks (knowledge_id, document_id, position, text, tokens, embedding)
        VALUES ('kb_1', 'doc_1', 0, '价格战开始了。Kettles boil water.', 5, x'');
    )sql").ok());
  }
  std::unique_ptr<Store> store = OpenOrDie(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
  // Two-character words and folded plurals: neither works with trigrams.
  for (const char* match : {"\"价格\"", "\"kettle\"", "\"kettles\"", "\"战开始\""}) {
    auto hits = store->knowledge().SearchText("kb_1", match, {}, 5);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    EXPECT_EQ(hits->size(), 1u) << match;
  }
  // The base's chunk count is carried over, and kept by the new triggers.
  EXPECT_EQ(store->knowledge().GetBase("ws_1", "kb_1")->chunk_count, 1);
  ASSERT_TRUE(store->knowledge().DeleteDocument("ws_1", "kb_1", "doc_1").ok());
  EXPECT_TRUE(store->knowledge().SearchText("kb_1", "\"价格\"", {}, 5)->empty());
  EXPECT_EQ(store->knowledge().GetBase("ws_1", "kb_1")->chunk_count, 0);
}

}  // namespace
}  // namespace kiln::storage
