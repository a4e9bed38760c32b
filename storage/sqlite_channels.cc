// SqliteChannelRepository: a bot's chat-app channels, the events they took
// and their delivery log.
#include <string>

#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

constexpr const char* kChannelColumns =
    "id, workspace_id, bot_id, type, config, secrets, api_base_url, enabled, created_at, "
    "updated_at";
constexpr const char* kDeliveryColumns =
    "id, channel_id, event_id, status, attempts, http_status, last_error, target, created_at, "
    "updated_at";

Channel ReadChannelRow(const Statement& stmt) {
  Channel c;
  c.id = stmt.ColumnString(0);
  c.workspace_id = stmt.ColumnString(1);
  c.bot_id = stmt.ColumnString(2);
  c.type = stmt.ColumnString(3);
  c.config = stmt.ColumnString(4);
  c.secrets = stmt.ColumnString(5);
  c.api_base_url = stmt.ColumnString(6);
  c.enabled = stmt.ColumnInt64(7) != 0;
  c.created_at = stmt.ColumnInt64(8);
  c.updated_at = stmt.ColumnInt64(9);
  return c;
}

ChannelDelivery ReadDeliveryRow(const Statement& stmt) {
  ChannelDelivery d;
  d.id = stmt.ColumnInt64(0);
  d.channel_id = stmt.ColumnString(1);
  d.event_id = stmt.ColumnString(2);
  d.status = stmt.ColumnString(3);
  d.attempts = static_cast<int>(stmt.ColumnInt64(4));
  d.http_status = static_cast<int>(stmt.ColumnInt64(5));
  d.last_error = stmt.ColumnString(6);
  d.target = stmt.ColumnString(7);
  d.created_at = stmt.ColumnInt64(8);
  d.updated_at = stmt.ColumnInt64(9);
  return d;
}

Status ChannelNotFound(std::string_view id) {
  return NotFound("channel " + std::string(id) + " not found");
}

// workspace_id empty: any workspace (inbound webhooks).
Result<Channel> SelectChannel(Connection& conn, std::string_view workspace_id,
                              std::string_view id) {
  std::string sql = "SELECT " + std::string(kChannelColumns) + " FROM channels WHERE id = ?1";
  if (!workspace_id.empty()) sql += " AND workspace_id = ?2";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  stmt.BindText(1, id);
  if (!workspace_id.empty()) stmt.BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return ChannelNotFound(id);
  return ReadChannelRow(stmt);
}

}  // namespace

Status SqliteChannelRepository::Create(const Channel& c) {
  auto writer = db_->LockWriter();
  // Only for a bot of the same workspace.
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("INSERT INTO channels (" + std::string(kChannelColumns) +
                      ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS "
                      "(SELECT 1 FROM bots WHERE id = ?3 AND workspace_id = ?2)"));
  stmt.BindText(1, c.id)
      .BindText(2, c.workspace_id)
      .BindText(3, c.bot_id)
      .BindText(4, c.type)
      .BindText(5, c.config)
      .BindText(6, c.secrets)
      .BindText(7, c.api_base_url)
      .BindInt64(8, c.enabled ? 1 : 0)
      .BindInt64(9, c.created_at)
      .BindInt64(10, c.updated_at);
  KILN_RETURN_IF_ERROR(stmt.Run().Annotate("creating channel " + c.id));
  if (writer->changes() == 0) return NotFound("bot " + c.bot_id + " not found");
  return Status::OK();
}

Result<Channel> SqliteChannelRepository::Get(std::string_view workspace_id, std::string_view id) {
  if (workspace_id.empty()) return ChannelNotFound(id);
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectChannel(*reader, workspace_id, id);
}

Result<Channel> SqliteChannelRepository::Find(std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectChannel(*reader, "", id);
}

Result<Page<Channel>> SqliteChannelRepository::ListForBot(std::string_view workspace_id,
                                                          std::string_view bot_id,
                                                          const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  std::string sql = "SELECT " + std::string(kChannelColumns) +
                    " FROM channels WHERE workspace_id = ?1 AND bot_id = ?2";
  if (!options.cursor.empty()) sql += " AND id < ?3";
  sql += " ORDER BY id DESC LIMIT ?4";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, workspace_id).BindText(2, bot_id).BindInt64(4, options.limit + 1);
  if (!options.cursor.empty()) stmt.BindText(3, options.cursor);
  std::vector<Channel> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadChannelRow(stmt));
  }
  return MakePage(std::move(rows), options.limit, [](const Channel& c) { return c.id; });
}

