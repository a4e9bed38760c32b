#include "storage/internal/migrations.h"

#include <string>

#include "base/check.h"
#include "base/log.h"

namespace kiln::storage::internal {
namespace {

// Tables are STRICT so that a value of the wrong type is refused instead of
// silently stored, and JSON columns are checked to be valid JSON of the right
// shape: a bad row would otherwise surface later as Corruption on every read.
// Booleans are INTEGER 0/1; timestamps are Unix seconds.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE workspaces (
  id         TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  name          TEXT NOT NULL DEFAULT '',
  workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
  prefix        TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
  admin         INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
  created_at    INTEGER NOT NULL,
  revoked_at    INTEGER
) STRICT;

CREATE TABLE bots (
  id                  TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  workspace_id        TEXT NOT NULL REFERENCES workspaces (id),
  name                TEXT NOT NULL,
  description         TEXT NOT NULL DEFAULT '',
  avatar_url          TEXT NOT NULL DEFAULT '',
  persona             TEXT NOT NULL DEFAULT '',
  model               TEXT NOT NULL DEFAULT '',
  model_params        TEXT NOT NULL DEFAULT '{}'
                      CHECK (json_valid(model_params) AND json_type(model_params) = 'object'),
  opening_message     TEXT NOT NULL DEFAULT '',
  suggested_questions TEXT NOT NULL DEFAULT '[]'
                      CHECK (json_valid(suggested_questions)
                             AND json_type(suggested_questions) = 'array'),
  variables           TEXT NOT NULL DEFAULT '[]'
                      CHECK (json_valid(variables) AND json_type(variables) = 'array'),
  knowledge_ids       TEXT NOT NULL DEFAULT '[]'
                      CHECK (json_valid(knowledge_ids) AND json_type(knowledge_ids) = 'array'),
  plugin_ids          TEXT NOT NULL DEFAULT '[]'
                      CHECK (json_valid(plugin_ids) AND json_type(plugin_ids) = 'array'),
  history_turns       INTEGER NOT NULL DEFAULT 10 CHECK (history_turns >= 0),
  follow_up           INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1)),
  inject_current_time INTEGER NOT NULL DEFAULT 0 CHECK (inject_current_time IN (0, 1)),
  guard_prompt        INTEGER NOT NULL DEFAULT 0 CHECK (guard_prompt IN (0, 1)),
  revision            INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
  latest_version      INTEGER NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;

-- Listing a workspace's bots newest first walks this index backwards.
CREATE INDEX bots_workspace_id_id ON bots (workspace_id, id);

CREATE TABLE bot_versions (
  bot_id     TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL CHECK (version >= 1),
  note       TEXT NOT NULL DEFAULT '',
  config     TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (bot_id, version)
) STRICT;
)sql";

// Knowledge bases, documents and chunks (storage/knowledge.h). A chunk's id
// is AUTOINCREMENT so that an id is never reused: it is also the chunk's id in
// the FAISS index, which may lag the table after a crash and is reconciled
// against it. The full-text index is an external-content FTS5 table over
// chunks.text with the trigram tokenizer (it works for Chinese, which has no
// spaces between words), kept in step by triggers in the same transactions.
constexpr const char* kMigration2 = R"sql(
CREATE TABLE knowledge_bases (
  id           TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  settings     TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(settings) AND json_type(settings) = 'object'),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX knowledge_bases_workspace_id_id ON knowledge_bases (workspace_id, id);

CREATE TABLE documents (
  id           TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  knowledge_id TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('upload', 'url', 'text')),
  source_url   TEXT NOT NULL DEFAULT '',
  content_type TEXT NOT NULL DEFAULT '',
  bytes        INTEGER NOT NULL CHECK (bytes >= 0),
  sha256       TEXT NOT NULL,
  status       TEXT NOT NULL
               CHECK (status IN ('queued', 'parsing', 'embedding', 'ready', 'failed')),
  error        TEXT NOT NULL DEFAULT '',
  chunks_done  INTEGER NOT NULL DEFAULT 0,
  chunks_total INTEGER NOT NULL DEFAULT 0,
  format       TEXT NOT NULL DEFAULT '',
  encoding     TEXT NOT NULL DEFAULT '',
  replaces     TEXT NOT NULL DEFAULT '',
  attempts     INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_knowledge_id_id ON documents (knowledge_id, id);
