#include "storage/internal/knowledge_rows.h"

#include <string>

namespace kiln::storage {

std::string_view DocumentStatusName(DocumentStatus status) {
  switch (status) {
    case DocumentStatus::kQueued:
      return "queued";
    case DocumentStatus::kParsing:
      return "parsing";
    case DocumentStatus::kEmbedding:
      return "embedding";
    case DocumentStatus::kReady:
      return "ready";
    case DocumentStatus::kFailed:
      return "failed";
  }
  return "failed";
}

namespace internal {

Result<DocumentStatus> ParseDocumentStatus(std::string_view name) {
  for (DocumentStatus s :
       {DocumentStatus::kQueued, DocumentStatus::kParsing, DocumentStatus::kEmbedding,
        DocumentStatus::kReady, DocumentStatus::kFailed}) {
    if (DocumentStatusName(s) == name) return s;
  }
  return Corruption("unknown document status '" + std::string(name) + "'");
}

void BindDocument(Statement& stmt, const KnowledgeDocument& doc) {
  stmt.BindText(1, doc.id)
      .BindText(2, doc.knowledge_id)
      .BindText(3, doc.name)
      .BindText(4, doc.source)
      .BindText(5, doc.source_url)
      .BindText(6, doc.content_type)
      .BindInt64(7, doc.bytes)
      .BindText(8, doc.sha256)
      .BindText(9, DocumentStatusName(doc.status))
      .BindText(10, doc.error)
      .BindInt64(11, doc.chunks_done)
      .BindInt64(12, doc.chunks_total)
      .BindText(13, doc.format)
      .BindText(14, doc.encoding)
      .BindText(15, doc.replaces)
      .BindInt64(16, doc.attempts)
      .BindInt64(17, doc.created_at)
      .BindInt64(18, doc.updated_at);
}

Result<KnowledgeDocument> ReadDocumentRow(const Statement& stmt) {
  KnowledgeDocument doc;
  doc.id = stmt.ColumnString(0);
  doc.knowledge_id = stmt.ColumnString(1);
  doc.name = stmt.ColumnString(2);
  doc.source = stmt.ColumnString(3);
  doc.source_url = stmt.ColumnString(4);
  doc.content_type = stmt.ColumnString(5);
  doc.bytes = stmt.ColumnInt64(6);
  doc.sha256 = stmt.ColumnString(7);
  KILN_ASSIGN_OR_RETURN(doc.status, ParseDocumentStatus(stmt.ColumnText(8)));
  doc.error = stmt.ColumnString(9);
  doc.chunks_done = stmt.ColumnInt64(10);
  doc.chunks_total = stmt.ColumnInt64(11);
  doc.format = stmt.ColumnString(12);
  doc.encoding = stmt.ColumnString(13);
  doc.replaces = stmt.ColumnString(14);
  doc.attempts = static_cast<int>(stmt.ColumnInt64(15));
  doc.created_at = stmt.ColumnInt64(16);
  doc.updated_at = stmt.ColumnInt64(17);
  return doc;
}

Result<KnowledgeDocument> SelectDocument(Connection& conn, std::string_view workspace_id,
                                         std::string_view knowledge_id, std::string_view id) {
  static const std::string sql =
      "SELECT " + std::string(kDocumentColumns) +
      " FROM documents WHERE id = ?1 AND knowledge_id = ?2 AND EXISTS (SELECT 1 FROM "
      "knowledge_bases b WHERE b.id = ?2 AND b.workspace_id = ?3)";
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(sql));
  stmt.BindText(1, id).BindText(2, knowledge_id).BindText(3, workspace_id);
  KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return DocumentNotFound(id);
  return ReadDocumentRow(stmt);
}

Result<std::vector<int64_t>> DeleteChunkRows(Connection& conn, std::string_view document_id) {
  std::vector<int64_t> ids;
  {
    KILN_ASSIGN_OR_RETURN(Statement stmt,
                          conn.Prepare("SELECT id FROM chunks WHERE document_id = ?1"));
    stmt.BindText(1, document_id);
    while (true) {
      KILN_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ids.push_back(stmt.ColumnInt64(0));
    }
  }
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("DELETE FROM chunks WHERE document_id = ?1"));
  stmt.BindText(1, document_id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return ids;
}

Result<std::vector<int64_t>> DeleteDocumentRows(Connection& conn, std::string_view id) {
  KILN_ASSIGN_OR_RETURN(std::vector<int64_t> ids, DeleteChunkRows(conn, id));
  KILN_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare("DELETE FROM documents WHERE id = ?1"));
  stmt.BindText(1, id);
  KILN_RETURN_IF_ERROR(stmt.Run());
  return ids;
}

}  // namespace internal
}  // namespace kiln::storage
