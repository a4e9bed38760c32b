// SqliteKnowledgeRepository: knowledge bases and their documents (the
// ingestion queue lives in the documents' status column). Chunks and the
// full-text search are in sqlite_knowledge_chunks.cc.
#include <nlohmann/json.hpp>
#include <string>

#include "storage/internal/knowledge_rows.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

// The base's columns plus its two counts (chunks: kept by triggers).
const std::string& BaseSelect() {
  static const std::string sql =
      "SELECT b.id, b.workspace_id, b.name, b.description, b.settings, b.created_at, "
      "b.updated_at, (SELECT count(*) FROM documents d WHERE d.knowledge_id = b.id), "
      "b.chunk_count FROM knowledge_bases b ";
  return sql;
}

KnowledgeBase ReadBaseRow(const Statement& stmt) {
  KnowledgeBase kb;
  kb.id = stmt.ColumnString(0);
  kb.workspace_id = stmt.ColumnString(1);
  kb.name = stmt.ColumnString(2);
  kb.description = stmt.ColumnString(3);
  kb.settings = stmt.ColumnString(4);
  kb.created_at = stmt.ColumnInt64(5);
  kb.updated_at = stmt.ColumnInt64(6);
  kb.document_count = stmt.ColumnInt64(7);
  kb.chunk_count = stmt.ColumnInt64(8);
  return kb;
}

Result<KnowledgeBase> SelectBase(Connection& conn, std::string_view workspace_id,
                                 std::string_view id) {
  static const std::string sql = BaseSelect() + "WHERE b.id = ?1 AND b.workspace_id = ?2";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  stmt.BindText(1, id).BindText(2, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return BaseNotFound(id);
  return ReadBaseRow(stmt);
}

Result<std::vector<KnowledgeDocument>> ReadDocuments(Statement& stmt) {
  std::vector<KnowledgeDocument> docs;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    KILN_ASSIGN_OR_RETURN(KnowledgeDocument doc, ReadDocumentRow(stmt));
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace

Status BaseNotFound(std::string_view id) {
  return NotFound("knowledge base " + std::string(id) + " not found");
}

Status DocumentNotFound(std::string_view id) {
  return NotFound("document " + std::string(id) + " not found");
}

Status SqliteKnowledgeRepository::CreateBase(const KnowledgeBase& kb) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_ASSIGN_OR_RETURN(
      Statement ws,
      writer->Prepare("INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?1, ?2)"));
  ws.BindText(1, kb.workspace_id).BindInt64(2, kb.created_at);
  KILN_RETURN_IF_ERROR(ws.Run());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("INSERT INTO knowledge_bases (id, workspace_id, name, description, "
                      "settings, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.BindText(1, kb.id)
      .BindText(2, kb.workspace_id)
      .BindText(3, kb.name)
      .BindText(4, kb.description)
      .BindText(5, kb.settings)
      .BindInt64(6, kb.created_at)
      .BindInt64(7, kb.updated_at);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("knowledge base " + kb.id + " already exists", "id");
  }
  KILN_RETURN_IF_ERROR(status.Annotate("creating knowledge base " + kb.id));
  return txn.Commit();
}

Result<KnowledgeBase> SqliteKnowledgeRepository::GetBase(std::string_view workspace_id,
                                                         std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectBase(*reader, workspace_id, id);
}

Result<Page<KnowledgeBase>> SqliteKnowledgeRepository::ListBases(std::string_view workspace_id,
                                                                 const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  static const std::string first =
      BaseSelect() + "WHERE b.workspace_id = ?1 ORDER BY b.id DESC LIMIT ?3";
  static const std::string next =
      BaseSelect() + "WHERE b.workspace_id = ?1 AND b.id < ?2 ORDER BY b.id DESC LIMIT ?3";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(options.cursor.empty() ? first : next));
  stmt.BindText(1, workspace_id).BindInt64(3, options.limit + 1);
  if (!options.cursor.empty()) stmt.BindText(2, options.cursor);
  std::vector<KnowledgeBase> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    rows.push_back(ReadBaseRow(stmt));
  }
  return MakePage(std::move(rows), options.limit, [](const KnowledgeBase& kb) { return kb.id; });
}

