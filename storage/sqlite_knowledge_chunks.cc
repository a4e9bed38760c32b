// SqliteKnowledgeRepository, the chunk side: completing a document (its
// chunks, their embeddings and full-text entries in one transaction), reading
// chunks back, and full-text search.
#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/internal/knowledge_rows.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite_repositories.h"

namespace kiln::storage::internal {
namespace {

using nlohmann::json;

// Embeddings are stored as little-endian float32 (the only byte order we run on).
std::string_view EmbeddingBytes(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

std::string HeadingJson(const std::vector<std::string>& path) {
  json a = json::array();
  for (const std::string& h : path) a.push_back(h);
  return a.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> ParseHeadings(std::string_view text) {
  json a = json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!a.is_array()) return out;
  for (const json& h : a) {
    if (h.is_string()) out.push_back(h.get<std::string>());
  }
  return out;
}

Status InsertChunks(Connection& conn, std::string_view knowledge_id, std::string_view doc_id,
                    std::vector<StoredChunk>& chunks) {
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      conn.Prepare("INSERT INTO chunks (knowledge_id, document_id, position, text, parent_text, "
                   "heading_path, tokens, embedding) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  for (StoredChunk& c : chunks) {
    stmt.Reset();
    stmt.BindText(1, knowledge_id)
        .BindText(2, doc_id)
        .BindInt64(3, c.position)
        .BindText(4, c.text)
        .BindText(5, c.parent_text)
        .BindText(6, HeadingJson(c.heading_path))
        .BindInt64(7, c.tokens)
        .BindBlob(8, EmbeddingBytes(c.embedding));
    KILN_RETURN_IF_ERROR(stmt.Run());
    c.id = conn.last_insert_rowid();
    c.knowledge_id = std::string(knowledge_id);
    c.document_id = std::string(doc_id);
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<int64_t>> SqliteKnowledgeRepository::CompleteDocument(
    std::string_view id, std::vector<StoredChunk>& chunks, std::string_view format,
    std::string_view encoding, int64_t now) {
  auto writer = db_->LockWriter();
  KILN_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*writer, TransactionKind::kImmediate));
  KnowledgeDocument doc;
  {
    static const std::string sql =
        "SELECT " + std::string(kDocumentColumns) + " FROM documents WHERE id = ?1";
    KILN_ASSIGN_OR_RETURN(Statement stmt, writer->Prepare(sql));
    stmt.BindText(1, id);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return DocumentNotFound(id);
    KILN_ASSIGN_OR_RETURN(doc, ReadDocumentRow(stmt));
  }
  // A second run of the same document (after a crash) starts clean.
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> stale, DeleteChunkRows(*writer, id));
  KILN_RETURN_IF_ERROR(InsertChunks(*writer, doc.knowledge_id, id, chunks));
  {
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        writer->Prepare("UPDATE documents SET status = 'ready', error = '', chunks_done = ?2, "
                        "chunks_total = ?2, format = ?3, encoding = ?4, updated_at = ?5 "
                        "WHERE id = ?1"));
    stmt.BindText(1, id)
        .BindInt64(2, static_cast<int64_t>(chunks.size()))
        .BindText(3, format)
        .BindText(4, encoding)
        .BindInt64(5, now);
    KILN_RETURN_IF_ERROR(stmt.Run());
  }
  std::vector<int64_t> removed = std::move(stale);
  if (!doc.replaces.empty()) {
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> old, DeleteDocumentRows(*writer, doc.replaces));
    removed.insert(removed.end(), old.begin(), old.end());
  }
  KILN_RETURN_IF_ERROR(txn.Commit());
  return removed;
}

Result<std::vector<StoredChunk>> SqliteKnowledgeRepository::GetChunks(
    std::string_view knowledge_id, const std::vector<int64_t>& ids) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT id, document_id, position, text, parent_text, heading_path, tokens "
                      "FROM chunks WHERE id = ?1 AND knowledge_id = ?2"));
  std::vector<StoredChunk> out;
  out.reserve(ids.size());
  for (int64_t chunk_id : ids) {
    stmt.Reset();
    stmt.BindInt64(1, chunk_id).BindText(2, knowledge_id);
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) continue;
    StoredChunk c;
    c.id = stmt.ColumnInt64(0);
    c.knowledge_id = std::string(knowledge_id);
    c.document_id = stmt.ColumnString(1);
    c.position = stmt.ColumnInt64(2);
    c.text = stmt.ColumnString(3);
    c.parent_text = stmt.ColumnString(4);
    c.heading_path = ParseHeadings(stmt.ColumnText(5));
    c.tokens = stmt.ColumnInt64(6);
    out.push_back(std::move(c));
  }
  return out;
}

Status SqliteKnowledgeRepository::ForEachEmbedding(
    std::string_view knowledge_id,
    const std::function<void(int64_t id, std::span<const float> embedding)>& fn) {
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT id, embedding FROM chunks WHERE knowledge_id = ?1 ORDER BY id"));
  stmt.BindText(1, knowledge_id);
  std::vector<float> buffer;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const std::string_view bytes = stmt.ColumnBlob(1);
    if (bytes.size() % sizeof(float) != 0) {
      return Corruption("the embedding of chunk " + std::to_string(stmt.ColumnInt64(0)) + " has " +
                        std::to_string(bytes.size()) + " bytes");
    }
    buffer.resize(bytes.size() / sizeof(float));
    if (!bytes.empty()) std::memcpy(buffer.data(), bytes.data(), bytes.size());
    fn(stmt.ColumnInt64(0), buffer);
  }
  return Status::OK();
}