CREATE INDEX documents_knowledge_id_name ON documents (knowledge_id, name);
CREATE INDEX documents_active ON documents (status, id)
  WHERE status IN ('queued', 'parsing', 'embedding');

CREATE TABLE chunks (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  knowledge_id TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  document_id  TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  text         TEXT NOT NULL,
  parent_text  TEXT NOT NULL DEFAULT '',
  heading_path TEXT NOT NULL DEFAULT '[]'
               CHECK (json_valid(heading_path) AND json_type(heading_path) = 'array'),
  tokens       INTEGER NOT NULL,
  embedding    BLOB NOT NULL
) STRICT;
CREATE INDEX chunks_document_id ON chunks (document_id, position);
CREATE INDEX chunks_knowledge_id ON chunks (knowledge_id, id);

CREATE VIRTUAL TABLE chunks_fts USING fts5(
  text, content = 'chunks', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
)sql";

// The full-text index with Kiln's own tokenizer (storage/fulltext_tokens.h:
// CJK character bigrams, lower-cased words, plurals folded) in place of
// trigrams. A trigram index cannot find a two-character Chinese word (the
// commonest kind) except by scanning every chunk, and matches English words
// as substrings at the cost of one posting list per three letters. The
// index is rebuilt from the chunks in this migration's transaction.
// Each base also keeps its chunk count, kept by the same triggers: counting
// a 100k-chunk base's rows took 3 ms of every search.
constexpr const char* kMigration3 = R"sql(
ALTER TABLE knowledge_bases ADD COLUMN chunk_count INTEGER NOT NULL DEFAULT 0;
UPDATE knowledge_bases SET chunk_count =
  (SELECT count(*) FROM chunks c WHERE c.knowledge_id = knowledge_bases.id);
DROP TRIGGER chunks_fts_insert;
DROP TRIGGER chunks_fts_delete;
DROP TABLE chunks_fts;
CREATE VIRTUAL TABLE chunks_fts USING fts5(
  text, content = 'chunks', content_rowid = 'id', tokenize = 'kiln_cjk');
INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
  UPDATE knowledge_bases SET chunk_count = chunk_count + 1 WHERE id = new.knowledge_id;
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
  UPDATE knowledge_bases SET chunk_count = chunk_count - 1 WHERE id = old.knowledge_id;
END;
)sql";

// The agent: two more bot settings, plugins, conversations with their
// messages, and long-term memory per bot and end user. Bots made with the
// first default model name get the name the server serves it under.
constexpr const char* kMigration4 = R"sql(
ALTER TABLE bots ADD COLUMN no_hit_reply TEXT NOT NULL DEFAULT '';
ALTER TABLE bots ADD COLUMN max_tool_steps INTEGER NOT NULL DEFAULT 3
  CHECK (max_tool_steps BETWEEN 0 AND 10);
UPDATE bots SET model = 'smollm2' WHERE model = 'smollm2-135m-instruct';

CREATE TABLE plugins (
  id           TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  kind         TEXT NOT NULL CHECK (kind IN ('builtin', 'openapi', 'mcp')),
  name         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  config       TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(config) AND json_type(config) = 'object'),
  secrets      TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(secrets) AND json_type(secrets) = 'object'),
  tools        TEXT NOT NULL DEFAULT '[]'
               CHECK (json_valid(tools) AND json_type(tools) = 'array'),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (workspace_id, name)
) STRICT;
CREATE INDEX plugins_workspace_id_id ON plugins (workspace_id, id);

CREATE TABLE conversations (
  id           TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  bot_id       TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL DEFAULT '',
  source       TEXT NOT NULL DEFAULT 'api'
               CHECK (source IN ('api', 'preview', 'openai', 'channel')),
  draft        INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1)),
  title        TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX conversations_workspace_id_id ON conversations (workspace_id, id);
