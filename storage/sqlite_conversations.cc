// SqliteConversationRepository and SqliteMemoryRepository: conversations,
// their messages (written a turn at a time), and long-term memory.
#include <string>

#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

constexpr const char* kConversationSelect =
    "SELECT c.id, c.workspace_id, c.bot_id, c.user_id, c.source, c.draft, c.title, "
    "c.created_at, c.updated_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) "
    "FROM conversations c ";

Conversation ReadConversationRow(const Statement& stmt) {
  Conversation c;
  c.id = stmt.ColumnString(0);
  c.workspace_id = stmt.ColumnString(1);
  c.bot_id = stmt.ColumnString(2);
  c.user_id = stmt.ColumnString(3);
  c.source = stmt.ColumnString(4);
  c.draft = stmt.ColumnInt64(5) != 0;
  c.title = stmt.ColumnString(6);
  c.created_at = stmt.ColumnInt64(7);
  c.updated_at = stmt.ColumnInt64(8);
  c.message_count = stmt.ColumnInt64(9);
  return c;
}

Message ReadMessageRow(const Statement& stmt) {
  Message m;
  m.id = stmt.ColumnString(0);
  m.conversation_id = stmt.ColumnString(1);
  m.seq = stmt.ColumnInt64(2);
  m.role = stmt.ColumnString(3);
  m.content = stmt.ColumnString(4);
  m.trace = stmt.ColumnString(5);
  m.created_at = stmt.ColumnInt64(6);
  return m;
}

constexpr const char* kMessageColumns =
    "id, conversation_id, seq, role, content, trace, created_at";

Status ConversationNotFound(std::string_view id) {
  return NotFound("conversation " + std::string(id) + " not found");
}

// A title from the first message: its first line, at most 60 characters.
std::string TitleOf(std::string_view text) {
  std::string title;
  size_t chars = 0;
  for (size_t i = 0; i < text.size() && chars < 60; ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') break;
    title += c;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  }
  // Finish a character cut by the limit (continuation bytes follow the lead).
  size_t i = title.size();
  while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) {
    title += text[i++];
  }
  return title;
}

}  // namespace

Status SqliteConversationRepository::Create(const Conversation& c) {
  auto writer = db_->LockWriter();
  KILN_RETURN_IF_ERROR(CheckBotExists(*writer, c.workspace_id, c.bot_id));
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare(
          "INSERT INTO conversations (id, workspace_id, bot_id, user_id, source, draft, "
          "title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.BindText(1, c.id)
      .BindText(2, c.workspace_id)
      .BindText(3, c.bot_id)
      .BindText(4, c.user_id)
      .BindText(5, c.source)
      .BindBool(6, c.draft)
      .BindText(7, c.title)
      .BindInt64(8, c.created_at)
      .BindInt64(9, c.updated_at);
  return stmt.Run().Annotate("creating conversation " + c.id);
}

Result<Conversation> SqliteConversationRepository::Get(std::string_view workspace_id,
                                                       std::string_view id) {
  static const std::string sql =
      std::string(kConversationSelect) + "WHERE c.id = ?1 AND c.workspace_id = ?2";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return ConversationNotFound(id);
  return ReadConversationRow(stmt);
}

Result<Page<Conversation>> SqliteConversationRepository::List(std::string_view workspace_id,
                                                              std::string_view bot_id,
                                                              std::string_view user_id,
                                                              const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  std::string sql = std::string(kConversationSelect) + "WHERE c.workspace_id = ?1";
  if (!bot_id.empty()) sql += " AND c.bot_id = ?2";
  if (!user_id.empty()) sql += " AND c.user_id = ?3";
  if (!options.cursor.empty()) sql += " AND c.id < ?4";
  sql += " ORDER BY c.id DESC LIMIT ?5";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, workspace_id).BindInt64(5, options.limit + 1);
  if (!bot_id.empty()) stmt.BindText(2, bot_id);
  if (!user_id.empty()) stmt.BindText(3, user_id);
  if (!options.cursor.empty()) stmt.BindText(4, options.cursor);
  std::vector<Conversation> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadConversationRow(stmt));
  }
  return MakePage(std::move(rows), options.limit, [](const Conversation& c) { return c.id; });
}