Result<std::vector<TextHit>> SqliteKnowledgeRepository::SearchText(
    std::string_view knowledge_id, std::string_view match,
    const std::vector<std::string>& substrings, int limit) {
  if (limit <= 0) return std::vector<TextHit>{};
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  std::map<int64_t, double> scores;
  if (!match.empty()) {
    // bm25() is lower for better matches; the hit's score is its negation.
    KILN_ASSIGN_OR_RETURN(
        Statement stmt,
        reader->Prepare("SELECT c.id, -bm25(chunks_fts) AS score FROM chunks_fts JOIN chunks c "
                        "ON c.id = chunks_fts.rowid WHERE chunks_fts MATCH ?1 AND "
                        "c.knowledge_id = ?2 ORDER BY score DESC LIMIT ?3"));
    stmt.BindText(1, match).BindText(2, knowledge_id).BindInt64(3, limit);
    while (true) {
      Result<bool> row = stmt.Step();
      // A query FTS5 cannot parse is the caller's bug, but never fatal here.
      if (!row.ok()) return row.status().Annotate("full-text query " + std::string(match));
      if (!*row) break;
      scores[stmt.ColumnInt64(0)] += stmt.ColumnDouble(1);
    }
  }
  for (const std::string& term : substrings) {
    // Not in the index as such: a plain scan of the base's chunks.
    KILN_ASSIGN_OR_RETURN(Statement stmt,
                          reader->Prepare("SELECT id FROM chunks WHERE knowledge_id = ?1 AND "
                                          "instr(text, ?2) > 0 ORDER BY id LIMIT ?3"));
    stmt.BindText(1, knowledge_id).BindText(2, term).BindInt64(3, 10 * limit);
    while (true) {
      KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      scores[stmt.ColumnInt64(0)] += 1.0;
    }
  }
  std::vector<TextHit> hits;
  hits.reserve(scores.size());
  for (const auto& [chunk_id, score] : scores) hits.push_back({chunk_id, score});
  std::sort(hits.begin(), hits.end(), [](const TextHit& a, const TextHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  });
  if (hits.size() > static_cast<size_t>(limit)) hits.resize(static_cast<size_t>(limit));
  return hits;
}

Result<std::vector<std::string>> SqliteKnowledgeRepository::SampleChunkTexts(
    std::string_view knowledge_id, int n) {
  std::vector<std::string> out;
  if (n <= 0) return out;
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  // The ids are drawn from the (knowledge_id, id) index alone, so only the
  // sampled rows' texts are read.
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT text FROM chunks WHERE id IN (SELECT id FROM chunks WHERE "
                      "knowledge_id = ?1 ORDER BY random() LIMIT ?2)"));
  stmt.BindText(1, knowledge_id).BindInt64(2, n);
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnString(0));
  }
  return out;
}

Result<Page<StoredChunk>> SqliteKnowledgeRepository::ListDocumentChunks(
    std::string_view workspace_id, std::string_view knowledge_id, std::string_view document_id,
    const ListOptions& options) {
  KILN_RETURN_IF_ERROR(CheckLimit(options));
  int64_t after = -1;
  if (!options.cursor.empty()) {
    for (char c : options.cursor) {
      if (c < '0' || c > '9' || options.cursor.size() > 18) {
        return InvalidArgument("cursor is not one this API returned", "cursor");
      }
    }
    after = std::stoll(options.cursor);
  }
  // The document must be in the workspace's base (404 otherwise).
  KILN_RETURN_IF_ERROR(GetDocument(workspace_id, knowledge_id, document_id).status());
  KILN_ASSIGN_OR_RETURN(Database::ReaderLease reader, db_->AcquireReader());
  KILN_ASSIGN_OR_RETURN(
      Statement stmt,
      reader->Prepare("SELECT id, position, text, parent_text, heading_path, tokens FROM chunks "
                      "WHERE document_id = ?1 AND knowledge_id = ?2 AND position > ?3 "
                      "ORDER BY position LIMIT ?4"));
  stmt.BindText(1, document_id).BindText(2, knowledge_id).BindInt64(3, after).BindInt64(
      4, options.limit + 1);
  std::vector<StoredChunk> rows;
  while (true) {
    KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    StoredChunk c;
    c.id = stmt.ColumnInt64(0);
    c.knowledge_id = std::string(knowledge_id);
    c.document_id = std::string(document_id);
    c.position = stmt.ColumnInt64(1);
    c.text = stmt.ColumnString(2);
    c.parent_text = stmt.ColumnString(3);
    c.heading_path = ParseHeadings(stmt.ColumnText(4));
    c.tokens = stmt.ColumnInt64(5);
    rows.push_back(std::move(c));
  }
  return MakePage(std::move(rows), options.limit,
                  [](const StoredChunk& c) { return std::to_string(c.position); });
}

}  // namespace kiln::storage::internal
