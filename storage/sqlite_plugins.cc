// SqlitePluginRepository: the plugins registered in each workspace.
#include <string>

#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

constexpr const char* kPluginColumns =
    "id, workspace_id, kind, name, description, config, secrets, tools, created_at, updated_at";

Plugin ReadPluginRow(const Statement& stmt) {
  Plugin p;
  p.id = stmt.ColumnString(0);
  p.workspace_id = stmt.ColumnString(1);
  p.kind = stmt.ColumnString(2);
  p.name = stmt.ColumnString(3);
  p.description = stmt.ColumnString(4);
  p.config = stmt.ColumnString(5);
  p.secrets = stmt.ColumnString(6);
  p.tools = stmt.ColumnString(7);
  p.created_at = stmt.ColumnInt64(8);
  p.updated_at = stmt.ColumnInt64(9);
  return p;
}

Status PluginNotFound(std::string_view id) {
  return NotFound("plugin " + std::string(id) + " not found");
}

Status NameTaken(const Plugin& p) {
  return AlreadyExists("the workspace already has a plugin called '" + p.name + "'", "name");
}

Result<Plugin> SelectPlugin(Connection& conn, std::string_view workspace_id, std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        conn.Prepare("SELECT " + std::string(kPluginColumns) +
                                     " FROM plugins WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return PluginNotFound(id);
  return ReadPluginRow(stmt);
}

}  // namespace

Status SqlitePluginRepository::Create(const Plugin& p) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        writer->Prepare("INSERT INTO plugins (" + std::string(kPluginColumns) +
                                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  stmt.BindText(1, p.id)
      .BindText(2, p.workspace_id)
      .BindText(3, p.kind)
      .BindText(4, p.name)
      .BindText(5, p.description)
      .BindText(6, p.config)
      .BindText(7, p.secrets)
      .BindText(8, p.tools)
      .BindInt64(9, p.created_at)
      .BindInt64(10, p.updated_at);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kAlreadyExists) return NameTaken(p);
  if (status.code() == StatusCode::kFailedPrecondition) {
    return FailedPrecondition("workspace " + p.workspace_id + " does not exist");
  }
  return status.Annotate("creating plugin " + p.id);
}

Result<Plugin> SqlitePluginRepository::Get(std::string_view workspace_id, std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectPlugin(*reader, workspace_id, id);
}

Result<Page<Plugin>> SqlitePluginRepository::List(std::string_view workspace_id,
                                                  const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  std::string sql =
      "SELECT " + std::string(kPluginColumns) + " FROM plugins WHERE workspace_id = ?1";
  if (!options.cursor.empty()) sql += " AND id < ?2";
  sql += " ORDER BY id DESC LIMIT ?3";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, workspace_id).BindInt64(3, options.limit + 1);
  if (!options.cursor.empty()) stmt.BindText(2, options.cursor);
  std::vector<Plugin> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadPluginRow(stmt));
  }
  return MakePage(std::move(rows), options.limit, [](const Plugin& p) { return p.id; });
}

Result<Plugin> SqlitePluginRepository::Modify(std::string_view workspace_id, std::string_view id,
                                              const std::function<Status(Plugin&)>& mutate) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Plugin p, SelectPlugin(*writer, workspace_id, id));
  KILN_RETURN_IF_ERROR(mutate(p));
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE plugins SET name = ?3, description = ?4, config = ?5, secrets = ?6, "
                      "tools = ?7, updated_at = ?8 WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id)
      .BindText(2, workspace_id)
      .BindText(3, p.name)
      .BindText(4, p.description)
      .BindText(5, p.config)
      .BindText(6, p.secrets)
      .BindText(7, p.tools)
      .BindInt64(8, p.updated_at);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kAlreadyExists) return NameTaken(p);
  KILN_RETURN_IF_ERROR(status);
  return p;
}

Status SqlitePluginRepository::Delete(std::string_view workspace_id, std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        writer->Prepare("DELETE FROM plugins WHERE id = ?1 AND workspace_id = ?2"));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? PluginNotFound(id) : Status::OK();
}

}  // namespace kiln::storage::internal
