#include "storage/internal/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "base/log.h"
#include "storage/internal/fts_tokenizer.h"

namespace kiln::storage::internal {
namespace {

// Error messages name the statement, cut short: enough to find it in the code.
std::string SqlSnippet(std::string_view sql) {
  constexpr size_t kMax = 60;
  if (sql.size() <= kMax) return std::string(sql);
  return std::string(sql.substr(0, kMax)) + "...";
}

// Process-wide settings, applied once before SQLite initializes (later calls
// are refused with SQLITE_MISUSE, which is harmless: then someone else set
// SQLite up first and keeps their settings).
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    // Memory statistics take one global mutex on every SQLite malloc and
    // free, which concurrent readers then queue on (about 10% of lookup
    // throughput with two threads). Nothing here reads the statistics.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Status SqliteError(int rc, sqlite3* db, std::string_view context) {
  // sqlite3_errmsg describes the connection's latest failure; without a
  // connection (or when it has moved on) fall back to the code's own text.
  std::string detail =
      db != nullptr && sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = "sqlite: " + detail;
  if (!context.empty()) message = std::string(context) + ": " + message;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return AlreadyExists(std::move(message));
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return FailedPrecondition(std::move(message));
      return InvalidArgument(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(std::move(message));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return Unavailable(std::move(message));
    case SQLITE_NOMEM:
      return ResourceExhausted(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

// --- Statement ---------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    in_use_ = std::exchange(other.in_use_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (in_use_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  in_use_ = nullptr;
}

void Statement::NoteBind(int rc, int index) {
  if (rc == SQLITE_OK || !bind_error_.ok()) return;
  bind_error_ = SqliteError(
      rc, db_,
      "binding parameter " + std::to_string(index) + " of " + SqlSnippet(sqlite3_sql(stmt_)));
}

Statement& Statement::BindText(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies, so callers may bind temporaries.
  NoteBind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT),
           index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, db_, SqlSnippet(sqlite3_sql(stmt_)));
}

Status Statement::Run() {
  KILN_ASSIGN_OR_RETURN(bool row, Step());
  // Rows, if any, are drained: a write with RETURNING completes only when its
  // statement runs to the end.
  while (row) {
    KILN_ASSIGN_OR_RETURN(row, Step());
  }
  return Status::OK();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::OK();
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string_view Statement::ColumnBlob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return data == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(data), n);
}

std::string_view Statement::ColumnText(int col) const {
  // Text first, then its length: the documented order that avoids a conversion.
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

// --- Connection --------------------------------------------------------------

void Connection::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteError(rc, db, "opening " + path);
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  // The knowledge full-text table's tokenizer, before any statement runs.
  if (Status s = RegisterFullTextTokenizer(db); !s.ok()) {
    sqlite3_close_v2(db);
    return s;
  }
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (const auto& [sql, entry] : cache_) {
    KILN_CHECK(!entry.in_use) << "statement outlives its connection: " << sql;
  }
  cache_.clear();  // finalize before closing
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    KILN_LOG(WARNING) << "closing " << path_ << ": " << sqlite3_errmsg(db_);
    sqlite3_close_v2(db_);
  }
}

Status Connection::Exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::OK();
  Status status = SqliteError(rc, db_, SqlSnippet(sql));
  sqlite3_free(error);  // the same text as sqlite3_errmsg, which SqliteError used
  return status;
}

Result<sqlite3_stmt*> Connection::PrepareRaw(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, "preparing " + SqlSnippet(sql));
  if (stmt == nullptr) return InvalidArgument("empty SQL statement");
  std::string_view rest = sql.substr(static_cast<size_t>(tail - sql.data()));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    return Internal("Prepare takes one statement: " + SqlSnippet(sql));
  }
  return stmt;
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Statement(it->second.stmt.get(), db_, &it->second.in_use);
  }
  KILN_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, PrepareRaw(sql));
  if (it != cache_.end() || cache_.size() >= kMaxCachedStatements) {
    return Statement(stmt, db_, nullptr);  // caller's own; finalized on release
  }
  auto [entry, inserted] = cache_.emplace(std::string(sql), CachedStatement{});
  entry->second.stmt.reset(stmt);
  entry->second.in_use = true;
  return Statement(stmt, db_, &entry->second.in_use);
}

Status Connection::SetBusyTimeout(int ms) {
  int rc = sqlite3_busy_timeout(db_, ms);
  return rc == SQLITE_OK ? Status::OK() : SqliteError(rc, db_, "setting busy_timeout");
}

int64_t Connection::changes() const { return sqlite3_changes64(db_); }

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

bool Connection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

// --- Transaction -------------------------------------------------------------

Result<Transaction> Transaction::Begin(Connection& conn, TransactionKind kind) {
  KILN_ASSIGN_OR_RETURN(
      Statement begin,
      conn.Prepare(kind == TransactionKind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  KILN_RETURN_IF_ERROR(begin.Run());
  return Transaction(&conn);
}

Status Transaction::Commit() {
  KILN_CHECK(conn_ != nullptr) << "commit of a finished transaction";
  KILN_ASSIGN_OR_RETURN(Statement commit, conn_->Prepare("COMMIT"));
  KILN_RETURN_IF_ERROR(commit.Run());  // on failure the destructor rolls back
  conn_ = nullptr;
  return Status::OK();
}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
  if (conn_ == nullptr || conn_->autocommit()) return;
  Status status = conn_->Exec("ROLLBACK");
  if (!status.ok()) {
    KILN_LOG(WARNING) << "rollback failed: " << status.ToString();
  }
}

}  // namespace kiln::storage::internal
