#include "storage/internal/sqlite_db.h"

#include <sqlite3.h>

#include "base/log.h"
#include "storage/internal/migrations.h"

namespace kiln::storage::internal {
namespace {

// Runs a PRAGMA that answers with one text row and returns that row.
Result<std::string> PragmaText(Connection& conn, std::string_view sql) {
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal(std::string(sql) + " returned no row");
  return stmt.ColumnString(0);
}

Status ConfigureWriter(Connection& conn, const SqliteOptions& options) {
  KILN_RETURN_IF_ERROR(conn.SetBusyTimeout(options.busy_timeout_ms));
  // The first statement to read the file: a non-database file fails here
  // (NOTADB -> Corruption), before anything is written to it.
  KILN_ASSIGN_OR_RETURN(std::string mode, PragmaText(conn, "PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return FailedPrecondition("could not enable WAL journal mode (got \"" + mode + "\")");
  }
  KILN_RETURN_IF_ERROR(
      conn.Exec(options.sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  // Off by default in SQLite, per connection; the cascade from bots to
  // bot_versions depends on it.
  KILN_RETURN_IF_ERROR(conn.Exec("PRAGMA foreign_keys = ON"));
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const SqliteOptions& options) {
  std::unique_ptr<Database> db(new Database(options));
  KILN_ASSIGN_OR_RETURN(db->writer_,
                        Connection::Open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  KILN_RETURN_IF_ERROR(ConfigureWriter(*db->writer_, options));
  KILN_ASSIGN_OR_RETURN(db->schema_version_, ApplyMigrations(*db->writer_, KnownMigrations()));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, db->OpenReader());
  db->ReleaseReader(std::move(reader));
  return db;
}

Database::~Database() {
  // Readers first: the last connection to close checkpoints the WAL into the
  // main file, and that should be the writer.
  std::lock_guard<std::mutex> lock(readers_mu_);
  idle_readers_.clear();
}

Result<std::unique_ptr<Connection>> Database::OpenReader() const {
  // No CREATE: the writer made the file; a reader must not make an empty one.
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                        Connection::Open(options_.path, SQLITE_OPEN_READWRITE));
  KILN_RETURN_IF_ERROR(conn->SetBusyTimeout(options_.busy_timeout_ms));
  // query_only rather than SQLITE_OPEN_READONLY: read-only connections to a
  // WAL database have extra rules around the -shm file that we do not need.
  KILN_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = ON"));
  return conn;
}

Result<Database::ReaderLease> Database::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(conn));
    }
  }
  // Opening takes a few hundred microseconds; do it outside the lock.
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, OpenReader());
  return ReaderLease(this, std::move(conn));
}

void Database::ReleaseReader(std::unique_ptr<Connection> conn) {
  if (!conn->autocommit()) {
    // A transaction left open would pin an old snapshot for the next user.
    KILN_LOG(WARNING) << "storage: reader returned inside a transaction; rolling back";
    if (!conn->Exec("ROLLBACK").ok()) return;  // drop the connection instead
  }
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(conn));
}

size_t Database::idle_readers() const {
  std::lock_guard<std::mutex> lock(readers_mu_);
  return idle_readers_.size();
}

Database::ReaderLease::~ReaderLease() {
  if (conn_ != nullptr) db_->ReleaseReader(std::move(conn_));
}

}  // namespace kiln::storage::internal
