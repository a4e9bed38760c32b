// SqliteBotRepository: published versions, frozen JSON snapshots of a draft.
#include <charconv>
#include <string>

#include "storage/bot_json.h"
#include "storage/internal/bot_json_parts.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

// A version cursor is the last version number of the previous page.
Result<int> ParseVersionCursor(const std::string& cursor) {
  int version = 0;
  const char* end = cursor.data() + cursor.size();
  auto [ptr, ec] = std::from_chars(cursor.data(), end, version);
  if (ec != std::errc() || ptr != end || version < 1) {
    return InvalidArgument("cursor is not one this list returned", "cursor");
  }
  return version;
}

Status InsertVersion(Connection& conn, const BotVersion& version) {
  static const std::string kSql =
      "INSERT INTO bot_versions (" + std::string(kVersionColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5)";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSql));
  stmt.BindText(1, version.bot_id)
      .BindInt64(2, version.version)
      .BindText(3, version.note)
      .BindText(4, DumpJson(BotConfigToJson(version.config)))
      .BindInt64(5, version.created_at);
  return stmt.Run();
}

Status SetLatestVersion(Connection& conn, std::string_view id, int version) {
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("UPDATE bots SET latest_version = ?2 WHERE id = ?1"));
  stmt.BindText(1, id).BindInt64(2, version);
  return stmt.Run();
}

Result<std::vector<BotVersion>> SelectVersions(Connection& conn, std::string_view id, int before,
                                               int limit) {
  static const std::string kFirstPage = "SELECT " + std::string(kVersionColumns) +
                                        " FROM bot_versions WHERE bot_id = ?1"
                                        " ORDER BY version DESC LIMIT ?3";
  static const std::string kLaterPage = "SELECT " + std::string(kVersionColumns) +
                                        " FROM bot_versions WHERE bot_id = ?1 AND version < ?2"
                                        " ORDER BY version DESC LIMIT ?3";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(before > 0 ? kLaterPage : kFirstPage));
  stmt.BindText(1, id).BindInt64(3, limit);
  if (before > 0) stmt.BindInt64(2, before);
  std::vector<BotVersion> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    KILN_ASSIGN_OR_RETURN(BotVersion version, ReadVersionRow(stmt));
    rows.push_back(std::move(version));
  }
  return rows;
}

}  // namespace

Result<BotVersion> SqliteBotRepository::Publish(std::string_view workspace_id, std::string_view id,
                                                std::string_view note, int64_t now) {
  auto writer = db_->LockWriter();
  // Read, insert and bump in one transaction: a crash between the insert and
  // the bump would otherwise leave latest_version behind its versions.
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_ASSIGN_OR_RETURN(Bot bot, SelectBot(*writer, workspace_id, id));
  BotVersion version;
  version.bot_id = bot.id;
  version.version = bot.latest_version + 1;
  version.note = std::string(note);
  version.config = std::move(bot.config);
  version.created_at = now;
  KILN_RETURN_IF_ERROR(InsertVersion(*writer, version));
  KILN_RETURN_IF_ERROR(SetLatestVersion(*writer, id, version.version));
  KILN_RETURN_IF_ERROR(txn.Commit());
  return version;
}

Result<Page<BotVersion>> SqliteBotRepository::ListVersions(std::string_view workspace_id,
                                                           std::string_view id,
                                                           const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  int before = 0;
  if (!options.cursor.empty()) {
    KILN_ASSIGN_OR_RETURN(before, ParseVersionCursor(options.cursor));
  }
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  // One snapshot for the existence check and the page, so a bot deleted in
  // between reads as NotFound rather than as an empty list.
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*reader, TransactionKind::kDeferred));
  KILN_RETURN_IF_ERROR(CheckBotExists(*reader, workspace_id, id));
  KILN_ASSIGN_OR_RETURN(std::vector<BotVersion> rows,
                        SelectVersions(*reader, id, before, options.limit + 1));
  KILN_RETURN_IF_ERROR(txn.Commit());
  return MakePage(std::move(rows), options.limit,
                  [](const BotVersion& v) { return std::to_string(v.version); });
}

Result<BotVersion> SqliteBotRepository::GetVersion(std::string_view workspace_id,
                                                   std::string_view id, int version) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  // The join on bots is what scopes a version to its workspace.
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT v.bot_id, v.version, v.note, v.config, v.created_at "
                      "FROM bot_versions v JOIN bots b ON b.id = v.bot_id "
                      "WHERE v.bot_id = ?1 AND b.workspace_id = ?2 AND v.version = ?3"));
  stmt.BindText(1, id).BindText(2, workspace_id).BindInt64(3, version);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound("bot " + std::string(id) + " has no version " + std::to_string(version));
  }
  return ReadVersionRow(stmt);
}

}  // namespace kiln::storage::internal
