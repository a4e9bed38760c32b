// A thin RAII layer over the SQLite C API, for storage/ only.
//
// Connection owns one sqlite3 handle and a cache of its prepared statements,
// keyed by SQL text: preparing is several times the cost of running a point
// lookup, and GET /v1/bots/{id} has to stay in the microseconds.
//
// Thread contract: a Connection and the Statements it hands out belong to one
// thread at a time (connections are opened in SQLite's multi-thread mode, so
// SQLite itself does not lock them). The pool and the writer mutex in
// sqlite_db.h provide that exclusivity.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kiln::storage::internal {

// Maps an SQLite result code to a Status carrying sqlite3_errmsg(db) (db may be
// null): constraint on a primary key or UNIQUE -> AlreadyExists, other
// constraints -> InvalidArgument (foreign keys: FailedPrecondition), BUSY/LOCKED
// -> Unavailable, CORRUPT/NOTADB -> Corruption, I/O and open failures ->
// Unavailable, anything else -> Internal.
Status SqliteError(int rc, sqlite3* db, std::string_view context);

class Connection;

// One prepared statement in use. Binding is chainable and "sticky": the first
// failed bind is remembered and returned by the next Step(), which keeps call
// sites to one error check. Column getters read the current row; a
// string_view from ColumnText() is valid until the next Step() or Reset().
//
// On destruction a cached statement is reset (ending any read it holds open,
// which in WAL mode would otherwise pin an old snapshot) and goes back to its
// connection's cache. Must not outlive its Connection.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Indexes are 1-based, as in SQLite. Text is copied by SQLite.
  Statement& BindText(int index, std::string_view value);
  Statement& BindInt64(int index, int64_t value);
  Statement& BindDouble(int index, double value);
  Statement& BindBool(int index, bool value) { return BindInt64(index, value ? 1 : 0); }
  Statement& BindNull(int index);
  // Bytes (copied by SQLite); an empty view binds a zero-length blob.
  Statement& BindBlob(int index, std::string_view bytes);

  // True when a row is ready, false when the statement has finished.
  Result<bool> Step();
  // Runs a statement that returns no rows (INSERT/UPDATE/DELETE/BEGIN...).
  Status Run();
  // Rewinds for another run and clears the bindings.
  void Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string_view ColumnText(int col) const;
  std::string ColumnString(int col) const { return std::string(ColumnText(col)); }
  // A blob column's bytes, valid like ColumnText's.
  std::string_view ColumnBlob(int col) const;

 private:
  friend class Connection;
  // `in_use` is the cache entry's flag (cleared on release), or null for an
  // uncached statement that this object finalizes.
  Statement(sqlite3_stmt* stmt, sqlite3* db, bool* in_use)
      : stmt_(stmt), db_(db), in_use_(in_use) {}
  void Release();
  void NoteBind(int rc, int index);

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  bool* in_use_ = nullptr;
  Status bind_error_;
};

class Connection {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_NOMUTEX is always
  // added) and enables extended result codes. A file that is not a database
  // is only detected by the first statement that reads it.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements, discarding any rows (scripts, PRAGMAs).
  Status Exec(std::string_view sql);
  // A statement ready to bind, from the cache when `sql` was seen before. If
  // the cached one is still in use (a nested use of the same SQL), a fresh
  // uncached statement is returned instead.
  Result<Statement> Prepare(std::string_view sql);

  Status SetBusyTimeout(int ms);
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t changes() const;
  // The rowid of the last successful INSERT on this connection.
  int64_t last_insert_rowid() const;
  // False while a transaction is open.
  bool autocommit() const;
  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }
  size_t cached_statements() const { return cache_.size(); }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  struct CachedStatement {
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt;
    bool in_use = false;
  };
  // Bounds the cache against a caller that builds SQL text dynamically; the
  // SQL in storage/ is a fixed set far below this.
  static constexpr size_t kMaxCachedStatements = 128;

  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<sqlite3_stmt*> PrepareRaw(std::string_view sql);

  sqlite3* db_;
  std::string path_;
  // std::map keeps entries at stable addresses (Statement points at in_use)
  // and allows lookup by string_view without a copy.
  std::map<std::string, CachedStatement, std::less<>> cache_;
};

enum class TransactionKind {
  kDeferred,   // readers: a consistent snapshot across several statements
  kImmediate,  // writers: takes the write lock up front, so no upgrade can fail with BUSY midway
};

// An open transaction; rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection& conn, TransactionKind kind);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or moved from
};

}  // namespace kiln::storage::internal
