// SqliteKeyRepository: API keys. Only the SHA-256 of a secret is stored; a
// revoked key keeps its row (revoked_at set) so its id is never reused.
#include <string>

#include "base/clock.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

Status KeyNotFound(std::string_view id) {
  return NotFound("api key " + std::string(id) + " not found");
}

bool IsLowerHex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Status InsertKey(Connection& conn, const ApiKey& key, std::string_view secret_sha256) {
  // A workspace exists from its first key on; INSERT OR IGNORE keeps the
  // original created_at when it already does.
  KILN_ASSIGN_OR_RETURN(
      Statement workspace,
      conn.Prepare("INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?1, ?2)"));
  workspace.BindText(1, key.workspace_id).BindInt64(2, key.created_at);
  KILN_RETURN_IF_ERROR(workspace.Run());

  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare("INSERT INTO api_keys (id, name, workspace_id, prefix, secret_sha256, admin, "
                   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.BindText(1, key.id)
      .BindText(2, key.name)
      .BindText(3, key.workspace_id)
      .BindText(4, key.prefix)
      .BindText(5, secret_sha256)
      .BindBool(6, key.admin)
      .BindInt64(7, key.created_at);
  return stmt.Run();
}

}  // namespace

Status SqliteKeyRepository::Create(const ApiKey& key, std::string_view secret_sha256) {
  // Lookups compare the text exactly, so an upper-case or truncated hash
  // would be a key that can never authenticate: refuse it here.
  if (secret_sha256.size() != 64 || !IsLowerHex(secret_sha256)) {
    return InvalidArgument("secret_sha256 must be 64 lower-case hex characters", "secret_sha256");
  }
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  Status status = InsertKey(*writer, key, secret_sha256);
  if (status.code() == StatusCode::kAlreadyExists) {
    // The id or, far less likely, the secret's hash is taken (the UNIQUE
    // constraint's message names the column).
    if (status.message().find("secret_sha256") != std::string::npos) {
      return AlreadyExists("an api key with this secret already exists");
    }
    return AlreadyExists("api key " + key.id + " already exists", "id");
  }
  KILN_RETURN_IF_ERROR(status.Annotate("creating api key " + key.id));
  return txn.Commit();
}

Result<ApiKey> SqliteKeyRepository::FindBySecretHash(std::string_view secret_sha256) {
  // Runs on every authenticated request: the SQL text is built once.
  static const std::string kSql = "SELECT " + std::string(kKeyColumns) +
                                  " FROM api_keys WHERE secret_sha256 = ?1 AND revoked_at IS NULL";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(kSql));
  stmt.BindText(1, secret_sha256);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  // The message never echoes the hash: it is as good as a credential in logs.
  if (!row) return NotFound("no live api key has this secret");
  return ReadKeyRow(stmt);
}

Result<ApiKey> SqliteKeyRepository::Get(std::string_view id) {
  static const std::string kSql =
      "SELECT " + std::string(kKeyColumns) + " FROM api_keys WHERE id = ?1 AND revoked_at IS NULL";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(kSql));
  stmt.BindText(1, id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return KeyNotFound(id);
  return ReadKeyRow(stmt);
}

Result<Page<ApiKey>> SqliteKeyRepository::List(const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  static const std::string kFirstPage = "SELECT " + std::string(kKeyColumns) +
                                        " FROM api_keys WHERE revoked_at IS NULL"
                                        " ORDER BY id DESC LIMIT ?2";
  static const std::string kLaterPage = "SELECT " + std::string(kKeyColumns) +
                                        " FROM api_keys WHERE revoked_at IS NULL AND id < ?1"
                                        " ORDER BY id DESC LIMIT ?2";
  const bool with_cursor = !options.cursor.empty();
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(with_cursor ? kLaterPage : kFirstPage));
  if (with_cursor) stmt.BindText(1, options.cursor);
  stmt.BindInt64(2, options.limit + 1);
  std::vector<ApiKey> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadKeyRow(stmt));
  }
  return MakePage(std::move(rows), options.limit, [](const ApiKey& key) { return key.id; });
}

Status SqliteKeyRepository::Delete(std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL "
                      "AND (admin = 0 OR (SELECT count(*) FROM api_keys "
                      "WHERE admin = 1 AND revoked_at IS NULL) > 1)"));
  stmt.BindText(1, id).BindInt64(2, UnixSeconds());
  KILN_RETURN_IF_ERROR(stmt.Run());
  if (writer->changes() > 0) return Status::OK();
  // Nothing changed: a missing key, or the last admin key (writes are serialized,
  // so the answer cannot change in between).
  KILN_ASSIGN_OR_RETURN(
      Statement probe,
      writer->Prepare("SELECT 1 FROM api_keys WHERE id = ?1 AND revoked_at IS NULL"));
  probe.BindText(1, id);
  KILN_ASSIGN_OR_RETURN(bool live, probe.Step());
  if (!live) return KeyNotFound(id);
  return FailedPrecondition("refusing to revoke the last admin key");
}

Result<int> SqliteKeyRepository::CountAdmins() {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT count(*) FROM api_keys WHERE admin = 1 AND revoked_at IS NULL"));
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal("count(*) returned no row");
  return static_cast<int>(stmt.ColumnInt64(0));
}

}  // namespace kiln::storage::internal
