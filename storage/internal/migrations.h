// Versioned schema migrations.
//
// The schema is an ordered list of SQL scripts; the database's version (the
// number of scripts applied) lives in `PRAGMA user_version`, which is part of
// the database header and so changes atomically with the script that bumps
// it. Scripts are append-only: a released migration is never edited, a fix is
// a new migration.
#pragma once

#include <span>

#include "base/result.h"
#include "storage/internal/sqlite.h"

namespace kiln::storage::internal {

struct Migration {
  int version;      // 1, 2, 3, ... with no gaps
  const char* sql;  // one or more statements; no BEGIN/COMMIT (the runner owns the transaction)
};

// The migrations this binary knows, in order.
std::span<const Migration> KnownMigrations();
// The schema version this binary writes (the last known migration).
int LatestSchemaVersion();

// The database's `user_version`.
Result<int> ReadSchemaVersion(Connection& db);

// Applies the migrations `db` lacks, each in its own IMMEDIATE transaction
// together with its user_version bump, so a crash or a failing script leaves
// the database at the last fully applied version. Safe against another
// process migrating the same file at once (the version is re-read under the
// write lock). Returns the final version. FailedPrecondition when the database
// is newer than the last of `migrations`.
Result<int> ApplyMigrations(Connection& db, std::span<const Migration> migrations);

}  // namespace kiln::storage::internal