CREATE INDEX conversations_bot_id_id ON conversations (bot_id, id);

CREATE TABLE messages (
  id              TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq             INTEGER NOT NULL CHECK (seq >= 1),
  role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content         TEXT NOT NULL,
  trace           TEXT NOT NULL DEFAULT '{}'
                  CHECK (json_valid(trace) AND json_type(trace) = 'object'),
  created_at      INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
) STRICT;

CREATE TABLE memories (
  bot_id     TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  name       TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (bot_id, user_id, name)
) STRICT;
)sql";

// 5: chat-app channels of a bot, the platform events they took (dedup across
// restarts), and the log of their outbound replies.
constexpr const char* kMigration5 = R"sql(
CREATE TABLE channels (
  id           TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  bot_id       TEXT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,
  type         TEXT NOT NULL
               CHECK (type IN ('telegram', 'slack', 'discord', 'feishu', 'line', 'wecom', 'webhook')),
  config       TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(config) AND json_type(config) = 'object'),
  secrets      TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(secrets) AND json_type(secrets) = 'object'),
  api_base_url TEXT NOT NULL DEFAULT '',
  enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX channels_workspace_bot_id ON channels (workspace_id, bot_id, id);

CREATE TABLE channel_events (
  channel_id  TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  event_id    TEXT NOT NULL CHECK (event_id <> ''),
  received_at INTEGER NOT NULL,
  PRIMARY KEY (channel_id, event_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX channel_events_received_at ON channel_events (received_at);

CREATE TABLE channel_deliveries (
  id          INTEGER PRIMARY KEY,
  channel_id  TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  event_id    TEXT NOT NULL DEFAULT '',
  status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  http_status INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT NOT NULL DEFAULT '',
  target      TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX channel_deliveries_channel_id ON channel_deliveries (channel_id, id);
)sql";

constexpr Migration kMigrations[] = {
    {1, kMigration1},
    {2, kMigration2},
    {3, kMigration3},
    {4, kMigration4},
    {5, kMigration5},
};

Status ApplyOne(Connection& db, const Migration& migration) {
  KILN_RETURN_IF_ERROR(db.Exec(migration.sql));
  // PRAGMA takes no bound parameters; the version is our own integer.
  return db.Exec("PRAGMA user_version = " + std::to_string(migration.version));
}

}  // namespace

std::span<const Migration> KnownMigrations() { return kMigrations; }

int LatestSchemaVersion() { return KnownMigrations().back().version; }

Result<int> ReadSchemaVersion(Connection& db) {
  KILN_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("PRAGMA user_version"));
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal("PRAGMA user_version returned no row");
  return static_cast<int>(stmt.ColumnInt64(0));
}

Result<int> ApplyMigrations(Connection& db, std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    KILN_CHECK(migrations[i].version == static_cast<int>(i) + 1)
        << "migrations must be numbered 1, 2, 3, ... in order";
  }
  const int latest = static_cast<int>(migrations.size());
  while (true) {
    // The version is read under the write lock, so two processes opening the
    // same new file cannot both apply migration 1.
    KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TransactionKind::kImmediate));
    KILN_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
    if (version > latest) {
      return FailedPrecondition("database schema version " + std::to_string(version) +
                                " is newer than this kiln supports (" + std::to_string(latest) +
                                "); upgrade kiln");
    }
    if (version < 0) {
      return Corruption("database schema version " + std::to_string(version) + " is negative");
    }
    if (version == latest) {
      KILN_RETURN_IF_ERROR(txn.Commit());
      return version;
    }
    const Migration& next = migrations[static_cast<size_t>(version)];
    Status status = ApplyOne(db, next);
    if (status.ok()) status = txn.Commit();
    if (!status.ok()) {
      return status.Annotate("applying schema migration " + std::to_string(next.version));
    }
    KILN_LOG(INFO) << "storage: applied schema migration " << next.version << " to " << db.path();
  }
}

}  // namespace kiln::storage::internal
