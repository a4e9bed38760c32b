// SqliteBotRepository: the bots themselves (drafts). Published versions are in
// sqlite_bot_versions.cc.
#include <array>
#include <string>

#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

// Parameters: ?1 id, ?2 workspace_id, ?3..?17 config, ?18 revision,
// ?19 latest_version, ?20 created_at, ?21 updated_at, ?22..?23 the config's
// tail (BindBotConfigTail).
const std::string& InsertSql() {
  static const std::string sql = [] {
    std::string text = "INSERT INTO bots (" + std::string(kBotColumns) + ") VALUES (?1";
    for (int i = 2; i <= 23; ++i) text += ", ?" + std::to_string(i);
    return text + ")";
  }();
  return sql;
}

// Parameters: ?1 id, ?2 workspace_id, ?3..?17 config (BindBotConfig's
// order), ?18 updated_at, ?19 the revision the caller read, ?20..?21 the
// config's tail. RETURNING hands
// back the stored row, saving a second query on the common path.
const std::string& UpdateSql() {
  static const std::string sql =
      "UPDATE bots SET name = ?3, description = ?4, avatar_url = ?5, persona = ?6, model = ?7, "
      "model_params = ?8, opening_message = ?9, suggested_questions = ?10, variables = ?11, "
      "knowledge_ids = ?12, plugin_ids = ?13, history_turns = ?14, follow_up = ?15, "
      "inject_current_time = ?16, guard_prompt = ?17, updated_at = ?18, no_hit_reply = ?20, "
      "max_tool_steps = ?21, "
      "revision = revision + 1 "
      "WHERE id = ?1 AND workspace_id = ?2 AND revision = ?19 RETURNING " +
      std::string(kBotColumns);
  return sql;
}

// Parameters: ?1 workspace_id, ?2 cursor (an id), ?3 name query, ?4 row limit.
// One SQL text per combination rather than "(?2 = '' OR id < ?2)": SQLite
// plans before binding, and only a plain "id < ?2" lets it start the index
// walk at the cursor instead of scanning from the newest bot.
const std::string& ListSql(bool with_cursor, bool with_query) {
  static const std::array<std::string, 4> sql = [] {
    std::array<std::string, 4> texts;
    for (int i = 0; i < 4; ++i) {
      std::string& text = texts[static_cast<size_t>(i)];
      text = "SELECT " + std::string(kBotColumns) + " FROM bots WHERE workspace_id = ?1";
      if (i & 1) text += " AND id < ?2";
      // lower() folds ASCII only, which is the contract (store.h); instr()
      // needs no escaping of % and _ as LIKE would.
      if (i & 2) text += " AND instr(lower(name), lower(?3)) > 0";
      text += " ORDER BY id DESC LIMIT ?4";
    }
    return texts;
  }();
  return sql[(with_cursor ? 1 : 0) | (with_query ? 2 : 0)];
}

}  // namespace

Status SqliteBotRepository::Create(const Bot& bot) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Statement stmt, writer->Prepare(InsertSql()));
  stmt.BindText(1, bot.id).BindText(2, bot.workspace_id);
  BindBotConfig(stmt, 3, bot.config);
  stmt.BindInt64(18, 1)
      .BindInt64(19, 0)
      .BindInt64(20, bot.created_at)
      .BindInt64(21, bot.updated_at);
  BindBotConfigTail(stmt, 22, bot.config);
  Status status = stmt.Run();
  switch (status.code()) {
    case StatusCode::kAlreadyExists:
      return AlreadyExists("bot " + bot.id + " already exists", "id");
    case StatusCode::kFailedPrecondition:  // the only foreign key is the workspace
      return FailedPrecondition("workspace " + bot.workspace_id + " does not exist");
    default:
      return status.Annotate("creating bot " + bot.id);
  }
}

Result<Bot> SqliteBotRepository::Get(std::string_view workspace_id, std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectBot(*reader, workspace_id, id);
}

Result<Page<Bot>> SqliteBotRepository::List(std::string_view workspace_id,
                                            const ListOptions& options,
                                            std::string_view name_query) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  const bool with_cursor = !options.cursor.empty();
  const bool with_query = !name_query.empty();
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(ListSql(with_cursor, with_query)));
  stmt.BindText(1, workspace_id).BindInt64(4, options.limit + 1);
  if (with_cursor) stmt.BindText(2, options.cursor);
  if (with_query) stmt.BindText(3, name_query);
  std::vector<Bot> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    KILN_ASSIGN_OR_RETURN(Bot bot, ReadBotRow(stmt));
    rows.push_back(std::move(bot));
  }
  return MakePage(std::move(rows), options.limit, [](const Bot& bot) { return bot.id; });
}

Result<Bot> SqliteBotRepository::Update(const Bot& bot) {
  auto writer = db_->LockWriter();
  return UpdateLocked(*writer, bot);
}

Result<Bot> SqliteBotRepository::Modify(std::string_view workspace_id, std::string_view id,
                                        const std::function<Status(Bot&)>& mutate) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Bot bot, SelectBot(*writer, workspace_id, id));
  KILN_RETURN_IF_ERROR(mutate(bot));
  // The writer is held, so the revision just read is still the stored one.
  return UpdateLocked(*writer, bot);
}

Result<Bot> SqliteBotRepository::UpdateLocked(Connection& writer, const Bot& bot) {
  {
    KILN_ASSIGN_OR_RETURN(Statement stmt, writer.Prepare(UpdateSql()));
    stmt.BindText(1, bot.id).BindText(2, bot.workspace_id);
    BindBotConfig(stmt, 3, bot.config);
    stmt.BindInt64(18, bot.updated_at).BindInt64(19, bot.revision);
    BindBotConfigTail(stmt, 20, bot.config);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      Result<Bot> stored = ReadBotRow(stmt);
      KILN_RETURN_IF_ERROR(stmt.Run());  // run to the end so the write completes
      return stored;
    }
  }
  // Nothing matched: tell a stale revision (409, reload and retry) from a
  // missing bot (404). Writes are serialized, so nothing changes in between.
  KILN_ASSIGN_OR_RETURN(Statement probe,
                        writer.Prepare("SELECT revision FROM bots WHERE id = ?1 AND "
                                       "workspace_id = ?2"));
  probe.BindText(1, bot.id).BindText(2, bot.workspace_id);
  KILN_ASSIGN_OR_RETURN(bool exists, probe.Step());
  if (!exists) return BotNotFound(bot.id);
  return FailedPrecondition("bot " + bot.id + " was changed by someone else (expected revision " +
                            std::to_string(bot.revision) + ", stored revision is " +
                            std::to_string(probe.ColumnInt64(0)) + "); reload it and retry");
}

Status SqliteBotRepository::Delete(std::string_view workspace_id, std::string_view id) {
  auto writer = db_->LockWriter();
  // One statement, so one transaction: bot_versions rows go with it through
  // ON DELETE CASCADE (foreign_keys is on for the writer).
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        writer->Prepare("DELETE FROM bots WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  // changes() counts the bots row only, never the cascaded versions.
  return writer->changes() == 0 ? BotNotFound(id) : Status::OK();
}

}  // namespace kiln::storage::internal
