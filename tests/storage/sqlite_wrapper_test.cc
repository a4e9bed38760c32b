// The RAII SQLite layer: statement cache, sticky bind errors, error mapping,
// transactions.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "storage/internal/sqlite.h"
#include "tests/storage/test_util.h"

namespace kiln::storage::internal {
namespace {

using testing::TempDir;

class SqliteWrapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Connection>> conn = Open();
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
    ASSERT_TRUE(conn_
                    ->Exec("PRAGMA journal_mode = WAL; "
                           "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL "
                           "CHECK (n >= 0), d REAL, s TEXT);")
                    .ok());
  }
  Result<std::unique_ptr<Connection>> Open() {
    return Connection::Open(dir_.File("w.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  }
  Status Insert(const std::string& id, int64_t n) {
    KILN_ASSIGN_OR_RETURN(Statement stmt, conn_->Prepare("INSERT INTO t (id, n) VALUES (?1, ?2)"));
    stmt.BindText(1, id).BindInt64(2, n);
    return stmt.Run();
  }

  TempDir dir_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SqliteWrapperTest, BindsAndReadsEveryType) {
  Result<Statement> insert = conn_->Prepare("INSERT INTO t (id, n, d, s) VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert.ok());
  insert->BindText(1, std::string_view("a\0b", 3))
      .BindInt64(2, INT64_MAX)
      .BindDouble(3, 2.5)
      .BindNull(4);
  ASSERT_TRUE(insert->Run().ok());

  Result<Statement> select = conn_->Prepare("SELECT id, n, d, s FROM t");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnCount(), 4);
  EXPECT_EQ(select->ColumnText(0), std::string_view("a\0b", 3));  // embedded NUL survives
  EXPECT_EQ(select->ColumnInt64(1), INT64_MAX);
  EXPECT_EQ(select->ColumnDouble(2), 2.5);
  EXPECT_TRUE(select->ColumnIsNull(3));
  EXPECT_EQ(select->ColumnText(3), "");
  EXPECT_FALSE(*select->Step());
}

TEST_F(SqliteWrapperTest, StatementsAreCachedBySqlText) {
  ASSERT_TRUE(Insert("a", 1).ok());
  const size_t cached = conn_->cached_statements();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Insert("b" + std::to_string(i), i).ok());
  EXPECT_EQ(conn_->cached_statements(), cached);
}

TEST_F(SqliteWrapperTest, NestedUseOfTheSameSqlGetsItsOwnStatement) {
  ASSERT_TRUE(Insert("a", 1).ok());
  ASSERT_TRUE(Insert("b", 2).ok());
  const char* sql = "SELECT n FROM t WHERE id = ?1";
  Result<Statement> outer = conn_->Prepare(sql);
  ASSERT_TRUE(outer.ok());
  outer->BindText(1, "a");
  ASSERT_TRUE(*outer->Step());
  {
    Result<Statement> inner = conn_->Prepare(sql);
    ASSERT_TRUE(inner.ok());
    inner->BindText(1, "b");
    ASSERT_TRUE(*inner->Step());
    EXPECT_EQ(inner->ColumnInt64(0), 2);
  }
  EXPECT_EQ(outer->ColumnInt64(0), 1);
}

TEST_F(SqliteWrapperTest, ReleasedStatementIsResetForTheNextUser) {
  ASSERT_TRUE(Insert("a", 1).ok());
  ASSERT_TRUE(Insert("b", 2).ok());
  for (int round = 0; round < 2; ++round) {
    Result<Statement> stmt = conn_->Prepare("SELECT id FROM t ORDER BY id");
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(*stmt->Step());
    EXPECT_EQ(stmt->ColumnText(0), "a");  // starts over, though left mid-way last time
  }
}

TEST_F(SqliteWrapperTest, BadBindIndexIsReportedByStep) {
  Result<Statement> stmt = conn_->Prepare("SELECT n FROM t WHERE id = ?1");
  ASSERT_TRUE(stmt.ok());
  stmt->BindText(5, "x").BindText(1, "a");
  Result<bool> row = stmt->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("parameter 5"), std::string::npos)
      << row.status().message();
}

TEST_F(SqliteWrapperTest, ErrorsMapToStatusCodes) {
  ASSERT_TRUE(Insert("a", 1).ok());
  Status duplicate = Insert("a", 2);
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(duplicate.message().find("UNIQUE constraint failed"), std::string::npos)
      << duplicate.message();
  EXPECT_EQ(Insert("c", -1).code(), StatusCode::kInvalidArgument);  // CHECK

  Result<Statement> bad = conn_->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos);
  EXPECT_FALSE(conn_->Prepare("SELECT 1; SELECT 2").ok());  // one statement only
  EXPECT_FALSE(conn_->Exec("NOT SQL").ok());
}

TEST_F(SqliteWrapperTest, BusyWriterIsUnavailable) {
  Result<std::unique_ptr<Connection>> other = Open();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->SetBusyTimeout(20).ok());
  Result<Transaction> holding = Transaction::Begin(*conn_, TransactionKind::kImmediate);
  ASSERT_TRUE(holding.ok());
  Result<Transaction> blocked = Transaction::Begin(**other, TransactionKind::kImmediate);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
}

TEST_F(SqliteWrapperTest, TransactionRollsBackUnlessCommitted) {
  {
    Result<Transaction> txn = Transaction::Begin(*conn_, TransactionKind::kImmediate);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(Insert("gone", 1).ok());
    EXPECT_FALSE(conn_->autocommit());
  }
  EXPECT_TRUE(conn_->autocommit());
  {
    Result<Transaction> txn = Transaction::Begin(*conn_, TransactionKind::kImmediate);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(Insert("kept", 1).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  Result<Statement> count = conn_->Prepare("SELECT group_concat(id) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->ColumnText(0), "kept");
}

}  // namespace
}  // namespace kiln::storage::internal