Result<KnowledgeBase> SqliteKnowledgeRepository::ModifyBase(
    std::string_view workspace_id, std::string_view id,
    const std::function<Status(KnowledgeBase&)>& mutate) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(KnowledgeBase kb, SelectBase(*writer, workspace_id, id));
  KILN_RETURN_IF_ERROR(mutate(kb));
  KILN_ASSIGN_OR_RETURN(Statement stmt,
                        writer->Prepare("UPDATE knowledge_bases SET name = ?2, description = ?3, "
                                        "settings = ?4, updated_at = ?5 WHERE id = ?1"));
  stmt.BindText(1, kb.id)
      .BindText(2, kb.name)
      .BindText(3, kb.description)
      .BindText(4, kb.settings)
      .BindInt64(5, kb.updated_at);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return kb;
}

Status SqliteKnowledgeRepository::DeleteBase(std::string_view workspace_id, std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_ASSIGN_OR_RETURN(KnowledgeBase kb, SelectBase(*writer, workspace_id, id));
  // Chunks first and explicitly, so that the full-text trigger runs for each.
  for (const char* sql : {"DELETE FROM chunks WHERE knowledge_id = ?1",
                          "DELETE FROM documents WHERE knowledge_id = ?1",
                          "DELETE FROM knowledge_bases WHERE id = ?1"}) {
    KILN_ASSIGN_OR_RETURN(Statement stmt, writer->Prepare(sql));
    stmt.BindText(1, kb.id);
    KILN_RETURN_IF_ERROR(stmt.Run());
  }
  return txn.Commit();
}

Result<KnowledgeBase> SqliteKnowledgeRepository::GetBaseById(std::string_view id) {
  static const std::string sql = BaseSelect() + "WHERE b.id = ?1";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return BaseNotFound(id);
  return ReadBaseRow(stmt);
}

Result<std::vector<KnowledgeBase>> SqliteKnowledgeRepository::AllBases() {
  static const std::string sql = BaseSelect() + "ORDER BY b.id";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  std::vector<KnowledgeBase> bases;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    bases.push_back(ReadBaseRow(stmt));
  }
  return bases;
}

Status SqliteKnowledgeRepository::CreateDocument(std::string_view workspace_id,
                                                 const KnowledgeDocument& doc) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_RETURN_IF_ERROR(SelectBase(*writer, workspace_id, doc.knowledge_id).status());
  static const std::string sql = "INSERT INTO documents (" + std::string(kDocumentColumns) +
                                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                 "?13, ?14, ?15, ?16, ?17, ?18)";
  KILN_ASSIGN_OR_RETURN(Statement stmt, writer->Prepare(sql));
  BindDocument(stmt, doc);
  Status status = stmt.Run();
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("document " + doc.id + " already exists", "id");
  }
  KILN_RETURN_IF_ERROR(status.Annotate("creating document " + doc.id));
  return txn.Commit();
}

Result<KnowledgeDocument> SqliteKnowledgeRepository::GetDocument(std::string_view workspace_id,
                                                                 std::string_view knowledge_id,
                                                                 std::string_view id) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  return SelectDocument(*reader, workspace_id, knowledge_id, id);
}

Result<Page<KnowledgeDocument>> SqliteKnowledgeRepository::ListDocuments(
    std::string_view workspace_id, std::string_view knowledge_id, const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_RETURN_IF_ERROR(SelectBase(*reader, workspace_id, knowledge_id).status());
  static const std::string first = "SELECT " + std::string(kDocumentColumns) +
                                   " FROM documents WHERE knowledge_id = ?1 "
                                   "ORDER BY id DESC LIMIT ?3";
  static const std::string next = "SELECT " + std::string(kDocumentColumns) +
                                  " FROM documents WHERE knowledge_id = ?1 AND id < ?2 "
                                  "ORDER BY id DESC LIMIT ?3";
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(options.cursor.empty() ? first : next));
  stmt.BindText(1, knowledge_id).BindInt64(3, options.limit + 1);
  if (!options.cursor.empty()) stmt.BindText(2, options.cursor);
  KILN_ASSIGN_OR_RETURN(std::vector<KnowledgeDocument> rows, ReadDocuments(stmt));
  return MakePage(std::move(rows), options.limit,
                  [](const KnowledgeDocument& doc) { return doc.id; });
}

Result<std::vector<KnowledgeDocument>> SqliteKnowledgeRepository::FindDocumentsByName(
    std::string_view knowledge_id, std::string_view name) {
  static const std::string sql =
      "SELECT " + std::string(kDocumentColumns) +
      " FROM documents WHERE knowledge_id = ?1 AND name = ?2 ORDER BY id";
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(Statement stmt, reader->Prepare(sql));
  stmt.BindText(1, knowledge_id).BindText(2, name);
  return ReadDocuments(stmt);
}