Status SqliteConversationRepository::Delete(std::string_view workspace_id, std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("DELETE FROM conversations WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? ConversationNotFound(id) : Status::OK();
}

Status SqliteConversationRepository::AppendMessages(std::string_view workspace_id,
                                                    std::string_view conversation_id,
                                                    std::vector<Message>& messages, int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  std::string title;
  {
    KILN_ASSIGN_OR_RETURN(Statement stmt,
                          writer->Prepare("SELECT title FROM conversations WHERE id = ?1 AND "
                                          "workspace_id = ?2"));
    stmt.BindText(1, conversation_id).BindText(2, workspace_id);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return ConversationNotFound(conversation_id);
    title = stmt.ColumnString(0);
  }
  int64_t seq = 0;
  {
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        writer->Prepare("SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = ?1"));
    stmt.BindText(1, conversation_id);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) seq = stmt.ColumnInt64(0);
  }
  KILN_ASSIGN_OR_RETURN(Statement insert,
                        writer->Prepare("INSERT INTO messages (" + std::string(kMessageColumns) +
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  for (Message& m : messages) {
    m.conversation_id = std::string(conversation_id);
    m.seq = ++seq;
    if (m.created_at == 0) m.created_at = now;
    if (title.empty() && m.role == "user") title = TitleOf(m.content);
    insert.Reset();
    insert.BindText(1, m.id)
        .BindText(2, m.conversation_id)
        .BindInt64(3, m.seq)
        .BindText(4, m.role)
        .BindText(5, m.content)
        .BindText(6, m.trace)
        .BindInt64(7, m.created_at);
    KILN_RETURN_IF_ERROR(insert.Run().Annotate("storing message " + m.id));
  }
  {
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        writer->Prepare("UPDATE conversations SET updated_at = ?2, title = ?3 WHERE id = ?1"));
    stmt.BindText(1, conversation_id).BindInt64(2, now).BindText(3, title);
    KILN_RETURN_IF_ERROR(stmt.Run());
  }
  return txn.Commit();
}

Result<Page<Message>> SqliteConversationRepository::ListMessages(std::string_view workspace_id,
                                                                 std::string_view conversation_id,
                                                                 const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  int64_t after = 0;
  if (!options.cursor.empty()) {
    for (char c : options.cursor) {
      if (c < '0' || c > '9' || options.cursor.size() > 18) {
        return InvalidArgument("cursor is not one this API returned", "cursor");
      }
    }
    after = std::stoll(options.cursor);
  }
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  {
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        reader->Prepare("SELECT 1 FROM conversations WHERE id = ?1 AND workspace_id = ?2"));
    stmt.BindText(1, conversation_id).BindText(2, workspace_id);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return ConversationNotFound(conversation_id);
  }
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        reader->Prepare("SELECT " + std::string(kMessageColumns) +
                                        " FROM messages WHERE conversation_id = ?1 AND seq > ?2 "
                                        "ORDER BY seq LIMIT ?3"));
  stmt.BindText(1, conversation_id).BindInt64(2, after).BindInt64(3, options.limit + 1);
  std::vector<Message> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadMessageRow(stmt));
  }
  return MakePage(std::move(rows), options.limit,
                  [](const Message& m) { return std::to_string(m.seq); });
}

Result<std::vector<Message>> SqliteConversationRepository::RecentMessages(
    std::string_view conversation_id, int n) {
  std::vector<Message> out;
  if (n <= 0) return out;
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        reader->Prepare("SELECT " + std::string(kMessageColumns) +
                                        " FROM (SELECT * FROM messages WHERE conversation_id = ?1 "
                                        "ORDER BY seq DESC LIMIT ?2) ORDER BY seq"));
  stmt.BindText(1, conversation_id).BindInt64(2, n);
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadMessageRow(stmt));
  }
  return out;
}

// ---- memory ----

Result<std::map<std::string, std::string>> SqliteMemoryRepository::Get(std::string_view bot_id,
                                                                       std::string_view user_id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT name, value FROM memories WHERE bot_id = ?1 AND user_id = ?2"));
  stmt.BindText(1, bot_id).BindText(2, user_id);
  std::map<std::string, std::string> out;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out[stmt.ColumnString(0)] = stmt.ColumnString(1);
  }
  return out;
}

Status SqliteMemoryRepository::Set(std::string_view bot_id, std::string_view user_id,
                                   std::string_view name, std::string_view value, int64_t now,
                                   int max_entries) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  {
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        writer->Prepare("SELECT count(*), sum(name = ?3) FROM memories WHERE bot_id = ?1 AND "
                        "user_id = ?2"));
    stmt.BindText(1, bot_id).BindText(2, user_id).BindText(3, name);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row && stmt.ColumnInt64(1) == 0 && stmt.ColumnInt64(0) >= max_entries) {
      return ResourceExhausted("this user already has " + std::to_string(max_entries) +
                               " remembered values");
    }
  }
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("INSERT INTO memories (bot_id, user_id, name, value, updated_at) VALUES "
                      "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (bot_id, user_id, name) DO UPDATE SET "
                      "value = excluded.value, updated_at = excluded.updated_at"));
  stmt.BindText(1, bot_id)
      .BindText(2, user_id)
      .BindText(3, name)
      .BindText(4, value)
      .BindInt64(5, now);
  Status s = stmt.Run();
  if (s.code() == StatusCode::kFailedPrecondition) {
    return NotFound("bot " + std::string(bot_id) + " not found");
  }
  KILN_RETURN_IF_ERROR(s);
  return txn.Commit();
}

Status SqliteMemoryRepository::Erase(std::string_view bot_id, std::string_view user_id,
                                     std::string_view name) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("DELETE FROM memories WHERE bot_id = ?1 AND user_id = ?2 AND name = ?3"));
  stmt.BindText(1, bot_id).BindText(2, user_id).BindText(3, name);
  return stmt.Run();
}

}  // namespace kiln::storage::internal