Result<Channel> SqliteChannelRepository::Modify(std::string_view workspace_id, std::string_view id,
                                                const std::function<Status(Channel&)>& mutate) {
  if (workspace_id.empty()) return ChannelNotFound(id);
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Channel c, SelectChannel(*writer, workspace_id, id));
  KILN_RETURN_IF_ERROR(mutate(c));
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE channels SET config = ?3, secrets = ?4, api_base_url = ?5, "
                      "enabled = ?6, updated_at = ?7 WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id)
      .BindText(2, workspace_id)
      .BindText(3, c.config)
      .BindText(4, c.secrets)
      .BindText(5, c.api_base_url)
      .BindInt64(6, c.enabled ? 1 : 0)
      .BindInt64(7, c.updated_at);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return c;
}

Status SqliteChannelRepository::Delete(std::string_view workspace_id, std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt, writer->Prepare("DELETE FROM channels WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? ChannelNotFound(id) : Status::OK();
}

Result<bool> SqliteChannelRepository::RecordEvent(std::string_view channel_id,
                                                  std::string_view event_id, int64_t now) {
  if (event_id.empty()) return InvalidArgument("an event id is needed to drop retries");
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("INSERT INTO channel_events (channel_id, event_id, received_at) "
                      "VALUES (?1, ?2, ?3) ON CONFLICT (channel_id, event_id) DO NOTHING"));
  stmt.BindText(1, channel_id).BindText(2, event_id).BindInt64(3, now);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kFailedPrecondition) return ChannelNotFound(channel_id);
  KILN_RETURN_IF_ERROR(status);
  return writer->changes() == 1;
}

Status SqliteChannelRepository::ForgetEvent(std::string_view channel_id,
                                            std::string_view event_id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("DELETE FROM channel_events WHERE channel_id = ?1 AND event_id = ?2"));
  stmt.BindText(1, channel_id).BindText(2, event_id);
  return stmt.Run();
}

Result<int64_t> SqliteChannelRepository::PruneEvents(int64_t before) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        writer->Prepare("DELETE FROM channel_events WHERE received_at < ?1"));
  stmt.BindInt64(1, before);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes();
}

Result<int64_t> SqliteChannelRepository::AddDelivery(const ChannelDelivery& d) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("INSERT INTO channel_deliveries (channel_id, event_id, status, attempts, "
                      "http_status, last_error, target, created_at, updated_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.BindText(1, d.channel_id)
      .BindText(2, d.event_id)
      .BindText(3, d.status)
      .BindInt64(4, d.attempts)
      .BindInt64(5, d.http_status)
      .BindText(6, d.last_error)
      .BindText(7, d.target)
      .BindInt64(8, d.created_at)
      .BindInt64(9, d.updated_at);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kFailedPrecondition) return ChannelNotFound(d.channel_id);
  KILN_RETURN_IF_ERROR(status);
  return writer->last_insert_rowid();
}

Status SqliteChannelRepository::UpdateDelivery(const ChannelDelivery& d) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE channel_deliveries SET status = ?2, attempts = ?3, "
                      "http_status = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1"));
  stmt.BindInt64(1, d.id)
      .BindText(2, d.status)
      .BindInt64(3, d.attempts)
      .BindInt64(4, d.http_status)
      .BindText(5, d.last_error)
      .BindInt64(6, d.updated_at);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? NotFound("delivery " + std::to_string(d.id) + " not found")
                                : Status::OK();
}

Result<Page<ChannelDelivery>> SqliteChannelRepository::ListDeliveries(std::string_view channel_id,
                                                                      const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  int64_t before = 0;
  if (!options.cursor.empty()) {
    const std::string& cursor = options.cursor;
    if (cursor.size() > 18 || cursor.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("cursor is not one this list gave", "cursor");
    }
    before = std::stoll(cursor);
  }
  std::string sql =
      "SELECT " + std::string(kDeliveryColumns) + " FROM channel_deliveries WHERE channel_id = ?1";
  if (before > 0) sql += " AND id < ?2";
  sql += " ORDER BY id DESC LIMIT ?3";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, channel_id).BindInt64(3, options.limit + 1);
  if (before > 0) stmt.BindInt64(2, before);
  std::vector<ChannelDelivery> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadDeliveryRow(stmt));
  }
  return MakePage(std::move(rows), options.limit,
                  [](const ChannelDelivery& d) { return std::to_string(d.id); });
}

}  // namespace kiln::storage::internal
