// The connections behind one SQLite store: a single writer and a pool of readers.
//
// SQLite in WAL mode lets readers run alongside one writer, but never two
// writers; serializing writes on our own mutex (rather than letting
// connections race for the file lock) means writers queue fairly instead of
// spinning in busy_timeout, and a write never fails with BUSY because of
// another thread of this process. Readers each own a connection from a free
// list, grown on demand, so reads never wait on the writer or on each other.
//
// Thread-safe. Leases and locks must end before the Database is destroyed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/internal/sqlite.h"
#include "storage/store.h"

namespace kiln::storage::internal {

class Database {
 public:
  // Opens the writer (creating the file if needed), sets the pragmas, applies
  // migrations and opens a first reader, so a bad file fails here.
  static Result<std::unique_ptr<Database>> Open(const SqliteOptions& options);
  ~Database();

  // A reader connection that is the holder's alone until the lease ends.
  // Readers are query_only: a write through one is an error, not a race.
  class ReaderLease {
   public:
    ReaderLease(ReaderLease&& other) noexcept = default;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    friend class Database;
    ReaderLease(Database* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
    Database* db_;
    std::unique_ptr<Connection> conn_;  // null once moved from
  };
  Result<ReaderLease> AcquireReader();

  // The writer connection, held under the writer mutex until this ends.
  class WriterLock {
   public:
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    friend class Database;
    WriterLock(std::mutex& mu, Connection* conn) : lock_(mu), conn_(conn) {}
    std::unique_lock<std::mutex> lock_;
    Connection* conn_;
  };
  WriterLock LockWriter() { return WriterLock(writer_mu_, writer_.get()); }

  int schema_version() const { return schema_version_; }
  size_t idle_readers() const;

 private:
  // Enough for the I/O thread pool of a small machine; past this, a reader
  // freed during a burst is closed rather than kept idle.
  static constexpr size_t kMaxIdleReaders = 8;

  explicit Database(SqliteOptions options) : options_(std::move(options)) {}
  Result<std::unique_ptr<Connection>> OpenReader() const;
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const SqliteOptions options_;
  int schema_version_ = 0;

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by writer_mu_ (through WriterLock)

  mutable std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_
};

}  // namespace kiln::storage::internal