Result<std::vector<int64_t>> SqliteKnowledgeRepository::DeleteDocument(
    std::string_view workspace_id, std::string_view knowledge_id, std::string_view id) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_RETURN_IF_ERROR(SelectDocument(*writer, workspace_id, knowledge_id, id).status());
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> removed, DeleteDocumentRows(*writer, id));
  KILN_RETURN_IF_ERROR(txn.Commit());
  return removed;
}

Result<KnowledgeDocument> SqliteKnowledgeRepository::ClaimQueuedDocument(int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  static const std::string sql = "SELECT " + std::string(kDocumentColumns) +
                                 " FROM documents WHERE status = 'queued' ORDER BY id LIMIT 1";
  KILN_ASSIGN_OR_RETURN(Statement stmt, writer->Prepare(sql));
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("no document is queued");
  KILN_ASSIGN_OR_RETURN(KnowledgeDocument doc, ReadDocumentRow(stmt));
  stmt.Reset();
  KILN_ASSIGN_OR_RETURN(Statement claim,
                        writer->Prepare("UPDATE documents SET status = 'parsing', attempts = "
                                        "attempts + 1, updated_at = ?2 WHERE id = ?1"));
  claim.BindText(1, doc.id).BindInt64(2, now);
  KILN_RETURN_IF_ERROR(claim.Run());
  KILN_RETURN_IF_ERROR(txn.Commit());
  doc.status = DocumentStatus::kParsing;
  doc.attempts += 1;
  doc.updated_at = now;
  return doc;
}

Result<int64_t> SqliteKnowledgeRepository::RequeueInterrupted(int max_attempts, int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KILN_ASSIGN_OR_RETURN(
      Statement fail,
      writer->Prepare(
          "UPDATE documents SET status = 'failed', error = ?2, updated_at = ?3, "
          "chunks_done = 0 WHERE status IN ('parsing', 'embedding') AND attempts >= ?1"));
  fail.BindInt64(1, max_attempts)
      .BindText(2, "ingestion was interrupted " + std::to_string(max_attempts) +
                       " times (the server stopped while reading this document)")
      .BindInt64(3, now);
  KILN_RETURN_IF_ERROR(fail.Run());
  const int64_t failed = writer->changes();
  KILN_ASSIGN_OR_RETURN(
      Statement requeue,
      writer->Prepare("UPDATE documents SET status = 'queued', chunks_done = 0, updated_at = ?1 "
                      "WHERE status IN ('parsing', 'embedding')"));
  requeue.BindInt64(1, now);
  KILN_RETURN_IF_ERROR(requeue.Run());
  const int64_t requeued = writer->changes();
  KILN_RETURN_IF_ERROR(txn.Commit());
  return failed + requeued;
}

Status SqliteKnowledgeRepository::UpdateProgress(std::string_view id, DocumentStatus status,
                                                 int64_t chunks_done, int64_t chunks_total,
                                                 int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE documents SET status = ?2, chunks_done = ?3, chunks_total = ?4, "
                      "updated_at = ?5 WHERE id = ?1 AND status IN ('parsing', 'embedding')"));
  stmt.BindText(1, id)
      .BindText(2, DocumentStatusName(status))
      .BindInt64(3, chunks_done)
      .BindInt64(4, chunks_total)
      .BindInt64(5, now);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? DocumentNotFound(id) : Status::OK();
}

Status SqliteKnowledgeRepository::FailDocument(std::string_view id, std::string_view reason,
                                               int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE documents SET status = 'failed', error = ?2, updated_at = ?3 "
                      "WHERE id = ?1"));
  stmt.BindText(1, id).BindText(2, reason).BindInt64(3, now);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? DocumentNotFound(id) : Status::OK();
}

Status SqliteKnowledgeRepository::SetFetchedContent(std::string_view id, std::string_view name,
                                                    std::string_view content_type, int64_t bytes,
                                                    std::string_view sha256, int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      writer->Prepare("UPDATE documents SET name = ?2, content_type = ?3, bytes = ?4, "
                      "sha256 = ?5, updated_at = ?6 WHERE id = ?1"));
  stmt.BindText(1, id)
      .BindText(2, name)
      .BindText(3, content_type)
      .BindInt64(4, bytes)
      .BindText(5, sha256)
      .BindInt64(6, now);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return writer->changes() == 0 ? DocumentNotFound(id) : Status::OK();
}

}  // namespace kiln::storage::internal
